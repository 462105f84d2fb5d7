//! Whether a recording's audio is still the bytes that were ingested: its
//! SHA-256 against the one taken at ingest. Checked whenever a whole file
//! is served, and for every file by `callrec verify`.

use crate::audit::AuditContext;
use crate::sealing::{open_audio, AudioReader, DataKeys, Opened};
use crate::Error;
use callrec_domain::audit::AuditAction;
use callrec_domain::hex::hex;
use callrec_domain::CompanyId;
use callrec_store::{BlobStore, Recording, Store};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom};
use std::time::{Duration, SystemTime};
use tokio::sync::Semaphore;

/// Audio is streamed in reads of this size: 190 MB on loopback went at
/// 125 MB/s with 4 KiB reads, 1.5 GB/s with 64 KiB and 2.4 GB/s with
/// 256 KiB (docs/BENCHMARKS.md, download); 100 downloads at once hold
/// 25 MB of buffers.
pub const READ_BYTES: usize = 256 * 1024;

/// The check reads in larger pieces: it only feeds the hash.
const HASH_READ_BYTES: usize = 1024 * 1024;

/// What a stored file says about its recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integrity {
    Intact,
    /// No file where the recording points.
    Missing,
    /// A file, but not the bytes that were ingested.
    Altered,
}

impl Integrity {
    /// A short stable name (metrics labels).
    pub fn code(self) -> &'static str {
        match self {
            Integrity::Intact => "intact",
            Integrity::Missing => "missing",
            Integrity::Altered => "altered",
        }
    }

    /// For the audit log and the operator.
    pub fn describe(self) -> &'static str {
        match self {
            Integrity::Intact => "intact",
            Integrity::Missing => "audio file missing",
            Integrity::Altered => {
                "audio file altered: its SHA-256 differs from the one taken at ingest"
            }
        }
    }
}

/// Whole-file checks running at once: each reads a file on a blocking
/// thread, and repeated plays of a large file must not fill the blocking
/// pool (which every file operation shares) or the disk.
static CHECKS: Semaphore = Semaphore::const_new(4);

/// Whether the audio `reader` holds hashes to `sha256` (hex): read from
/// its start on one blocking thread in 1 MiB reads (through tokio's file,
/// a hop to the blocking pool per read, the check ran at half the speed;
/// docs/BENCHMARKS.md, download). Sealed audio that does not open counts
/// as not matching. The reader comes back at its start, to be streamed.
pub async fn reader_matches(
    reader: AudioReader,
    sha256: &str,
) -> Result<(bool, AudioReader), Error> {
    let _permit = CHECKS
        .acquire()
        .await
        .map_err(|err| Error::Internal(format!("integrity check: {err}")))?;
    let internal = Error::io("integrity check");
    let (actual, reader) = tokio::task::spawn_blocking(move || -> std::io::Result<_> {
        let mut reader = reader;
        reader.seek(SeekFrom::Start(0))?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; HASH_READ_BYTES];
        loop {
            let read = match reader.read(&mut buffer) {
                Ok(read) => read,
                Err(err) if err.kind() == std::io::ErrorKind::InvalidData => {
                    return Ok((None, reader));
                }
                Err(err) => return Err(err),
            };
            if read == 0 {
                reader.seek(SeekFrom::Start(0))?;
                return Ok((Some(hex(&hasher.finalize())), reader));
            }
            hasher.update(&buffer[..read]);
        }
    })
    .await?
    .map_err(&internal)?;
    Ok((actual.as_deref() == Some(sha256), reader))
}

/// Hashes the audio at `key` (opened through its company's data key when
/// sealed) and compares it with `sha256` (hex).
pub async fn check_key(
    store: &Store,
    blobs: &BlobStore,
    keys: &DataKeys,
    key: &str,
    sha256: &str,
) -> Result<Integrity, Error> {
    match open_audio(store, blobs, keys, key).await? {
        Opened::Missing => Ok(Integrity::Missing),
        Opened::Malformed => Ok(Integrity::Altered),
        Opened::Audio(reader) => Ok(if reader_matches(reader, sha256).await?.0 {
            Integrity::Intact
        } else {
            Integrity::Altered
        }),
    }
}

/// An integrity failure met while serving: audited against the recording's
/// company and logged for the operator.
pub async fn record_failure(
    store: &Store,
    recording: &Recording,
    integrity: Integrity,
    audit: &AuditContext,
) -> Result<(), Error> {
    tracing::error!(
        recording = %recording.id,
        key = %recording.storage_key,
        "integrity failure: {}",
        integrity.describe()
    );
    let entry = audit
        .entry(AuditAction::RecordingIntegrityFailed)
        .company(recording.company_id)
        .target(recording.id.as_str())
        .details(integrity.describe());
    store.audit(entry, audit.now).await?;
    Ok(())
}

/// What `callrec verify` found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Recordings whose audio was checked.
    pub checked: u64,
    /// Ids of recordings whose audio is missing.
    pub missing: Vec<String>,
    /// Ids of recordings whose audio is not what was ingested.
    pub altered: Vec<String>,
    /// Stored files no recording points at.
    pub orphaned: Vec<String>,
    /// Transcripts kept.
    pub transcripts: u64,
    /// Ids of recordings whose transcript's seal does not open.
    pub unreadable_transcripts: Vec<String>,
}

impl VerifyReport {
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty()
            && self.altered.is_empty()
            && self.orphaned.is_empty()
            && self.unreadable_transcripts.is_empty()
    }
}

/// Re-hashes the audio of every recording (of `company`, or all), each
/// stored file once however many recordings share it, calling `progress`
/// with (done, total) as it goes; then lists the stored files no
/// recording points at, once older than `grace` (an upload may be
/// half-way: its file is written before its row).
pub async fn verify_all(
    store: &Store,
    blobs: &BlobStore,
    keys: &DataKeys,
    company: Option<CompanyId>,
    grace: Duration,
    mut progress: impl FnMut(u64, u64),
) -> Result<VerifyReport, Error> {
    let total = u64::try_from(store.count_recordings(company).await?).unwrap_or(0);
    let mut report = VerifyReport::default();
    // A file shared by several recordings is hashed once per fingerprint.
    let mut seen: HashMap<(String, String), Integrity> = HashMap::new();
    let mut after: Option<String> = None;
    loop {
        let batch = store
            .recording_audio_after(company, after.as_deref(), 1000)
            .await?;
        let Some(last) = batch.last() else {
            break;
        };
        after = Some(last.id.clone());
        for audio in batch {
            let known = (audio.storage_key.clone(), audio.sha256.clone());
            let integrity = match seen.get(&known) {
                Some(known) => *known,
                None => {
                    let found =
                        check_key(store, blobs, keys, &audio.storage_key, &audio.sha256).await?;
                    seen.insert(known, found);
                    found
                }
            };
            match integrity {
                Integrity::Intact => {}
                Integrity::Missing => report.missing.push(audio.id),
                Integrity::Altered => report.altered.push(audio.id),
            }
            report.checked += 1;
            progress(report.checked, total.max(report.checked));
        }
    }
    let (stored, _) = blobs
        .scan()
        .await
        .map_err(Error::io("cannot read the audio folder"))?;
    let used: HashSet<String> = store.storage_keys().await?;
    let prefix = company.map(|c| format!("c{}/", c.0));
    let cutoff = SystemTime::now() - grace;
    let mut orphaned = Vec::new();
    for key in stored
        .into_iter()
        .filter(|key| !used.contains(key))
        .filter(|key| prefix.as_ref().is_none_or(|p| key.starts_with(p)))
    {
        let modified = blobs
            .modified(&key)
            .await
            .map_err(Error::io(format!("cannot read {key}")))?;
        if modified.is_some_and(|modified| modified <= cutoff) {
            orphaned.push(key);
        }
    }
    orphaned.sort();
    report.orphaned = orphaned;
    // Transcripts are sealed like the audio: each must still open.
    let companies = match company {
        Some(company) => vec![company],
        None => store
            .list_companies()
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect(),
    };
    for company in companies {
        let (kept, unreadable) =
            crate::transcription::kept::check_transcripts(store, keys, company).await?;
        report.transcripts += kept;
        report.unreadable_transcripts.extend(unreadable);
    }
    Ok(report)
}
