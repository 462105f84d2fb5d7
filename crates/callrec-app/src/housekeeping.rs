//! What every node does at start and then every ten minutes: remove audio
//! files no recording points at, expired sessions and stale counters.

use crate::Error;
use callrec_domain::security_key::CEREMONY_SECONDS;
use callrec_store::{BlobStore, SessionTimeouts, Store};
use std::time::{Duration, SystemTime};

/// How many noted uploads one sweep looks at.
const SWEEP_BATCH: i64 = 1_000;

/// Removes what uploads left behind once older than `grace` (another node
/// may be half-way through an upload): this node's spool files, and audio
/// placed by an upload whose row never arrived (a crash between the two),
/// found through its note in `pending_audio` — never by listing the whole
/// store, which for a bucket of a million objects would take minutes at
/// every start. Returns how many were removed.
pub async fn remove_orphans(
    store: &Store,
    blobs: &BlobStore,
    grace: Duration,
    now: i64,
) -> Result<usize, Error> {
    let failed = Error::io("cannot tidy the audio");
    let cutoff = SystemTime::now() - grace;
    let mut removed = 0;
    for partial in blobs.spool_leftovers().await.map_err(&failed)? {
        let old = std::fs::metadata(&partial)
            .and_then(|m| m.modified())
            .is_ok_and(|modified| modified <= cutoff);
        if old && std::fs::remove_file(&partial).is_ok() {
            removed += 1;
        }
    }
    Ok(removed + remove_unfinished_uploads(store, blobs, grace, now).await?)
}

/// While a node serves, its spool holds its own uploads in flight, so only
/// the noted uploads are swept, and only once this old: a note is made when
/// a body has arrived, and placing a large file in a slow bucket takes a
/// while. Start-up sweeps the spool too ([`remove_orphans`]).
pub const SERVING_SWEEP_GRACE: Duration = Duration::from_secs(3600);

/// Audio placed by uploads whose row never arrived, found through their
/// notes older than `grace`; returns how many files were removed.
pub async fn remove_unfinished_uploads(
    store: &Store,
    blobs: &BlobStore,
    grace: Duration,
    now: i64,
) -> Result<usize, Error> {
    let mut removed = 0;
    let noted_before = now - grace.as_secs() as i64;
    for key in store.stale_pending_audio(noted_before, SWEEP_BATCH).await? {
        // Checked again under the key's lock, in case a row arrived meanwhile.
        if store.remove_audio_if_unused(&key, blobs).await? {
            removed += 1;
        }
        store.forget_pending_audio(&key, noted_before).await?;
    }
    Ok(removed)
}

/// Of the files at `keys`, removes those no recording uses (each checked
/// under its key's lock); returns how many.
pub async fn remove_unused_audio<'k>(
    store: &Store,
    blobs: &BlobStore,
    keys: impl IntoIterator<Item = &'k str>,
) -> Result<usize, Error> {
    let mut removed = 0;
    for key in keys {
        if store.remove_audio_if_unused(key, blobs).await? {
            removed += 1;
        }
    }
    Ok(removed)
}

/// How long sent and given-up mail is kept (as a record; its bodies are
/// emptied when it is sent or given up).
const KEEP_MAIL_SECONDS: i64 = 30 * 86_400;

/// Expired sessions, failure counters older than the longest window, old
/// mail, spent password links and security-key ceremonies never finished.
/// Returns (sessions, counters) removed.
pub async fn purge(
    store: &Store,
    now: i64,
    timeouts: SessionTimeouts,
    longest_window: i64,
) -> Result<(u64, u64), Error> {
    let sessions = store.purge_expired_sessions(now, timeouts).await?;
    let counters = store.purge_stale_counters(now, longest_window).await?;
    store.purge_mail(now - KEEP_MAIL_SECONDS, now).await?;
    store.purge_ceremonies(now - CEREMONY_SECONDS).await?;
    Ok((sessions, counters))
}

/// Notes each company's MFA adoption for today (UTC) for the dashboard's
/// chart; later runs the same day replace the figures.
pub async fn note_mfa_adoption(store: &Store, now: i64) -> Result<(), Error> {
    let today = callrec_domain::time::format_utc(now);
    store.note_mfa_adoption(&today[..10]).await?;
    Ok(())
}

/// Nodes whose clocks differ from the database server's by more than this
/// disagree about which 30-second code is current: TOTP breaks.
pub const CLOCK_TOLERANCE_MS: i64 = 5_000;

/// How far this node's clock is ahead of the database server's (negative:
/// behind), in milliseconds, when the two differ by more than
/// `CLOCK_TOLERANCE_MS`; `None` when they agree or the database is SQLite
/// in this process.
pub async fn clock_drift(store: &Store, node_now_ms: i64) -> Result<Option<i64>, Error> {
    let Some(server) = store.server_time_ms().await? else {
        return Ok(None);
    };
    let offset = node_now_ms - server;
    Ok((offset.abs() > CLOCK_TOLERANCE_MS).then_some(offset))
}

/// "12.3 s ahead of" / "4.0 s behind" the database server.
pub fn drift_words(offset_ms: i64) -> String {
    let way = if offset_ms > 0 { "ahead of" } else { "behind" };
    format!(
        "this node's clock is {:.1} s {way} the database server's: TOTP codes fail when clocks differ; synchronise them (NTP)",
        offset_ms.abs() as f64 / 1000.0
    )
}
