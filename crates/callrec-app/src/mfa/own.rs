//! My MFA: turning MFA on or off for oneself (under MFA Available) and
//! resetting one's own registration, once presence is confirmed.

use crate::accounts::notify;
use crate::audit::AuditContext;
use crate::mail::NoticeKind;
use crate::Error;
use callrec_domain::audit::AuditAction;
use callrec_domain::MfaPolicy;
use callrec_store::{Store, User};

/// What the user asked for in the My MFA pop-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnMfaChange {
    /// The box's new state, when the company leaves the choice to the user
    /// and it changed.
    pub opt_in: Option<bool>,
    /// Reset my registration (only when there is one).
    pub reset: bool,
}

impl OwnMfaChange {
    pub fn new(user: &User, wants_mfa: bool, reset: bool) -> OwnMfaChange {
        OwnMfaChange {
            // The box is the user's only under MFA Available, and not when
            // the company requires MFA of them anyway.
            opt_in: (user.company_mfa_policy == MfaPolicy::Available
                && !user.mfa_forced_on()
                && wants_mfa != user.mfa_opt_in)
                .then_some(wants_mfa),
            reset: reset && user.mfa_registered,
        }
    }

    /// What weakens the account and so needs proof of presence: a stolen
    /// session alone must not be able to turn MFA off or swap the
    /// authenticator. `None` when nothing does.
    pub fn weakening(self) -> Option<&'static str> {
        match (self.opt_in == Some(false), self.reset) {
            (true, true) => Some("You are turning MFA off and resetting your registration."),
            (true, false) => Some("You are turning MFA off for your account."),
            (false, true) => Some("You are resetting your MFA registration."),
            (false, false) => None,
        }
    }

    /// What needs proof of presence: anything that weakens the account,
    /// and turning MFA on without a registration, which shows a new
    /// secret next — a stolen session must not plant its own
    /// authenticator (security review, wave 2, item 4).
    pub fn needs_presence(self, user: &User) -> Option<&'static str> {
        self.weakening().or_else(|| {
            (self.opt_in == Some(true) && !user.mfa_registered).then_some(
                "You are turning MFA on: the QR code that comes next holds a new secret.",
            )
        })
    }
}

/// Register now, from the grace-period banner: MFA on for the user, so
/// the next page is the QR code; audited like the box under My MFA.
pub async fn register_now(store: &Store, user: &User, audit: &AuditContext) -> Result<(), Error> {
    set_opt_in(store, user, true, audit).await
}

/// The user's own choice of MFA, with its entry.
async fn set_opt_in(
    store: &Store,
    user: &User,
    wants_mfa: bool,
    audit: &AuditContext,
) -> Result<(), Error> {
    let mut write = store.write(audit.now).await?;
    write.set_mfa_opt_in(user.id, wants_mfa).await?;
    let action = if wants_mfa {
        AuditAction::MfaOptedIn
    } else {
        AuditAction::MfaOptedOut
    };
    Ok(write.commit_with(audit.entry_on(action, user)).await?)
}

/// Applies `change` for `user`, signed in with the session `session`;
/// presence must be confirmed already where `weakening` asks for it.
/// Returns the user as they are now.
pub async fn change_own_mfa(
    store: &Store,
    mail: bool,
    user: &User,
    session: &str,
    change: OwnMfaChange,
    audit: &AuditContext,
) -> Result<Option<User>, Error> {
    if let Some(wants_mfa) = change.opt_in {
        set_opt_in(store, user, wants_mfa, audit).await?;
        if !wants_mfa {
            notify(store, mail, user, NoticeKind::MfaTurnedOff, audit).await?;
        }
    }
    if change.reset {
        let mut write = store.write(audit.now).await?;
        if !write.delete_mfa_registration(user.id).await? {
            drop(write);
            return Ok(store.user(user.id).await?);
        }
        // A lost phone: other sessions end, and this one must register again
        // straight away if MFA still applies.
        let ended = write.delete_user_sessions(user.id, Some(session)).await?;
        write.set_session_mfa_passed(session, false).await?;
        let entry = audit
            .entry_on(AuditAction::MfaOwnReset, user)
            .details(format!("{ended} other sessions ended"));
        write.commit_with(entry).await?;
        let by = "you, from My MFA".to_string();
        notify(store, mail, user, NoticeKind::MfaReset { by }, audit).await?;
    }
    Ok(store.user(user.id).await?)
}
