//! "Confirm it's you": before a signed-in session changes its own MFA
//! (turns it off, resets it, new recovery codes, adds or removes a key) it
//! proves presence with its strongest factor: a current code, else a
//! security key, else the password when nothing is registered (security
//! review, item 6). A recovery code proves it too: it is how a user who
//! lost their phone resets their registration.
//! A wrong answer counts against the account's hourly limit of wrong codes.

use super::Mfa;
use crate::audit::AuditContext;
use crate::{Error, Passwords};
use callrec_domain::audit::AuditAction;
use callrec_domain::throttle::ThrottleScope;
use callrec_domain::totp::{check_code, CodeCheck, TotpCode};
use callrec_store::{Reservation, User};

/// How long a confirmation holds in the session that gave it: an
/// administrator adding several users types one code, not one per user (a
/// code works once). Five minutes, as a sudo-mode window: short enough that
/// a session stolen later must prove presence itself.
pub const CONFIRMED_FOR_SECONDS: i64 = 300;

/// Whether a session that last confirmed presence at `confirmed_at` may
/// skip the question at `now`.
pub fn still_confirmed(confirmed_at: Option<i64>, now: i64) -> bool {
    confirmed_at.is_some_and(|at| at <= now && now - at < CONFIRMED_FOR_SECONDS)
}

/// What the user is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    Code,
    /// A touch of one of the user's security keys (a WebAuthn answer).
    Key,
    Password,
}

impl Proof {
    pub fn for_user(user: &User) -> Proof {
        if user.totp_registered {
            Proof::Code
        } else if user.security_keys > 0 {
            Proof::Key
        } else {
            Proof::Password
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Proof::Code => "Code",
            Proof::Key => "Security key",
            Proof::Password => "Password",
        }
    }
}

/// What the proof comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Confirmed,
    /// Nothing typed.
    Missing(Proof),
    Wrong(Proof),
    /// The account's hourly window is full.
    Locked,
}

impl Presence {
    /// Why nothing changes, or `None` when presence is confirmed.
    pub fn refusal(self) -> Option<&'static str> {
        Some(match self {
            Presence::Confirmed => return None,
            Presence::Missing(Proof::Code) => "Enter the code from your authenticator application, or one of your recovery codes.",
            Presence::Missing(Proof::Password) => "Enter your password.",
            Presence::Missing(Proof::Key) => "Click Use security key and touch your key, or enter one of your recovery codes.",
            Presence::Wrong(Proof::Code) => "Invalid code",
            Presence::Wrong(Proof::Key) => "The security key (or recovery code) was not accepted.",
            Presence::Wrong(Proof::Password) => "Wrong password",
            Presence::Locked => "Too many wrong codes: MFA for your account is locked for a while. Try again later or ask your administrator.",
        })
    }
}

/// Checks `typed` — a code, a key's answer to the `Confirm` ceremony of
/// `session`, a recovery code, or the password when nothing is registered.
pub async fn confirm_presence(
    mfa: Mfa<'_>,
    passwords: &Passwords,
    user: &User,
    session: &str,
    typed: &str,
    audit: &AuditContext,
) -> Result<Presence, Error> {
    let proof = Proof::for_user(user);
    if typed.trim().is_empty() {
        return Ok(Presence::Missing(proof));
    }
    let account = user.id.to_string();
    let in_hour = match mfa
        .store
        .reserve_attempt(
            ThrottleScope::MfaAccount,
            &account,
            audit.now,
            mfa.hourly_window(),
        )
        .await?
    {
        Reservation::Reserved(count) => count,
        Reservation::Refused { .. } => return Ok(Presence::Locked),
    };
    let proven = match proof {
        Proof::Code => code_matches(mfa, user, typed, audit).await?,
        Proof::Key if typed.trim_start().starts_with('{') => {
            super::keys::key_confirms(mfa, user, session, typed, audit).await?
        }
        Proof::Key => spend_recovery(mfa, user, typed, audit).await?,
        Proof::Password => {
            let credentials = mfa.store.credentials(&user.username).await?;
            passwords
                .verify(credentials.as_ref().map(|(_, h)| h.as_str()), typed)
                .await?
        }
    };
    if proven {
        mfa.store
            .release_attempt(ThrottleScope::MfaAccount, &account)
            .await?;
        mfa.store.set_session_confirmed(session, audit.now).await?;
        return Ok(Presence::Confirmed);
    }
    mfa.store
        .audit(
            audit
                .entry_on(AuditAction::MfaCodeRefused, user)
                .details(format!("{} to confirm a change", proof.label())),
            audit.now,
        )
        .await?;
    if in_hour >= mfa.settings.hourly_limit {
        mfa.lock_account(user, audit, in_hour).await?;
        return Ok(Presence::Locked);
    }
    Ok(Presence::Wrong(proof))
}

/// A current, unused code of the user's registration, or one of their
/// recovery codes (a lost phone: the way to reset it); using it spends it.
async fn code_matches(
    mfa: Mfa<'_>,
    user: &User,
    typed: &str,
    audit: &AuditContext,
) -> Result<bool, Error> {
    let Some(code) = TotpCode::parse(typed) else {
        return spend_recovery(mfa, user, typed, audit).await;
    };
    let Some(registration) = mfa.store.mfa_registration(user.id).await? else {
        return Ok(false);
    };
    let secret = mfa.decrypt(user, &registration)?;
    let CodeCheck::Accepted { step } =
        check_code(&secret, &code, audit.now, registration.last_step)
    else {
        return Ok(false);
    };
    // Spent like a sign-in's code (no replay); the confirmation's own
    // entry is written by the change it allows.
    let mut write = mfa.store.write(audit.now).await?;
    let accepted = write.accept_mfa_step(user.id, step).await?;
    write.commit().await?;
    Ok(accepted)
}

/// One of the user's recovery codes, spent to confirm a change.
async fn spend_recovery(
    mfa: Mfa<'_>,
    user: &User,
    typed: &str,
    audit: &AuditContext,
) -> Result<bool, Error> {
    let purpose = super::recovery::Purpose::Confirm;
    Ok(super::recovery::spend(mfa, user, typed, purpose, audit)
        .await?
        .is_some())
}
