//! "Confirm it's you": before a signed-in session weakens its own MFA
//! (turns it off, resets it) it proves presence with a current code, or
//! with the password when nothing is registered (security review, item 6).
//! A wrong answer counts against the account's hourly limit of wrong codes.

use super::challenge::decrypt;
use crate::error::AppError;
use crate::session::CurrentUser;
use crate::AppState;
use callrec_domain::throttle::ThrottleScope;
use callrec_domain::totp::{check_code, CodeCheck, TotpCode};
use callrec_store::{AuditAction, Reservation, ThrottleWindow};

/// What the user is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Proof {
    Code,
    Password,
}

impl Proof {
    pub fn for_user(current: &CurrentUser) -> Proof {
        if current.user.mfa_registered {
            Proof::Code
        } else {
            Proof::Password
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Proof::Code => "Code",
            Proof::Password => "Password",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Presence {
    Confirmed,
    /// Nothing changes; the message says why.
    Refused(&'static str),
}

/// The account's wrong-code window (an hour; full means locked).
pub(crate) fn hourly_window(state: &AppState) -> ThrottleWindow {
    ThrottleWindow {
        seconds: 3600,
        limit: state.config.mfa.hourly_limit,
    }
}

/// Locks MFA for the account: its hourly window stays full until the lock
/// ends, and the lock is audited.
pub(crate) async fn lock_account(
    state: &AppState,
    current: &CurrentUser,
    client: &str,
    in_hour: i64,
) -> Result<(), AppError> {
    let limits = &state.config.mfa;
    let now = state.now();
    state
        .store
        .hold_until(
            ThrottleScope::MfaAccount,
            &current.user.id.to_string(),
            now + limits.lock_seconds,
            hourly_window(state),
        )
        .await?;
    let details = format!(
        "{in_hour} wrong codes within an hour; locked for {} s",
        limits.lock_seconds
    );
    state
        .store
        .audit(
            current
                .own_audit_entry(client, AuditAction::MfaLocked)
                .details(details),
            now,
        )
        .await?;
    Ok(())
}

const LOCKED: &str = "Too many wrong codes: MFA for your account is locked for a while. Try again later or ask your administrator.";

/// Checks `typed` (a code, or the password when nothing is registered).
pub(crate) async fn confirm_presence(
    state: &AppState,
    current: &CurrentUser,
    client: &str,
    typed: &str,
) -> Result<Presence, AppError> {
    let proof = Proof::for_user(current);
    if typed.trim().is_empty() {
        return Ok(Presence::Refused(match proof {
            Proof::Code => "Enter the code from your authenticator application.",
            Proof::Password => "Enter your password.",
        }));
    }
    let account = current.user.id.to_string();
    let now = state.now();
    let in_hour = match state
        .store
        .reserve_attempt(
            ThrottleScope::MfaAccount,
            &account,
            now,
            hourly_window(state),
        )
        .await?
    {
        Reservation::Reserved(count) => count,
        Reservation::Refused { .. } => return Ok(Presence::Refused(LOCKED)),
    };
    let proven = match proof {
        Proof::Code => code_matches(state, current, typed, now).await?,
        Proof::Password => {
            let credentials = state.store.credentials(&current.user.username).await?;
            state
                .passwords
                .verify(credentials.as_ref().map(|(_, h)| h.as_str()), typed)
                .await?
        }
    };
    if proven {
        state
            .store
            .release_attempt(ThrottleScope::MfaAccount, &account)
            .await?;
        return Ok(Presence::Confirmed);
    }
    state
        .store
        .audit(
            current
                .own_audit_entry(client, AuditAction::MfaCodeRefused)
                .details(format!(
                    "{} to confirm a change under My MFA",
                    proof.label()
                )),
            now,
        )
        .await?;
    if in_hour >= state.config.mfa.hourly_limit {
        lock_account(state, current, client, in_hour).await?;
        return Ok(Presence::Refused(LOCKED));
    }
    Ok(Presence::Refused(match proof {
        Proof::Code => "Invalid code",
        Proof::Password => "Wrong password",
    }))
}

/// A current, unused code of the user's registration; using it spends it.
async fn code_matches(
    state: &AppState,
    current: &CurrentUser,
    typed: &str,
    now: i64,
) -> Result<bool, AppError> {
    let Some(registration) = state.store.mfa_registration(current.user.id).await? else {
        return Ok(false);
    };
    let secret = decrypt(state, current, &registration)?;
    let Some(code) = TotpCode::parse(typed) else {
        return Ok(false);
    };
    Ok(
        match check_code(&secret, &code, now, registration.last_step) {
            CodeCheck::Accepted { step } => {
                state.store.accept_mfa_step(current.user.id, step).await?
            }
            _ => false,
        },
    )
}
