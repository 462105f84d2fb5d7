//! Hearing and taking audio, for the Recordings page and the API alike:
//! the rule that audits each reading, the integrity gate before a whole
//! file leaves, and the stream itself. The whole file is a download,
//! audited every time; a part is a play, audited once per reader and
//! recording in ten minutes, whatever ranges a player asks for (security
//! review, item 7; wave 2, item 8). `Reading` (the domain) decides which
//! a request is.

use crate::audit::once::audit_once;
use crate::audit::AuditContext;
use crate::integrity::{self, Integrity, READ_BYTES};
use crate::sealing::{open_audio, AudioReader, DataKeys, Opened};
use crate::Error;
use callrec_domain::audit::AuditAction;
use callrec_domain::hex::hex;
use callrec_domain::range::Reading;
use callrec_store::{BlobStore, Recording, Store};
use futures_util::Stream;
use sha2::{Digest, Sha256};
use std::io::{Read, Seek, SeekFrom};

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

/// Where the audio comes from, and who is told how checks went (the
/// portal's metrics).
pub struct Source<'a> {
    pub store: &'a Store,
    pub blobs: &'a BlobStore,
    pub keys: &'a DataKeys,
    /// Called with every integrity verdict.
    pub checked: fn(Integrity),
}

/// Audio that may be sent.
pub struct Ready {
    reader: AudioReader,
    size: u64,
    /// A whole sealed file's first piece, read (and so authenticated)
    /// before the response starts; the rest is checked as it streams.
    sealed_first: Option<Vec<u8>>,
    /// What a failed check on the way is recorded as.
    failure: Failure,
}

/// What a request for audio gets.
pub enum Playback {
    Ready(Box<Ready>),
    /// The integrity failure that kept it from being served, already
    /// audited, for the page or the API to say in its own way.
    Unavailable(Integrity),
}

/// Opens `recording`'s audio for `reading` by `audit`'s reader, once the
/// reading is audited: a whole file is checked against its fingerprint
/// first (a plain one hashed whole; a sealed one opened and then checked
/// as it streams), and any failure is audited.
pub async fn open_reading(
    source: &Source<'_>,
    recording: &Recording,
    reading: Reading,
    reader_key: &str,
    audit: &AuditContext,
) -> Result<Playback, Error> {
    record_reading(source.store, audit, reader_key, recording, reading).await?;
    let failure = Failure {
        store: source.store.clone(),
        recording: recording.clone(),
        audit: audit.clone(),
        checked: source.checked,
    };
    let reader = match open_audio(
        source.store,
        source.blobs,
        source.keys,
        &recording.storage_key,
    )
    .await?
    {
        Opened::Audio(reader) => reader,
        Opened::Missing => return failure.refuse(Integrity::Missing).await,
        Opened::Malformed => return failure.refuse(Integrity::Altered).await,
    };
    let size = reader.len();
    let mut ready = Ready {
        reader,
        size,
        sealed_first: None,
        failure,
    };
    if reading == Reading::Download {
        if ready.reader.is_sealed() {
            match read_piece(ready.reader, 0, size).await {
                (Some(back), Ok(first)) => {
                    ready.reader = back;
                    ready.sealed_first = Some(first);
                }
                _ => return ready.failure.refuse(Integrity::Altered).await,
            }
        } else {
            let (matches, checked) =
                integrity::reader_matches(ready.reader, &recording.sha256).await?;
            if !matches {
                return ready.failure.refuse(Integrity::Altered).await;
            }
            (source.checked)(Integrity::Intact);
            ready.reader = checked;
        }
    }
    Ok(Playback::Ready(Box::new(ready)))
}

impl Ready {
    /// The audio's size as stored (the size checked, not whatever was
    /// appended since).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// `length` bytes from `start`, READ_BYTES at a time, read ahead of
    /// the client by a task of their own (AHEAD pieces). A read that fails
    /// (a sealed chunk that does not open) breaks the stream rather than
    /// ending it as if complete. A whole sealed file is checked as it goes
    /// — each piece hashed on one thread while the next opens on another —
    /// and its last piece is sent only once the whole matches the
    /// fingerprint (docs/BENCHMARKS.md, download).
    pub fn stream(
        self,
        start: u64,
        length: u64,
    ) -> impl Stream<Item = std::io::Result<Vec<u8>>> + Send + 'static {
        let (tx, rx) = tokio::sync::mpsc::channel(AHEAD);
        // A task that panicked would close the channel like a finished
        // stream: its end is watched, and a failure breaks the stream.
        let watcher = tx.clone();
        let producer = tokio::spawn(async move {
            let Ready {
                reader,
                sealed_first,
                failure,
                size,
            } = self;
            match sealed_first {
                Some(first) => {
                    let at = first.len() as u64;
                    send_checked(reader, first, at, size - at, failure, tx).await
                }
                None => send_range(reader, start, length, tx).await,
            }
        });
        tokio::spawn(async move {
            if producer.await.is_err() {
                let _ = watcher
                    .send(Err(broken("the audio stopped part-way")))
                    .await;
            }
        });
        futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        })
    }
}

/// Pieces read ahead of the client: with reading, hashing and sending on
/// their own threads a whole sealed download went from 845 to 1,011 MB/s
/// median (bench/download.sh, docs/BENCHMARKS.md).
const AHEAD: usize = 2;

type Pieces = tokio::sync::mpsc::Sender<std::io::Result<Vec<u8>>>;

/// Sends `left` bytes from `at`; a client gone ends it.
async fn send_range(mut reader: AudioReader, mut at: u64, mut left: u64, tx: Pieces) {
    while left > 0 {
        let (back, piece) = match read_piece(reader, at, left).await {
            (Some(back), Ok(piece)) => (back, piece),
            (_, read) => {
                let err = read.err().unwrap_or_else(|| broken("a read failed"));
                return stopped(&tx, err, None).await;
            }
        };
        let n = piece.len() as u64;
        if tx.send(Ok(piece)).await.is_err() {
            return;
        }
        (reader, at, left) = (back, at + n, left - n);
    }
}

/// Sends a whole file from its `held` first piece, checking it as it
/// goes: a piece is hashed while the next one is read, and goes out once
/// that one has opened; the last waits for the whole hash.
async fn send_checked(
    mut reader: AudioReader,
    mut held: Vec<u8>,
    mut at: u64,
    mut left: u64,
    failure: Failure,
    tx: Pieces,
) {
    let mut hasher = Sha256::new();
    loop {
        let hashing = tokio::task::spawn_blocking(move || {
            hasher.update(&held);
            (hasher, held)
        });
        if left == 0 {
            let Ok((hasher, last)) = hashing.await else {
                return stopped(&tx, broken("the hash stopped"), Some(&failure)).await;
            };
            if hex(&hasher.finalize()) == failure.recording.sha256 {
                (failure.checked)(Integrity::Intact);
                let _ = tx.send(Ok(last)).await;
            } else {
                failure.record(Integrity::Altered).await;
                let _ = tx.send(Err(broken("the audio is not the recording"))).await;
            }
            return;
        }
        let (hashed, (back, read)) = tokio::join!(hashing, read_piece(reader, at, left));
        let Ok((next_hasher, previous)) = hashed else {
            return stopped(&tx, broken("the hash stopped"), Some(&failure)).await;
        };
        let (back, piece) = match (back, read) {
            (Some(back), Ok(piece)) => (back, piece),
            (_, read) => {
                let err = read.err().unwrap_or_else(|| broken("a read failed"));
                return stopped(&tx, err, Some(&failure)).await;
            }
        };
        if tx.send(Ok(previous)).await.is_err() {
            return;
        }
        let n = piece.len() as u64;
        (reader, hasher, held, at, left) = (back, next_hasher, piece, at + n, left - n);
    }
}

/// Ends a stream part-way with `err` (a checked one audited as altered).
async fn stopped(tx: &Pieces, err: std::io::Error, checked: Option<&Failure>) {
    tracing::error!("audio stopped part-way: {err}");
    if let Some(failure) = checked {
        failure.record(Integrity::Altered).await;
    }
    let _ = tx.send(Err(broken("the audio stopped part-way"))).await;
}

fn broken(why: &'static str) -> std::io::Error {
    std::io::Error::other(why)
}

/// What a failed check is recorded as: audited, and told to `checked`.
struct Failure {
    store: Store,
    recording: Recording,
    audit: AuditContext,
    checked: fn(Integrity),
}

impl Failure {
    async fn record(&self, integrity: Integrity) {
        (self.checked)(integrity);
        if let Err(err) =
            integrity::record_failure(&self.store, &self.recording, integrity, &self.audit).await
        {
            tracing::error!("could not audit an integrity failure: {err}");
        }
    }

    /// Refuses to serve, once the failure is audited.
    async fn refuse(self, integrity: Integrity) -> Result<Playback, Error> {
        (self.checked)(integrity);
        integrity::record_failure(&self.store, &self.recording, integrity, &self.audit).await?;
        Ok(Playback::Unavailable(integrity))
    }
}

/// Up to READ_BYTES of `reader` from `at` (fewer only at the end), read on
/// a blocking thread; the reader comes back with them.
async fn read_piece(
    reader: AudioReader,
    at: u64,
    left: u64,
) -> (Option<AudioReader>, std::io::Result<Vec<u8>>) {
    let read = tokio::task::spawn_blocking(move || {
        let mut reader = reader;
        let want = READ_BYTES.min(usize::try_from(left).unwrap_or(READ_BYTES));
        let mut buffer = vec![0u8; want];
        // Filled whole (a sealed file reads a chunk at a time): one hop to
        // the blocking pool per READ_BYTES.
        let result = reader.seek(SeekFrom::Start(at)).and_then(|_| {
            let mut filled = 0;
            while filled < want {
                match reader.read(&mut buffer[filled..])? {
                    0 => break,
                    n => filled += n,
                }
            }
            buffer.truncate(filled);
            Ok(buffer)
        });
        (reader, result)
    })
    .await;
    match read {
        Ok((reader, Ok(piece))) if piece.is_empty() && left > 0 => {
            (Some(reader), Err(broken("the audio ended early")))
        }
        Ok((reader, result)) => (Some(reader), result),
        Err(err) => (None, Err(std::io::Error::other(err))),
    }
}
