//! The sign-in pop-ups' work: a new authenticator's secret, and the code
//! that confirms it or completes a sign-in. Wrong codes are counted in the
//! database per sign-in and per account, so the limits hold across nodes.

use super::keys::KeyRefusal;
use super::Mfa;
use crate::audit::AuditContext;
use crate::mail::NoticeKind;
use crate::Error;
use callrec_domain::audit::AuditAction;
use callrec_domain::recovery::RecoveryCode;
use callrec_domain::throttle::{wrong_code, SignInReason, ThrottleScope, WrongCode};
use callrec_domain::totp::{
    check_code, phone_clock, step_offset, CodeCheck, PhoneClock, TotpCode, TotpSecret,
};
use callrec_store::{Reservation, ThrottleWindow, User};
use rand::RngCore;

/// Which code is being entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeStage {
    /// The first code of a new registration, proving the scan worked.
    Register,
    /// A code from the registered authenticator, completing a sign-in.
    Verify,
}

/// Why a code (or a key's answer) was not accepted (the sign-in goes on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrongCodeKind {
    Invalid,
    /// Right, but already used within its time step.
    Replayed,
    /// A security key's answer.
    Key(KeyRefusal),
}

impl WrongCodeKind {
    pub fn message(self) -> &'static str {
        match self {
            WrongCodeKind::Invalid => "Invalid code",
            WrongCodeKind::Replayed => "Invalid code: it was already used. Wait for the next code from your authenticator application.",
            WrongCodeKind::Key(refusal) => refusal.message(),
        }
    }
}

/// What a submitted code comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeOutcome {
    /// Nothing typed: not a guess, the pop-up asks again.
    Empty,
    /// The registration the pop-up belongs to is gone or was replaced by
    /// another session's: start again.
    Restart,
    /// The code is right: the sign-in is complete, and this comes next.
    Accepted(AfterCode),
    /// Wrong: say so and ask again.
    Wrong(WrongCodeKind),
    /// This sign-in attempt is over: back to the password, saying why.
    Ended(SignInReason),
}

/// What follows an accepted code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterCode {
    /// The portal; `Some` tells of a phone whose last three codes were all
    /// a step early or late.
    Home(Option<PhoneClock>),
    /// A registration was confirmed: its recovery codes, shown once.
    SaveRecoveryCodes(Vec<RecoveryCode>),
    /// A recovery code signed in; this many are left.
    RecoveryCodeUsed { left: i64 },
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
    let mut write = mfa.store.write(audit.now).await?;
    if write
        .start_mfa_registration(user.id, &ciphertext, sign_in)
        .await?
    {
        let entry = audit.entry_on(AuditAction::MfaRegistrationStarted, user);
        write.commit_with(entry).await?;
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
    let now = audit.now;
    if let Some(ended) = before_attempt(mfa, user, typed, now).await? {
        return Ok(ended);
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
    let attempt = match Attempt::reserve(mfa, user, sign_in, now).await? {
        Ok(attempt) => attempt,
        Err(reason) => return Ok(CodeOutcome::Ended(reason)),
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
            let mut write = store.write(now).await?;
            let (recorded, action) = match stage {
                CodeStage::Verify => (
                    write.accept_mfa_step(user.id, step).await?,
                    AuditAction::MfaCodeAccepted,
                ),
                CodeStage::Register => (
                    write
                        .confirm_mfa_registration(user.id, sign_in, step)
                        .await?,
                    AuditAction::MfaRegistrationConfirmed,
                ),
            };
            if recorded {
                write.commit_with(audit.entry_on(action, user)).await?;
                check
            } else {
                CodeCheck::Replayed
            }
        }
        other => other,
    };

    if let CodeCheck::Accepted { step } = check {
        attempt.succeeded(mfa).await?;
        let offsets = store
            .record_code_offset(user.id, step_offset(step, now))
            .await?;
        if stage == CodeStage::Register {
            mfa.notify(user, NoticeKind::MfaRegistered, audit).await?;
            let codes = super::recovery::replace_codes(mfa, user, None, audit).await?;
            return Ok(CodeOutcome::Accepted(AfterCode::SaveRecoveryCodes(codes)));
        }
        return Ok(CodeOutcome::Accepted(AfterCode::Home(phone_clock(
            &offsets,
        ))));
    }

    let (action, kind) = match check {
        CodeCheck::Replayed => (AuditAction::MfaCodeReplayed, WrongCodeKind::Replayed),
        _ => (AuditAction::MfaCodeRefused, WrongCodeKind::Invalid),
    };
    store.audit(audit.entry_on(action, user), now).await?;
    if kind == WrongCodeKind::Replayed {
        mfa.notify(user, NoticeKind::CodeReplayed, audit).await?;
    }
    attempt.failed(mfa, user, kind, audit).await
}

/// What every code entry checks first: the account is not locked, and
/// something was typed. `Some` ends the submission there.
pub(super) async fn before_attempt(
    mfa: Mfa<'_>,
    user: &User,
    typed: &str,
    now: i64,
) -> Result<Option<CodeOutcome>, Error> {
    if mfa
        .store
        .throttled_for(
            ThrottleScope::MfaAccount,
            &user.id.to_string(),
            now,
            mfa.hourly_window(),
        )
        .await?
        .is_some()
    {
        return Ok(Some(CodeOutcome::Ended(SignInReason::MfaLocked)));
    }
    Ok(typed.trim().is_empty().then_some(CodeOutcome::Empty))
}

/// One code entered at sign-in, holding its places in both wrong-code
/// counters: per sign-in (this half-signed-in session) and per account and
/// hour, whose full window is the lock. Authenticator and recovery codes
/// count alike.
pub(super) struct Attempt<'a> {
    sign_in: &'a str,
    account: String,
    in_sign_in: i64,
    in_hour: i64,
}

impl<'a> Attempt<'a> {
    /// Takes this attempt's places before the code is checked, so parallel
    /// guesses can never pass a limit (each reservation is one conditional
    /// write). The sign-in's place first: giving one back never opens the
    /// account's window, which a lock holds full.
    pub(super) async fn reserve(
        mfa: Mfa<'_>,
        user: &User,
        sign_in: &'a str,
        now: i64,
    ) -> Result<Result<Attempt<'a>, SignInReason>, Error> {
        let store = mfa.store;
        let account = user.id.to_string();
        let per_sign_in = ThrottleWindow {
            seconds: 3600,
            limit: mfa.settings.attempt_limit,
        };
        let in_sign_in = match store
            .reserve_attempt(ThrottleScope::MfaSignIn, sign_in, now, per_sign_in)
            .await?
        {
            Reservation::Reserved(count) => count,
            Reservation::Refused { .. } => return Ok(Err(SignInReason::MfaAttempts)),
        };
        let in_hour = match store
            .reserve_attempt(
                ThrottleScope::MfaAccount,
                &account,
                now,
                mfa.hourly_window(),
            )
            .await?
        {
            Reservation::Reserved(count) => count,
            Reservation::Refused { .. } => {
                store
                    .release_attempt(ThrottleScope::MfaSignIn, sign_in)
                    .await?;
                return Ok(Err(SignInReason::MfaLocked));
            }
        };
        Ok(Ok(Attempt {
            sign_in,
            account,
            in_sign_in,
            in_hour,
        }))
    }

    /// The code was right: its places are given back.
    pub(super) async fn succeeded(self, mfa: Mfa<'_>) -> Result<(), Error> {
        for (scope, key) in [
            (ThrottleScope::MfaSignIn, self.sign_in),
            (ThrottleScope::MfaAccount, self.account.as_str()),
        ] {
            mfa.store.release_attempt(scope, key).await?;
        }
        Ok(())
    }

    /// The code was wrong (already audited): ask again, or end the
    /// attempt, or lock the account, by how full the counters are.
    pub(super) async fn failed(
        self,
        mfa: Mfa<'_>,
        user: &User,
        kind: WrongCodeKind,
        audit: &AuditContext,
    ) -> Result<CodeOutcome, Error> {
        let settings = mfa.settings;
        let (in_sign_in, in_hour) = (self.in_sign_in, self.in_hour);
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
                mfa.store
                    .audit(
                        audit
                            .entry_on(AuditAction::MfaAttemptEnded, user)
                            .details(format!("{in_sign_in} wrong codes")),
                        audit.now,
                    )
                    .await?;
                Ok(CodeOutcome::Ended(SignInReason::MfaAttempts))
            }
            WrongCode::TryAgain => Ok(CodeOutcome::Wrong(kind)),
        }
    }
}
