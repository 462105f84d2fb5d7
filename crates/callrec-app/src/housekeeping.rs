//! What every node does at start and then every ten minutes: remove audio
//! files no recording points at, expired sessions and stale counters.

use crate::Error;
use callrec_domain::security_key::CEREMONY_SECONDS;
use callrec_store::{BlobStore, SessionTimeouts, Store};
use std::time::{Duration, SystemTime};

/// Audio files no recording points at (a crash between storing the file and
/// committing its row) and leftover partial uploads are removed, once older
/// than `grace`: another node may be half-way through an upload. Returns
/// how many were removed.
pub async fn remove_orphans(
    store: &Store,
    blobs: &BlobStore,
    grace: Duration,
) -> Result<usize, Error> {
    let failed =
        |err: std::io::Error| Error::Internal(format!("cannot tidy the audio folder: {err}"));
    let cutoff = SystemTime::now() - grace;
    let old_enough = |path: &std::path::Path| {
        std::fs::metadata(path)
            .and_then(|m| m.modified())
            .is_ok_and(|modified| modified <= cutoff)
    };
    let (keys, partials) = blobs.scan().await.map_err(failed)?;
    let mut removed = 0;
    for partial in partials.iter().filter(|p| old_enough(p)) {
        if std::fs::remove_file(partial).is_ok() {
            removed += 1;
        }
    }
    let used = store.storage_keys().await?;
    for key in keys.difference(&used) {
        let old = blobs.path_of(key).is_some_and(|path| old_enough(&path));
        // Checked again under the key's lock, in case a row arrived meanwhile.
        if old && store.remove_audio_if_unused(key, blobs).await? {
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
