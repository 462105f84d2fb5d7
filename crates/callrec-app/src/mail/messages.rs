//! The messages callrec sends: a forgotten-password link and security
//! notices. Plain text and HTML from templates beside this file. No secret
//! or code is ever in a message.

use crate::Error;
use askama::Template;
use callrec_domain::zone::Zone;
use callrec_store::NewMail;

/// What a security notice tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeKind {
    PasswordChanged,
    MfaRegistered,
    /// Turned off for their account, by themselves.
    MfaTurnedOff,
    /// Cleared by someone else (named), or by themselves.
    MfaReset {
        by: String,
    },
    /// Too many wrong passwords or codes: sign-in paused for a while.
    AccountLocked,
    /// A sign-in code was used a second time.
    CodeReplayed,
    /// The company asks them to register an authenticator.
    RegisterReminder,
    /// A recovery code was spent (to sign in, or to confirm a change);
    /// `left` are unused.
    RecoveryCodeUsed {
        left: i64,
        to_sign_in: bool,
    },
    /// A new set of recovery codes replaced the old one.
    RecoveryCodesCreated,
    /// A security key was added to their account, under this name.
    KeyAdded {
        name: String,
    },
    /// A security key was removed from their account.
    KeyRemoved {
        name: String,
    },
    /// A key of theirs signed with a counter that did not rise.
    KeyPossiblyCopied,
    /// Someone (`by`) chose a shorter retention for the company, taking
    /// effect on `effective` unless cancelled.
    RetentionShortened {
        company: String,
        old: String,
        new: String,
        effective: String,
        by: String,
    },
    /// Someone (`by`) made an API token for the company.
    TokenCreated {
        company: String,
        name: String,
        scopes: String,
        by: String,
    },
}

impl NoticeKind {
    fn subject(&self) -> &'static str {
        match self {
            NoticeKind::PasswordChanged => "Your password was changed",
            NoticeKind::MfaRegistered => "An authenticator was registered for your account",
            NoticeKind::MfaTurnedOff => {
                "Multi-factor authentication was turned off for your account"
            }
            NoticeKind::MfaReset { .. } => "Your multi-factor authentication was reset",
            NoticeKind::AccountLocked => "Sign-in to your account is paused",
            NoticeKind::CodeReplayed => "A sign-in code for your account was used twice",
            NoticeKind::RegisterReminder => "Please set up multi-factor authentication",
            NoticeKind::RecoveryCodeUsed { .. } => "One of your recovery codes was used",
            NoticeKind::RecoveryCodesCreated => "New recovery codes were made for your account",
            NoticeKind::KeyAdded { .. } => "A security key was added to your account",
            NoticeKind::KeyRemoved { .. } => "A security key was removed from your account",
            NoticeKind::KeyPossiblyCopied => "A security key of yours may have been copied",
            NoticeKind::RetentionShortened { .. } => "Recordings will be kept for a shorter time",
            NoticeKind::TokenCreated { .. } => "A new API token was made for your company",
        }
    }

    fn what(&self) -> String {
        match self {
            NoticeKind::PasswordChanged => "The password of your account was changed.".into(),
            NoticeKind::MfaRegistered => "An authenticator application was registered for your account; its codes now sign you in.".into(),
            NoticeKind::MfaTurnedOff => "Multi-factor authentication was turned off for your account.".into(),
            NoticeKind::MfaReset { by } => format!("The authenticator registration of your account was cleared by {by}; you register again at your next sign-in."),
            NoticeKind::AccountLocked => "There were too many wrong passwords or codes for your account, so signing in is paused for a while.".into(),
            NoticeKind::CodeReplayed => "A code from your authenticator application was entered a second time, which the portal refuses.".into(),
            NoticeKind::RegisterReminder => "Your company asks you to set up multi-factor authentication: sign in, and the portal shows a QR code to scan with an authenticator application on your phone.".into(),
            NoticeKind::RecoveryCodeUsed { left, to_sign_in } => format!(
                "One of your recovery codes was used {}; it no longer works. You have {left} left. If you have lost your phone, reset your MFA under My MFA and register the new one.",
                if *to_sign_in { "instead of your authenticator to sign in" } else { "to confirm a change to your MFA under My MFA" }
            ),
            NoticeKind::RecoveryCodesCreated => "A new set of ten recovery codes was made for your account; the earlier ones no longer work.".into(),
            NoticeKind::KeyAdded { name } => format!("The security key “{name}” was added to your account; it now signs you in instead of a code."),
            NoticeKind::KeyRemoved { name } => format!("The security key “{name}” was removed from your account; it no longer signs you in."),
            NoticeKind::KeyPossiblyCopied => "A security key registered to your account signed in with a use count that went backwards, which happens when a key has been copied; the sign-in was refused. Remove the key under My MFA and tell your administrator.".into(),
            NoticeKind::RetentionShortened { company, old, new, effective, by } => format!(
                "{by} changed how long {company} keeps its recordings from {old} to {new}. It takes effect on {effective}: from then the purge job deletes for good every recording older than that (held ones excepted). Until then it can be cancelled under Company settings → Retention with Cancel change."
            ),
            NoticeKind::TokenCreated { company, name, scopes, by } => format!(
                "{by} made the API token “{name}” for {company}, with the scopes {scopes}. A token works without a password or MFA until it expires or is revoked on the API tokens page."
            ),
        }
    }

    /// What the reader should do if they did not expect it.
    fn advice(&self) -> &'static str {
        match self {
            NoticeKind::RetentionShortened { .. } | NoticeKind::TokenCreated { .. } => {
                "If you expected this, there is nothing to do. If not, sign in and undo it (Company settings → Retention → Cancel change; API tokens → Revoke), and ask who made it."
            }
            _ => "If this was you, there is nothing to do. If it was not, sign in and change your password under My account at once, or ask your administrator to lock your account and reset your multi-factor authentication.",
        }
    }
}

/// A security notice to a user.
#[derive(Debug, Clone)]
pub struct Notice {
    pub kind: NoticeKind,
    pub username: String,
    /// When it happened (Unix seconds).
    pub at: i64,
    /// The zone the user sees times in.
    pub zone: Zone,
    /// The client address of the request that caused it.
    pub client: String,
}

#[derive(Template)]
#[template(path = "mail/notice.txt")]
struct NoticeText<'a> {
    username: &'a str,
    what: &'a str,
    advice: &'a str,
    when: &'a str,
    client: &'a str,
}

#[derive(Template)]
#[template(path = "mail/notice.html")]
struct NoticeHtml<'a> {
    username: &'a str,
    what: &'a str,
    advice: &'a str,
    when: &'a str,
    client: &'a str,
}

impl Notice {
    pub fn mail(&self, to: &str) -> Result<NewMail, Error> {
        let what = self.kind.what();
        let when = format!(
            "{} ({})",
            self.zone.format_seconds(self.at),
            self.zone.name()
        );
        Ok(NewMail {
            to: to.to_string(),
            subject: self.kind.subject().to_string(),
            text_body: NoticeText {
                username: &self.username,
                what: &what,
                advice: self.kind.advice(),
                when: &when,
                client: &self.client,
            }
            .render()?,
            html_body: NoticeHtml {
                username: &self.username,
                what: &what,
                advice: self.kind.advice(),
                when: &when,
                client: &self.client,
            }
            .render()?,
        })
    }
}

#[derive(Template)]
#[template(path = "mail/reset.txt")]
struct ResetText<'a> {
    username: &'a str,
    link: &'a str,
    minutes: i64,
}

#[derive(Template)]
#[template(path = "mail/reset.html")]
struct ResetHtml<'a> {
    username: &'a str,
    link: &'a str,
    minutes: i64,
}

/// The message with a forgotten-password link.
pub fn reset_mail(to: &str, username: &str, link: &str, minutes: i64) -> Result<NewMail, Error> {
    Ok(NewMail {
        to: to.to_string(),
        subject: "Choose a new password".to_string(),
        text_body: ResetText {
            username,
            link,
            minutes,
        }
        .render()?,
        html_body: ResetHtml {
            username,
            link,
            minutes,
        }
        .render()?,
    })
}
