//! Audit entries written once per key and window: a player's many ranges
//! are one play, an integration's many searches one read.

use crate::Error;
use callrec_domain::throttle::ThrottleScope;
use callrec_store::{NewAuditEntry, Reservation, Store, ThrottleWindow};

/// One entry per key in this window.
const WINDOW: ThrottleWindow = ThrottleWindow {
    seconds: 600,
    limit: 1,
};

/// Writes `entry` unless one was written for `key` in the last ten
/// minutes. The key is reserved first (one conditional write, so parallel
/// requests write one entry); if the entry then cannot be written, the key
/// is given back and the error returned: no entry, no answer, and the next
/// request tries again.
pub async fn audit_once(
    store: &Store,
    key: &str,
    entry: NewAuditEntry,
    now: i64,
) -> Result<(), Error> {
    let reserved = store
        .reserve_attempt(ThrottleScope::PlayAudit, key, now, WINDOW)
        .await?;
    if let Reservation::Reserved(_) = reserved {
        if let Err(err) = store.audit(entry, now).await {
            store.release_attempt(ThrottleScope::PlayAudit, key).await?;
            return Err(err.into());
        }
    }
    Ok(())
}
