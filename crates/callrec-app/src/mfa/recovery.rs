//! Recovery codes: a new set when a registration is confirmed or the user
//! asks for one (My MFA → New recovery codes), and one code instead of the
//! authenticator at sign-in, counted against the same limits.

use super::code::{before_attempt, AfterCode, Attempt, CodeOutcome, WrongCodeKind};
use super::Mfa;
use crate::audit::AuditContext;
use crate::mail::NoticeKind;
use crate::Error;
use callrec_domain::audit::AuditAction;
use callrec_domain::recovery::{RecoveryCode, CODE_BYTES, SET_SIZE};
use callrec_store::User;
use rand::RngCore;

/// Makes a new set for `user`, replacing any earlier one; audited. The
/// codes are returned to be shown once: only their hashes are kept. With
/// `ending`, the user's sessions but that one end in the same change.
pub(super) async fn replace_codes(
    mfa: Mfa<'_>,
    user: &User,
    ending: Option<&str>,
    audit: &AuditContext,
) -> Result<Vec<RecoveryCode>, Error> {
    let codes: Vec<RecoveryCode> = (0..SET_SIZE)
        .map(|_| {
            let mut bytes = [0u8; CODE_BYTES];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            RecoveryCode::from_bytes(bytes)
        })
        .collect();
    let hashes: Vec<String> = codes
        .iter()
        .map(|code| mfa.keyring.recovery_hash(user.id, code))
        .collect();
    let mut write = mfa.store.write(audit.now).await?;
    write.replace_recovery_codes(user.id, &hashes).await?;
    if let Some(session) = ending {
        write.delete_user_sessions(user.id, Some(session)).await?;
    }
    let entry = audit
        .entry_on(AuditAction::MfaRecoveryCodesCreated, user)
        .details(format!("{SET_SIZE} codes"));
    write.commit_with(entry).await?;
    Ok(codes)
}

/// My MFA → New recovery codes, once presence is confirmed from the
/// session `session`: a new set, of which the user hears by mail; their
/// other sessions end (one may have been opened with an old code).
pub async fn new_recovery_codes(
    mfa: Mfa<'_>,
    user: &User,
    session: &str,
    audit: &AuditContext,
) -> Result<Vec<RecoveryCode>, Error> {
    let codes = replace_codes(mfa, user, Some(session), audit).await?;
    mfa.notify(user, NoticeKind::RecoveryCodesCreated, audit)
        .await?;
    Ok(codes)
}

/// What a recovery code is spent on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    SignIn,
    /// "Confirm it's you" before a change under My MFA.
    Confirm,
}

impl Purpose {
    fn details(self) -> &'static str {
        match self {
            Purpose::SignIn => "to sign in",
            Purpose::Confirm => "to confirm a change under My MFA",
        }
    }
}

/// Spends `typed` if it is one of the user's unused codes; audited and
/// notified, saying what for. Returns how many are left, or `None` when it
/// is not a code of theirs (or was used already).
pub(super) async fn spend(
    mfa: Mfa<'_>,
    user: &User,
    typed: &str,
    purpose: Purpose,
    audit: &AuditContext,
) -> Result<Option<i64>, Error> {
    let Some(code) = RecoveryCode::parse(typed) else {
        return Ok(None);
    };
    let candidates = mfa.keyring.recovery_candidates(user.id, &code);
    // Spent, counted and audited in one change.
    let mut write = mfa.store.write(audit.now).await?;
    if !write.spend_recovery_code(user.id, &candidates).await? {
        return Ok(None);
    }
    let left = write.recovery_codes_left(user.id).await?;
    let entry = audit
        .entry_on(AuditAction::MfaRecoveryCodeUsed, user)
        .details(format!("{}; {left} left", purpose.details()));
    write.commit_with(entry).await?;
    let to_sign_in = purpose == Purpose::SignIn;
    let kind = NoticeKind::RecoveryCodeUsed { left, to_sign_in };
    mfa.notify(user, kind, audit).await?;
    Ok(Some(left))
}

/// "Use a recovery code" in the sign-in pop-up: `typed` instead of a code
/// from the authenticator, in the sign-in `sign_in`.
pub async fn submit_recovery_code(
    mfa: Mfa<'_>,
    user: &User,
    sign_in: &str,
    typed: &str,
    audit: &AuditContext,
) -> Result<CodeOutcome, Error> {
    if let Some(ended) = before_attempt(mfa, user, typed, audit.now).await? {
        return Ok(ended);
    }
    if !user.mfa_registered {
        return Ok(CodeOutcome::Restart);
    }
    let attempt = match Attempt::reserve(mfa, user, sign_in, audit.now).await? {
        Ok(attempt) => attempt,
        Err(reason) => return Ok(CodeOutcome::Ended(reason)),
    };
    if let Some(left) = spend(mfa, user, typed, Purpose::SignIn, audit).await? {
        attempt.succeeded(mfa).await?;
        return Ok(CodeOutcome::Accepted(AfterCode::RecoveryCodeUsed { left }));
    }
    mfa.store
        .audit(
            audit
                .entry_on(AuditAction::MfaCodeRefused, user)
                .details("recovery code"),
            audit.now,
        )
        .await?;
    attempt
        .failed(mfa, user, WrongCodeKind::Invalid, audit)
        .await
}
