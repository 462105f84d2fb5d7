//! Delete and Restore: Delete moves a recording to Deleted recordings
//! (unless it is held), where it stays for `deleted_days` with Restore
//! until the purge job removes it. Both audited in the same transaction.

use crate::audit::AuditContext;
use crate::Error;
use callrec_domain::audit::AuditAction;
use callrec_domain::permissions::DataScope;
use callrec_domain::recording::RecordingId;
use callrec_store::{Binned, Recording, Restored, Store};

/// Moves `recording` (found in `scope`) to Deleted recordings.
pub async fn delete(
    store: &Store,
    recording: &Recording,
    scope: DataScope,
    audit: &AuditContext,
) -> Result<Binned, Error> {
    let entry = audit
        .entry(AuditAction::RecordingDeleted)
        .company(recording.company_id)
        .target(recording.id.as_str())
        .details("moved to Deleted recordings");
    Ok(store
        .move_to_bin(&recording.id, scope, audit.actor_name(), audit.now, entry)
        .await?)
}

/// Restores a deleted recording in `scope`.
pub async fn restore(
    store: &Store,
    id: &RecordingId,
    scope: DataScope,
    audit: &AuditContext,
) -> Result<Restored, Error> {
    let entry = |company| {
        audit
            .entry(AuditAction::RecordingRestored)
            .company(company)
            .target(id.as_str())
    };
    Ok(store.restore_recording(id, scope, audit.now, entry).await?)
}
