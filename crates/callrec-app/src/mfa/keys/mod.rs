//! Security keys and passkeys (WebAuthn) as a second factor, with
//! webauthn-rs: My MFA → Add security key, "Use security key" at sign-in,
//! Remove. Each ceremony's server half waits in the database between its
//! two requests, so any node finishes what another started, and a
//! challenge answers once.

mod check;

pub(in crate::mfa) use check::key_confirms;
pub use check::{finish_key_sign_in, start_key_check};

use super::Mfa;
use crate::audit::AuditContext;
use crate::mail::NoticeKind;
use crate::Error;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use callrec_domain::audit::AuditAction;
use callrec_domain::security_key::{ceremony_open, Ceremony};
use callrec_domain::MfaPolicy;
use callrec_domain::{KeyName, UserId, ValidationError};
use callrec_store::{NewKey, StoreError, StoredKey, User};

use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{
    RegisterPublicKeyCredential, SecurityKey, SecurityKeyRegistration, Url, Uuid, Webauthn,
    WebauthnBuilder, WebauthnError,
};

/// The portal as a WebAuthn relying party: its id is the host of
/// `CALLREC_PUBLIC_URL`, and only that origin's browsers are answered.
pub struct SecurityKeys {
    webauthn: Webauthn,
}

impl std::fmt::Debug for SecurityKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecurityKeys")
    }
}

impl SecurityKeys {
    /// The relying party at `public_url`, or why there can be none (an IP
    /// address is no relying-party id: browsers want a domain name, and
    /// `localhost` counts as one).
    pub fn for_public_url(public_url: &str, name: &str) -> Result<SecurityKeys, String> {
        let url = Url::parse(public_url).map_err(|err| format!("{public_url}: {err}"))?;
        let host = url
            .domain()
            .ok_or_else(|| {
                format!("{public_url} has no domain name (an IP address cannot hold security keys)")
            })?
            .to_string();
        // A key is the second factor after the password, as U2F keys were:
        // a touch (user presence) is asked, not a PIN. Asking Chromium for
        // webauthn-rs's default credProtect on a non-resident key is refused
        // ("protection policy is inconsistent"), and keys without a PIN
        // could not register at all.
        let webauthn = WebauthnBuilder::new(&host, &url)
            .map(|builder| builder.danger_set_user_presence_only_security_keys(true))
            .and_then(|builder| builder.rp_name(name).build())
            .map_err(|err| format!("{public_url}: {err}"))?;
        Ok(SecurityKeys { webauthn })
    }
}

/// Why a key's answer was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefusal {
    /// No ceremony of this session, or it ran out: start again.
    Expired,
    /// Signed for another site, or at another address of this one.
    WrongOrigin,
    /// The key's counter did not rise: a copy of the key signed.
    PossibleClone,
    /// Not a valid answer, or from a key not registered here.
    Invalid,
}

impl KeyRefusal {
    pub fn message(self) -> &'static str {
        match self {
            KeyRefusal::Expired => "That took too long. Try again.",
            KeyRefusal::WrongOrigin => "The security key answered for another address. Open the portal at its own address and try again.",
            KeyRefusal::PossibleClone => "This security key was refused: its use count went backwards, which happens when a key has been copied. Use another way to sign in and tell your administrator.",
            KeyRefusal::Invalid => "The security key was not accepted. Try again, or use another way to sign in.",
        }
    }

    fn audit_details(self) -> &'static str {
        match self {
            KeyRefusal::Expired => "ceremony expired",
            KeyRefusal::WrongOrigin => "wrong origin",
            KeyRefusal::PossibleClone => "counter did not rise: possible clone",
            KeyRefusal::Invalid => "invalid answer",
        }
    }

    fn from_webauthn(err: &WebauthnError) -> KeyRefusal {
        match err {
            WebauthnError::InvalidRPOrigin | WebauthnError::CredentialCrossOrigin => {
                KeyRefusal::WrongOrigin
            }
            WebauthnError::CredentialPossibleCompromise => KeyRefusal::PossibleClone,
            _ => KeyRefusal::Invalid,
        }
    }
}

/// What Add security key comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyAdded {
    Added,
    /// The key is registered already, here or to another account.
    Duplicate,
    Refused(KeyRefusal),
}

/// Add's server half: the name typed, and webauthn-rs's state.
#[derive(Serialize, Deserialize)]
struct AddState {
    name: String,
    registration: SecurityKeyRegistration,
}

fn relying_party<'a>(mfa: &Mfa<'a>) -> Result<&'a SecurityKeys, Error> {
    mfa.keys.ok_or_else(|| {
        Error::Invalid(ValidationError::new(
            "name",
            "Security keys need the portal's public address with a domain name (CALLREC_PUBLIC_URL).",
        ))
    })
}

fn state_error(source: serde_json::Error) -> Error {
    Error::Json {
        what: "a security-key ceremony",
        source,
    }
}

fn json<T: Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(state_error)
}

/// The user's keys that can be read; an unreadable one is logged and left
/// out, so it cannot lock its owner out of the others.
async fn usable_keys(mfa: &Mfa<'_>, user: UserId) -> Result<Vec<(StoredKey, SecurityKey)>, Error> {
    Ok(mfa
        .store
        .security_keys(user)
        .await?
        .into_iter()
        .filter_map(|stored| match serde_json::from_str(&stored.credential) {
            Ok(key) => Some((stored, key)),
            Err(err) => {
                tracing::error!(key = stored.id, "unreadable security key left out: {err}");
                None
            }
        })
        .collect())
}

/// My MFA → Add security key, first half: the options for the browser's
/// `navigator.credentials.create` (keys already added are excluded).
pub async fn start_adding_key(
    mfa: Mfa<'_>,
    user: &User,
    session: &str,
    name: &KeyName,
    now: i64,
) -> Result<serde_json::Value, Error> {
    let keys = relying_party(&mfa)?;
    let exclude = usable_keys(&mfa, user.id)
        .await?
        .into_iter()
        .map(|(_, key)| key.cred_id().clone())
        .collect();
    let (options, registration) = keys
        .webauthn
        .start_securitykey_registration(
            Uuid::from_bytes(mfa.keyring.user_handle(user.id)),
            &user.username,
            &user.display_name,
            Some(exclude),
            None,
            None,
        )
        .map_err(|source| Error::WebAuthn {
            what: "registration options",
            source,
        })?;
    let state = AddState {
        name: name.as_str().to_string(),
        registration,
    };
    mfa.store
        .put_ceremony(session, Ceremony::Add, &json(&state)?, now)
        .await?;
    serde_json::to_value(options).map_err(state_error)
}

/// The server half of `kind` for `session`, if it is still open.
async fn take_open(
    mfa: &Mfa<'_>,
    session: &str,
    kind: Ceremony,
    now: i64,
) -> Result<Option<String>, Error> {
    Ok(mfa
        .store
        .take_ceremony(session, kind)
        .await?
        .filter(|(_, started)| ceremony_open(*started, now))
        .map(|(state, _)| state))
}

/// Add security key, second half: the browser's answer (JSON) checked
/// against the challenge; the key is kept under the name typed. Audited
/// and mailed.
pub async fn finish_adding_key(
    mfa: Mfa<'_>,
    user: &User,
    session: &str,
    answer: &str,
    audit: &AuditContext,
) -> Result<KeyAdded, Error> {
    let keys = relying_party(&mfa)?;
    let Some(state) = take_open(&mfa, session, Ceremony::Add, audit.now).await? else {
        return Ok(KeyAdded::Refused(KeyRefusal::Expired));
    };
    let state: AddState = serde_json::from_str(&state).map_err(state_error)?;
    let verified = serde_json::from_str::<RegisterPublicKeyCredential>(answer)
        .map_err(|_| KeyRefusal::Invalid)
        .and_then(|answer| {
            keys.webauthn
                .finish_securitykey_registration(&answer, &state.registration)
                .map_err(|err| KeyRefusal::from_webauthn(&err))
        });
    let key = match verified {
        Ok(key) => key,
        Err(refusal) => {
            refused(&mfa, user, refusal, audit).await?;
            return Ok(KeyAdded::Refused(refusal));
        }
    };
    let new = NewKey {
        user: user.id,
        name: &state.name,
        credential_id: &URL_SAFE_NO_PAD.encode(key.cred_id()),
        credential: &json(&key)?,
        counter: 0,
    };
    let mut write = mfa.store.write(audit.now).await?;
    match write.add_security_key(&new).await {
        Ok(_) => {}
        Err(StoreError::Conflict { .. }) => return Ok(KeyAdded::Duplicate),
        Err(err) => return Err(err.into()),
    }
    // The first factor turns the user's own MFA on (under MFA Available
    // it was theirs to choose): a key that is never asked for protects
    // nothing (acceptance check, wave 2, item 7). Rows first, entries
    // last, as in every change: the chain's lock is always taken last.
    let first =
        !user.mfa_registered && !user.mfa_opt_in && user.company_mfa_policy == MfaPolicy::Available;
    if first {
        write.set_mfa_opt_in(user.id, true).await?;
        // The key was just touched in this session: it has passed MFA.
        write.set_session_mfa_passed(session, true).await?;
    }
    write
        .audit(
            audit
                .entry_on(AuditAction::MfaKeyAdded, user)
                .details(format!("“{}”", state.name)),
        )
        .await?;
    if first {
        write
            .audit(
                audit
                    .entry_on(AuditAction::MfaOptedIn, user)
                    .details("with the first security key"),
            )
            .await?;
    }
    write.commit().await?;
    let kind = NoticeKind::KeyAdded { name: state.name };
    mfa.notify(user, kind, audit).await?;
    Ok(KeyAdded::Added)
}

/// A refused answer is audited; a possible copy is also mailed.
async fn refused(
    mfa: &Mfa<'_>,
    user: &User,
    refusal: KeyRefusal,
    audit: &AuditContext,
) -> Result<(), Error> {
    mfa.store
        .audit(
            audit
                .entry_on(AuditAction::MfaKeyRefused, user)
                .details(refusal.audit_details()),
            audit.now,
        )
        .await?;
    if refusal == KeyRefusal::PossibleClone {
        mfa.notify(user, NoticeKind::KeyPossiblyCopied, audit)
            .await?;
    }
    Ok(())
}

/// My MFA → Security keys → Remove, once presence is confirmed from the
/// session `session`: the user's other sessions end (one may have been
/// opened with a copy of the key); audited and mailed. False when the user
/// has no such key.
pub async fn remove_key(
    mfa: Mfa<'_>,
    user: &User,
    session: &str,
    id: i64,
    audit: &AuditContext,
) -> Result<bool, Error> {
    let mut write = mfa.store.write(audit.now).await?;
    let Some(name) = write.remove_security_key(user.id, id).await? else {
        return Ok(false);
    };
    write.delete_user_sessions(user.id, Some(session)).await?;
    let entry = audit
        .entry_on(AuditAction::MfaKeyRemoved, user)
        .details(format!("“{name}”"));
    write.commit_with(entry).await?;
    mfa.notify(user, NoticeKind::KeyRemoved { name }, audit)
        .await?;
    Ok(true)
}
