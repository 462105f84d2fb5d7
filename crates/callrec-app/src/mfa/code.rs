//! The sign-in pop-ups' work: a new authenticator's secret, and the code
//! that confirms it or completes a sign-in. Wrong codes are counted in the
//! database per sign-in and per account, so the limits hold across nodes.

use super::Mfa;
use crate::accounts::AuditContext;
use crate::mail::NoticeKind;
use crate::Error;
use callrec_domain::throttle::{wrong_code, SignInReason, ThrottleScope, WrongCode};
use callrec_domain::totp::{
    check_code, phone_clock, step_offset, CodeCheck, PhoneClock, TotpCode, TotpSecret,
};
use callrec_store::{AuditAction, Reservation, ThrottleWindow, User};
use rand::RngCore;

/// Which code is being entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeStage {
    /// The first code of a new registration, proving the scan worked.
    Register,
    /// A code from the registered authenticator, completing a sign-in.
    Verify,
}

/// Why a code was not accepted (the sign-in goes on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrongCodeKind {
    Invalid,
    /// Right, but already used within its time step.
    Replayed,
}

impl WrongCodeKind {
    pub fn message(self) -> &'static str {
        match self {
            WrongCodeKind::Invalid => "Invalid code",
            WrongCodeKind::Replayed => "Invalid code: it was already used. Wait for the next code from your authenticator application.",
        }
    }
}

/// What a submitted code comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeOutcome {
    /// Nothing typed: not a guess, the pop-up asks again.
    Empty,
    /// The registration the pop-up belongs to is gone or was replaced by
    /// another session's: start again.
    Restart,
    /// The code is right: the sign-in is complete. `clock` tells of a
    /// phone whose last three codes were all a step early or late.
    Accepted { clock: Option<PhoneClock> },
    /// Wrong: say so and ask again.
    Wrong(WrongCodeKind),
    /// This sign-in attempt is over: back to the password, saying why.
    Ended(SignInReason),
}

/// The secret of the registration `sign_in` (a half-signed-in session's
/// hash) started, if it is still the pending one.
pub async fn pending_secret(
    mfa: Mfa<'_>,
    user: &User,
    sign_in: &str,
) -> Result<Option<TotpSecret>, Error> {
    match mfa.store.mfa_registration(user.id).await? {
        Some(registration) if registration.pending_for(sign_in) => {
            Ok(Some(mfa.decrypt(user, &registration)?))
        }
        _ => Ok(None),
    }
}

/// Continue on "have your authenticator application ready": a new secret
/// every time, so an abandoned registration is never reused.
pub async fn start_registration(
    mfa: Mfa<'_>,
    user: &User,
    sign_in: &str,
    audit: &AuditContext,
) -> Result<(), Error> {
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = TotpSecret::from_bytes(bytes);
    let ciphertext = mfa.keyring.encrypt(user.id, &secret);
    if mfa
        .store
        .start_mfa_registration(user.id, &ciphertext, sign_in, audit.now)
        .await?
    {
        mfa.store
            .audit(
                audit.entry_on(AuditAction::MfaRegistrationStarted, user),
                audit.now,
            )
            .await?;
    }
    Ok(())
}

/// `typed` as the code of `stage` in the sign-in `sign_in`.
pub async fn submit_code(
    mfa: Mfa<'_>,
    user: &User,
    sign_in: &str,
    stage: CodeStage,
    typed: &str,
    audit: &AuditContext,
) -> Result<CodeOutcome, Error> {
    let store = mfa.store;
    let settings = mfa.settings;
    let now = audit.now;
    let account = user.id.to_string();
    // Wrong codes are limited per sign-in (this half-signed-in session) and
    // per account and hour; a full hourly window is the lock.
    let per_sign_in = ThrottleWindow {
        seconds: 3600,
        limit: settings.attempt_limit,
    };
    let hourly = mfa.hourly_window();
    if store
        .throttled_for(ThrottleScope::MfaAccount, &account, now, hourly)
        .await?
        .is_some()
    {
        return Ok(CodeOutcome::Ended(SignInReason::MfaLocked));
    }
    if typed.trim().is_empty() {
        return Ok(CodeOutcome::Empty);
    }
    let Some(registration) = store.mfa_registration(user.id).await? else {
        return Ok(CodeOutcome::Restart);
    };
    let usable = match stage {
        CodeStage::Verify => registration.confirmed,
        CodeStage::Register => registration.pending_for(sign_in),
    };
    if !usable {
        return Ok(CodeOutcome::Restart);
    }
    // Both counters take this attempt before the code is checked, so
    // parallel guesses can never pass a limit (each reservation is one
    // conditional write); an accepted code gives its places back.
    // The sign-in's place first: giving one back never opens the account's
    // window, which a lock holds full.
    let in_sign_in = match store
        .reserve_attempt(ThrottleScope::MfaSignIn, sign_in, now, per_sign_in)
        .await?
    {
        Reservation::Reserved(count) => count,
        Reservation::Refused { .. } => return Ok(CodeOutcome::Ended(SignInReason::MfaAttempts)),
    };
    let in_hour = match store
        .reserve_attempt(ThrottleScope::MfaAccount, &account, now, hourly)
        .await?
    {
        Reservation::Reserved(count) => count,
        Reservation::Refused { .. } => {
            store
                .release_attempt(ThrottleScope::MfaSignIn, sign_in)
                .await?;
            return Ok(CodeOutcome::Ended(SignInReason::MfaLocked));
        }
    };
    let secret = mfa.decrypt(user, &registration)?;
    let check = match TotpCode::parse(typed) {
        Some(code) => check_code(&secret, &code, now, registration.last_step),
        None => CodeCheck::Invalid,
    };
    let check = match check {
        // The store has the last word: a conditional write lets exactly one
        // of several simultaneous submissions of the same code through.
        CodeCheck::Accepted { step } => {
            let recorded = match stage {
                CodeStage::Verify => store.accept_mfa_step(user.id, step).await?,
                CodeStage::Register => {
                    store
                        .confirm_mfa_registration(user.id, sign_in, step, now)
                        .await?
                }
            };
            if recorded {
                check
            } else {
                CodeCheck::Replayed
            }
        }
        other => other,
    };

    if let CodeCheck::Accepted { step } = check {
        for (scope, key) in [
            (ThrottleScope::MfaSignIn, sign_in),
            (ThrottleScope::MfaAccount, account.as_str()),
        ] {
            store.release_attempt(scope, key).await?;
        }
        let action = match stage {
            CodeStage::Verify => AuditAction::MfaCodeAccepted,
            CodeStage::Register => AuditAction::MfaRegistrationConfirmed,
        };
        store.audit(audit.entry_on(action, user), now).await?;
        if stage == CodeStage::Register {
            mfa.notify(user, NoticeKind::MfaRegistered, audit).await?;
        }
        let offsets = store
            .record_code_offset(user.id, step_offset(step, now))
            .await?;
        return Ok(CodeOutcome::Accepted {
            clock: phone_clock(&offsets),
        });
    }

    let (action, kind) = match check {
        CodeCheck::Replayed => (AuditAction::MfaCodeReplayed, WrongCodeKind::Replayed),
        _ => (AuditAction::MfaCodeRefused, WrongCodeKind::Invalid),
    };
    store.audit(audit.entry_on(action, user), now).await?;
    if kind == WrongCodeKind::Replayed {
        mfa.notify(user, NoticeKind::CodeReplayed, audit).await?;
    }
    match wrong_code(
        in_sign_in,
        settings.attempt_limit,
        in_hour,
        settings.hourly_limit,
    ) {
        WrongCode::Locked => {
            mfa.lock_account(user, audit, in_hour).await?;
            Ok(CodeOutcome::Ended(SignInReason::MfaLocked))
        }
        WrongCode::AttemptEnded => {
            store
                .audit(
                    audit
                        .entry_on(AuditAction::MfaAttemptEnded, user)
                        .details(format!("{in_sign_in} wrong codes")),
                    now,
                )
                .await?;
            Ok(CodeOutcome::Ended(SignInReason::MfaAttempts))
        }
        WrongCode::TryAgain => Ok(CodeOutcome::Wrong(kind)),
    }
}
