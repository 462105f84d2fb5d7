//! Download selected: a ZIP of recordings' audio, named
//! `<start>_<direction>_<from>_<to>_<id>.<ext>`, and `manifest.csv` (the
//! Recordings page's columns, the SHA-256, the size and what the check of
//! each file found). Written as it is sent: one read buffer at a time, no
//! file the size of the archive. Each file is hashed as it streams; one
//! that no longer matches its fingerprint is still sent (the archive is
//! evidence of what storage holds) but marked ALTERED in the manifest and
//! audited as an integrity failure; a missing one is left out and marked.

use crate::audit::AuditContext;
use crate::sealing::{open_audio, AudioReader, DataKeys, Opened};
use crate::Error;
use callrec_domain::audit::AuditAction;
use callrec_domain::csv::{csv_line, CALL_COLUMNS};
use callrec_domain::hex::hex;
use callrec_domain::recording::bulk_name;
use callrec_domain::zip::{ZipWriter, MAX_ENTRY};
use callrec_domain::zone::Zone;
use callrec_store::{BlobStore, Recording, Store};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io;
use std::io::Read;
use tokio::sync::mpsc::Sender;

/// Bytes read from a file at a time, and the most a chunk of the
/// archive holds.
const CHUNK: usize = 256 * 1024;

/// The manifest's header row.
fn manifest_header() -> Vec<&'static str> {
    let mut header = vec!["File"];
    header.extend(CALL_COLUMNS);
    header.extend(["SHA-256", "Size (bytes)", "Check", "Tags"]);
    header
}

/// Audits the download: one entry per company, listing the ids.
pub async fn audit_download(
    store: &Store,
    recordings: &[Recording],
    audit: &AuditContext,
) -> Result<(), Error> {
    let mut per_company: BTreeMap<_, Vec<&str>> = BTreeMap::new();
    for recording in recordings {
        per_company
            .entry(recording.company_id)
            .or_default()
            .push(recording.id.as_str());
    }
    for (company, ids) in per_company {
        let entry = audit
            .entry(AuditAction::RecordingsDownloaded)
            .company(company)
            .target(format!("{} recordings", ids.len()))
            .details(ids.join(" "));
        store.audit(entry, audit.now).await?;
    }
    Ok(())
}

/// What the check of one file found.
enum Check {
    Verified,
    Altered,
    /// Sealed audio that does not open (changed, cut short): the entry
    /// holds what opened before the first bad chunk.
    Unreadable,
    Missing,
    TooLarge,
}

impl Check {
    fn words(&self) -> &'static str {
        match self {
            Check::Verified => "verified",
            Check::Altered => "ALTERED: does not match the SHA-256 taken at ingest",
            Check::Missing => "MISSING: not in storage, left out",
            Check::TooLarge => "TOO LARGE for a ZIP entry, left out",
            Check::Unreadable => "UNREADABLE: the sealed file does not open (changed or cut short); the entry stops there",
        }
    }
}

/// What a ZIP is made from and for: storage, the keys that open sealed
/// audio, the viewer's zone (the manifest's times) and their audit context.
pub struct Archive<'a> {
    pub store: &'a Store,
    pub blobs: &'a BlobStore,
    pub keys: &'a DataKeys,
    pub zone: &'a Zone,
    pub audit: &'a AuditContext,
    /// When the archive is made (the manifest's date in the ZIP).
    pub now_ms: i64,
}

impl Archive<'_> {
    /// Writes the archive of `recordings` into `out`, a chunk at a time;
    /// stops quietly when the receiver is gone (the download was
    /// cancelled) and sends an error (breaking the download) when storage
    /// fails part-way.
    pub async fn write(&self, recordings: Vec<Recording>, out: Sender<io::Result<Vec<u8>>>) {
        if let Err(err) = self.write_into(recordings, &out).await {
            tracing::warn!(error = %err, "a ZIP download stopped part-way");
            let _ = out.send(Err(io::Error::other(err.to_string()))).await;
        }
    }
}

/// The receiver went away: nobody is downloading any more.
#[derive(Debug)]
struct Gone;

impl From<Gone> for Error {
    fn from(_: Gone) -> Error {
        Error::Internal("the download was cancelled".into())
    }
}

async fn send(out: &Sender<io::Result<Vec<u8>>>, bytes: Vec<u8>) -> Result<(), Gone> {
    out.send(Ok(bytes)).await.map_err(|_| Gone)
}

impl Archive<'_> {
    async fn write_into(
        &self,
        recordings: Vec<Recording>,
        out: &Sender<io::Result<Vec<u8>>>,
    ) -> Result<(), Error> {
        let Archive {
            store,
            blobs,
            keys,
            zone,
            audit,
            now_ms,
        } = *self;
        let mut zip = ZipWriter::new();
        let mut manifest = csv_line(&manifest_header());
        let ids: Vec<&str> = recordings.iter().map(|r| r.id.as_str()).collect();
        let tags = store.tag_names_of(&ids).await?;
        for recording in &recordings {
            let name = bulk_name(
                recording.started_at_ms,
                recording.direction,
                recording.calling_number.as_str(),
                recording.called_number.as_str(),
                &recording.id,
                recording.format,
            );
            let check = match open_audio(store, blobs, keys, &recording.storage_key).await? {
                Opened::Missing => Check::Missing,
                Opened::Malformed => Check::Unreadable,
                Opened::Audio(reader) if reader.len() > MAX_ENTRY => Check::TooLarge,
                Opened::Audio(reader) => {
                    if send(out, zip.start(&name, recording.started_at_ms))
                        .await
                        .is_err()
                    {
                        return Ok(());
                    }
                    match copy_entry(reader, out).await? {
                        Copied::Gone => return Ok(()),
                        // What was sent is the entry; the manifest says it is
                        // not the recording (a sealed chunk failed to open).
                        Copied::Tampered { crc, sent } => {
                            if send(out, zip.end(crc, sent)).await.is_err() {
                                return Ok(());
                            }
                            Check::Unreadable
                        }
                        Copied::Whole { crc, sha, sent } => {
                            if send(out, zip.end(crc, sent)).await.is_err() {
                                return Ok(());
                            }
                            if hex(&sha) == recording.sha256 {
                                Check::Verified
                            } else {
                                Check::Altered
                            }
                        }
                    }
                }
            };
            if matches!(check, Check::Altered | Check::Missing | Check::Unreadable) {
                let entry = audit
                    .entry(AuditAction::RecordingIntegrityFailed)
                    .company(recording.company_id)
                    .target(recording.id.as_str())
                    .details(format!("ZIP download: {}", check.words()));
                store.audit(entry, audit.now).await?;
                tracing::warn!(recording = %recording.id, check = check.words(), "integrity failure in a ZIP download");
            }
            let file = match check {
                Check::Verified | Check::Altered | Check::Unreadable => name.as_str(),
                Check::Missing | Check::TooLarge => "",
            };
            manifest.push_str(&csv_line(&[
                file,
                &zone.format_ms(recording.started_at_ms),
                recording.direction.label(),
                recording.calling_number.as_str(),
                recording.called_number.as_str(),
                recording.username.as_deref().unwrap_or(""),
                recording.team_name.as_deref().unwrap_or(""),
                &recording.company_name,
                &format!("{:.1}", recording.duration_ms as f64 / 1000.0),
                &recording.sha256,
                &recording.size_bytes.to_string(),
                check.words(),
                tags.get(recording.id.as_str()).map_or("", String::as_str),
            ]));
        }
        let crc = crc32fast::hash(manifest.as_bytes());
        let mut tail = zip.whole("manifest.csv", now_ms, manifest.as_bytes(), crc);
        tail.extend(zip.finish());
        let _ = send(out, tail).await;
        Ok(())
    }
}

/// How copying one file went.
enum Copied {
    Whole {
        crc: u32,
        sha: Vec<u8>,
        sent: u64,
    },
    Tampered {
        crc: u32,
        sent: u64,
    },
    /// The receiver went away.
    Gone,
}

/// Streams one file's audio into the archive, a chunk read at a time on a
/// blocking thread.
async fn copy_entry(
    reader: AudioReader,
    out: &Sender<io::Result<Vec<u8>>>,
) -> Result<Copied, Error> {
    let mut crc = crc32fast::Hasher::new();
    let mut sha = Sha256::new();
    let mut sent: u64 = 0;
    let mut reader = Some(reader);
    loop {
        let taken = reader
            .take()
            .expect("the reader comes back after each read");
        let (back, read) = tokio::task::spawn_blocking(move || {
            let mut taken = taken;
            let mut buffer = vec![0u8; CHUNK];
            let read = taken.read(&mut buffer).map(|n| {
                buffer.truncate(n);
                buffer
            });
            (taken, read)
        })
        .await?;
        reader = Some(back);
        let chunk = match read {
            Ok(chunk) => chunk,
            Err(err) if err.kind() == io::ErrorKind::InvalidData => {
                return Ok(Copied::Tampered {
                    crc: crc.finalize(),
                    sent,
                });
            }
            Err(err) => return Err(Error::io("cannot read audio")(err)),
        };
        if chunk.is_empty() {
            return Ok(Copied::Whole {
                crc: crc.finalize(),
                sha: sha.finalize().to_vec(),
                sent,
            });
        }
        crc.update(&chunk);
        sha.update(&chunk);
        sent += chunk.len() as u64;
        if sent > MAX_ENTRY {
            return Err(Error::Internal(
                "an audio file grew past 4 GiB while it was read".into(),
            ));
        }
        if send(out, chunk).await.is_err() {
            return Ok(Copied::Gone);
        }
    }
}
