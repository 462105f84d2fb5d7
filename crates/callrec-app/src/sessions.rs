//! Signed-in sessions: a 256-bit random id (the browser's cookie), kept
//! only as its SHA-256. A new id at every sign-in and after MFA, so an id
//! planted before either is worthless; signing out is audited with the
//! session's end, in one change.

use crate::audit::AuditContext;
use crate::Error;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use callrec_domain::audit::AuditAction;
use callrec_domain::SessionFacts;
use callrec_store::{Store, User};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// What the database keeps of a session id.
pub fn hash_session_id(id: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(id.as_bytes()))
}

/// A new session for `user`, ending `replacing` (the session it follows,
/// by hash) in the same change; MFA passed in `facts` only when a second
/// factor was just accepted (or the company's provider's counts). Returns
/// the id for the cookie.
pub async fn start_session(
    store: &Store,
    user: &User,
    replacing: Option<&str>,
    facts: SessionFacts,
    audit: &AuditContext,
) -> Result<String, Error> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let id = URL_SAFE_NO_PAD.encode(bytes);
    let mut write = store.write(audit.now).await?;
    if let Some(previous) = replacing {
        write.delete_session(previous).await?;
    }
    write
        .create_session(&hash_session_id(&id), user.id, &audit.client, facts)
        .await?;
    write.commit().await?;
    Ok(id)
}

/// Ends a session that may no longer be used (its user or company was
/// disabled, its temporary password expired, its sign-in was abandoned).
pub async fn end_session(store: &Store, session_hash: &str, now: i64) -> Result<(), Error> {
    let mut write = store.write(now).await?;
    write.delete_session(session_hash).await?;
    Ok(write.commit().await?)
}

/// Sign out: the session ends and the log says so.
pub async fn sign_out(
    store: &Store,
    user: &User,
    session_hash: &str,
    audit: &AuditContext,
) -> Result<(), Error> {
    let mut write = store.write(audit.now).await?;
    write.delete_session(session_hash).await?;
    Ok(write
        .commit_with(audit.entry_on(AuditAction::SignedOut, user))
        .await?)
}
