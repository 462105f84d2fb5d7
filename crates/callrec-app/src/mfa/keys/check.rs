//! "Use security key": the challenge for sign-in or "Confirm it's you",
//! and the answer checked against the user's keys, its use recorded.

use super::{json, refused, relying_party, state_error, take_open, usable_keys, KeyRefusal};
use crate::audit::AuditContext;
use crate::mfa::code::{before_attempt, AfterCode, Attempt, CodeOutcome, WrongCodeKind};
use crate::mfa::Mfa;
use crate::Error;
use callrec_domain::audit::AuditAction;
use callrec_domain::security_key::Ceremony;
use callrec_store::User;
use webauthn_rs::prelude::{PublicKeyCredential, SecurityKey, SecurityKeyAuthentication};

/// "Use security key" (`Ceremony::SignIn`, or `Confirm` for "Confirm
/// it's you"), first half: the options for the browser's
/// `navigator.credentials.get`, or `None` when the user has no key.
pub async fn start_key_check(
    mfa: Mfa<'_>,
    user: &User,
    session: &str,
    kind: Ceremony,
    now: i64,
) -> Result<Option<serde_json::Value>, Error> {
    let keys = relying_party(&mfa)?;
    let credentials: Vec<SecurityKey> = usable_keys(&mfa, user.id)
        .await?
        .into_iter()
        .map(|(_, key)| key)
        .collect();
    if credentials.is_empty() {
        return Ok(None);
    }
    let (options, authentication) = keys
        .webauthn
        .start_securitykey_authentication(&credentials)
        .map_err(|source| Error::WebAuthn {
            what: "sign-in options",
            source,
        })?;
    mfa.store
        .put_ceremony(session, kind, &json(&authentication)?, now)
        .await?;
    Ok(Some(serde_json::to_value(options).map_err(state_error)?))
}

/// "Use security key", second half: the browser's answer completes the
/// sign-in like a code would, counted against the same limits when it is
/// refused.
pub async fn finish_key_sign_in(
    mfa: Mfa<'_>,
    user: &User,
    session: &str,
    answer: &str,
    audit: &AuditContext,
) -> Result<CodeOutcome, Error> {
    if let Some(ended) = before_attempt(mfa, user, answer, audit.now).await? {
        return Ok(ended);
    }
    let Some(state) = take_open(&mfa, session, Ceremony::SignIn, audit.now).await? else {
        return Ok(CodeOutcome::Wrong(WrongCodeKind::Key(KeyRefusal::Expired)));
    };
    let attempt = match Attempt::reserve(mfa, user, session, audit.now).await? {
        Ok(attempt) => attempt,
        Err(reason) => return Ok(CodeOutcome::Ended(reason)),
    };
    // The key's use (its counter) and the entry that says so, together.
    let verified = match verify_answer(&mfa, user, &state, answer).await? {
        Ok(signed) => {
            let entry = audit
                .entry_on(AuditAction::MfaKeyUsed, user)
                .details(format!("“{}”", signed.name));
            record_use(&mfa, signed, Some(entry), audit.now).await?
        }
        Err(refusal) => Err(refusal),
    };
    match verified {
        Ok(()) => {
            attempt.succeeded(mfa).await?;
            Ok(CodeOutcome::Accepted(AfterCode::Home(None)))
        }
        Err(refusal) => {
            refused(&mfa, user, refusal, audit).await?;
            attempt
                .failed(mfa, user, WrongCodeKind::Key(refusal), audit)
                .await
        }
    }
}

/// "Confirm it's you" with a key: the answer to this session's `Confirm`
/// ceremony. True when a key of the user's signed it.
pub(in crate::mfa) async fn key_confirms(
    mfa: Mfa<'_>,
    user: &User,
    session: &str,
    answer: &str,
    audit: &AuditContext,
) -> Result<bool, Error> {
    let Some(state) = take_open(&mfa, session, Ceremony::Confirm, audit.now).await? else {
        return Ok(false);
    };
    let verified = match verify_answer(&mfa, user, &state, answer).await? {
        Ok(signed) => record_use(&mfa, signed, None, audit.now).await?,
        Err(refusal) => Err(refusal),
    };
    match verified {
        Ok(()) => Ok(true),
        Err(refusal) => {
            refused(&mfa, user, refusal, audit).await?;
            Ok(false)
        }
    }
}

/// A key that signed a challenge, and its credential as it is now.
struct Signed {
    id: i64,
    name: String,
    credential: String,
    counter: i64,
}

/// Records `signed`'s use (its counter), with `entry` in the same change.
/// The stored counter settles parallel answers and copies: one
/// conditional write (`record_key_use`); a count that did not rise is a
/// possible clone.
async fn record_use(
    mfa: &Mfa<'_>,
    signed: Signed,
    entry: Option<callrec_store::NewAuditEntry>,
    now: i64,
) -> Result<Result<(), KeyRefusal>, Error> {
    let mut write = mfa.store.write(now).await?;
    if !write
        .record_key_use(signed.id, &signed.credential, signed.counter)
        .await?
    {
        return Ok(Err(KeyRefusal::PossibleClone));
    }
    match entry {
        Some(entry) => write.commit_with(entry).await?,
        None => write.commit().await?,
    }
    Ok(Ok(()))
}

/// Checks the answer against the challenge and the user's keys (read
/// before any change is opened): the key that signed, or why not.
async fn verify_answer(
    mfa: &Mfa<'_>,
    user: &User,
    state: &str,
    answer: &str,
) -> Result<Result<Signed, KeyRefusal>, Error> {
    let keys = relying_party(mfa)?;
    let state: SecurityKeyAuthentication = serde_json::from_str(state).map_err(state_error)?;
    let Ok(answer) = serde_json::from_str::<PublicKeyCredential>(answer) else {
        return Ok(Err(KeyRefusal::Invalid));
    };
    let result = match keys
        .webauthn
        .finish_securitykey_authentication(&answer, &state)
    {
        Ok(result) => result,
        Err(err) => return Ok(Err(KeyRefusal::from_webauthn(&err))),
    };
    for (stored, mut key) in usable_keys(mfa, user.id).await? {
        if key.update_credential(&result).is_none() {
            continue;
        }
        return Ok(Ok(Signed {
            id: stored.id,
            name: stored.name,
            credential: json(&key)?,
            counter: i64::from(result.counter()),
        }));
    }
    Ok(Err(KeyRefusal::Invalid))
}
