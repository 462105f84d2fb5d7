//! Hearing and taking audio, for the Recordings page and the API alike:
//! the rule that audits each reading. The whole file is a download,
//! audited every time; a part is a play, audited once per reader and
//! recording in ten minutes, whatever ranges a player asks for (security
//! review, item 7; wave 2, item 8). `Reading` (the domain) decides which
//! a request is.

use crate::audit::once::audit_once;
use crate::audit::AuditContext;
use crate::Error;
use callrec_domain::audit::AuditAction;
use callrec_domain::range::Reading;
use callrec_store::{Recording, Store};

/// Audits `reading` of `recording` before any of it is sent. `reader_key`
/// tells one reader's plays from another's (a session, or an API token).
pub async fn record_reading(
    store: &Store,
    audit: &AuditContext,
    reader_key: &str,
    recording: &Recording,
    reading: Reading,
) -> Result<(), Error> {
    let action = match reading {
        Reading::Play => AuditAction::RecordingPlayed,
        Reading::Download => AuditAction::RecordingDownloaded,
    };
    let entry = audit
        .entry(action)
        .company(recording.company_id)
        .target(recording.id.as_str());
    match reading {
        Reading::Download => Ok(store.audit(entry, audit.now).await?),
        Reading::Play => {
            let play_key = format!("{reader_key}:{}", recording.id);
            audit_once(store, &play_key, entry, audit.now).await
        }
    }
}
