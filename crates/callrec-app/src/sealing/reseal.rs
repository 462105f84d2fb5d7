//! Sealing what was stored before (`callrec migrate`) and re-sealing a
//! company's audio with a new data key (`callrec keys rotate --company C
//! --data`). Each file is replaced whole (`seal_file`), one at a time,
//! while the portal serves; a run stopped anywhere (even by SIGKILL) is
//! finished by running it again: what is already done is recognised by
//! its header and skipped.

use super::reader::company_of;
use super::{write_sealed, AudioReader, DataKeys};
use crate::audit::AuditContext;
use crate::lease::Lease;
use crate::Error;
use callrec_domain::audit::AuditAction;
use callrec_domain::sealed::{Header, HEADER_LEN};
use callrec_domain::CompanyId;
use callrec_store::{BlobFile, BlobStore, Company, Job, Store};
use std::io::{Read, Seek, SeekFrom};

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Files sealed (or re-sealed) now.
    pub sealed: u64,
    /// Files that already were.
    pub skipped: u64,
    /// The data key sealing them.
    pub key_id: u32,
    /// Whether the older keys were deleted (see [`RETIRE_AFTER`]).
    pub retired: bool,
    /// Notes sealed again with the new key.
    pub notes: u64,
    /// Transcripts sealed again with the new key.
    pub transcripts: u64,
}

/// Older data keys are deleted only once the new one is this old (Unix
/// seconds): an upload that took the older key just before the rotation
/// may still be sealing its file (an upload's body may pause 30 s at a
/// time), and its file must stay readable until a later run re-seals it.
pub const RETIRE_AFTER: i64 = 600;

/// The stored file at `key` with its header, if sealed (`None`: gone).
async fn open_stored(
    blobs: &BlobStore,
    key: &str,
) -> std::io::Result<Option<(BlobFile, Option<Header>)>> {
    let Some(file) = blobs.open(key).await? else {
        return Ok(None);
    };
    tokio::task::spawn_blocking(move || {
        let mut file = file;
        let mut head = [0u8; HEADER_LEN];
        let header = match file.read_exact(&mut head) {
            Ok(()) => Header::decode(&head),
            Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => None,
            Err(err) => return Err(err),
        };
        file.seek(SeekFrom::Start(0))?;
        Ok(Some((file, header)))
    })
    .await?
}

/// The header of the file at `key`, if sealed (`None`: plain or gone).
async fn header_of(blobs: &BlobStore, key: &str) -> Result<Option<Header>, Error> {
    Ok(open_stored(blobs, key)
        .await
        .map_err(Error::io(format!("reading {key}")))?
        .and_then(|(_, header)| header))
}

/// How long the sealing lease lasts without a renewal (seconds).
const SEAL_LEASE: i64 = 300;

/// One sealing run at a time across the portal (two sealers of one file
/// would each replace it): a lease renewed as files go by.
async fn seal_lease(store: &Store) -> Result<Lease<'_>, Error> {
    Lease::take(store, Job::Seal, "seal", SEAL_LEASE)
        .await?
        .ok_or_else(|| {
            Error::Busy(
                "another run is sealing audio now (callrec migrate or keys rotate --data) or a \
                 backup is copying it; wait for it to finish, or five minutes if it was stopped"
                    .into(),
            )
        })
}

/// Files under the company's folder (or every company's), sorted.
/// Only files a recording uses: one no row uses is an orphan, for the
/// sweep, and a re-seal never replaces it (`Store::replace_audio_if_used`).
async fn stored_keys(
    store: &Store,
    blobs: &BlobStore,
    company: Option<CompanyId>,
) -> Result<Vec<(CompanyId, String)>, Error> {
    let (keys, _) = blobs
        .scan()
        .await
        .map_err(Error::io("cannot list the audio folder"))?;
    let used = store.storage_keys().await?;
    let mut keys: Vec<(CompanyId, String)> = keys
        .into_iter()
        .filter(|key| used.contains(key))
        .filter_map(|key| Some((company_of(&key)?, key)))
        .filter(|(c, _)| company.is_none_or(|wanted| wanted == *c))
        .collect();
    keys.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(keys)
}

/// Whether any of `files` is plain, gone or sealed with a key older than
/// `key_id`.
async fn any_behind(
    blobs: &BlobStore,
    files: &[(CompanyId, String)],
    key_id: u32,
) -> Result<bool, Error> {
    for (_, key) in files {
        if header_of(blobs, key)
            .await?
            .is_none_or(|h| h.key_id < key_id)
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Re-seals the file at `key` with `key_id`, reading it through its
/// current key (or as plain); false if it was purged meanwhile (it is not
/// brought back).
async fn reseal_one(
    store: &Store,
    blobs: &BlobStore,
    keys: &DataKeys,
    company: CompanyId,
    key: &str,
    key_id: u32,
) -> Result<bool, Error> {
    let failed = Error::io(format!("sealing {key}"));
    let Some((file, old)) = open_stored(blobs, key).await.map_err(&failed)? else {
        return Ok(false);
    };
    let new_key = keys.get(store, company, key_id).await?;
    let old_key = match &old {
        Some(header) => Some(keys.get(store, company, header.key_id).await?),
        None => None,
    };
    let temp = blobs.spool_path(".sealing").await.map_err(&failed)?;
    let out = temp.clone();
    let written = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let len = file.len();
        let mut source = match (old_key, old) {
            (Some(data_key), Some(header)) => AudioReader::sealed(file, &header, data_key)?,
            _ => AudioReader::Plain { file, len },
        };
        write_sealed(&mut source, &out, &new_key, key_id)
    })
    .await?;
    if let Err(err) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(failed(err));
    }
    Ok(store.replace_audio_if_used(key, &temp, blobs).await?)
}

/// Seals every stored file that is still plain (`callrec migrate`), with
/// its company's current key. `progress(done, total)` after each file.
pub async fn seal_plain_files(
    store: &Store,
    blobs: &BlobStore,
    keys: &DataKeys,
    now: i64,
    mut progress: impl FnMut(u64, u64),
) -> Result<Resealed, Error> {
    let lease = seal_lease(store).await?;
    let files = stored_keys(store, blobs, None).await?;
    let total = files.len() as u64;
    let mut report = Resealed::default();
    for (done, (company, key)) in files.into_iter().enumerate() {
        lease.renew().await?;
        if header_of(blobs, &key).await?.is_some() {
            report.skipped += 1;
        } else {
            let (key_id, _) = keys.current(store, company, now).await?;
            if reseal_one(store, blobs, keys, company, &key, key_id).await? {
                report.sealed += 1;
            }
        }
        progress(done as u64 + 1, total);
    }
    lease.release().await?;
    Ok(report)
}

/// Re-seals the company's files with a new data key; when a run before
/// this one stopped part-way (files still on older keys, or older keys not
/// yet retired), finishes that rotation instead. The older keys are
/// forgotten once no file uses them and the new key is [`RETIRE_AFTER`]
/// old.
pub async fn reseal_company(
    store: &Store,
    blobs: &BlobStore,
    keys: &DataKeys,
    company: &Company,
    audit: &AuditContext,
    mut progress: impl FnMut(u64, u64),
) -> Result<Resealed, Error> {
    let (now, company_name, company) = (audit.now, &company.name, company.id);
    let lease = seal_lease(store).await?;
    let files = stored_keys(store, blobs, Some(company)).await?;
    let newest = store.data_key(company, None).await?.map(|k| k.key_id);
    let unfinished = match newest {
        Some(newest) => any_behind(blobs, &files, newest).await?,
        None => false,
    };
    // Older keys still there (a run that could not retire them yet): this
    // run finishes that rotation rather than starting another.
    let pending = store.count_data_keys(company).await? > 1;
    let key_id = match newest {
        Some(newest) if unfinished || pending => newest,
        _ => keys.rotate(store, company, now).await?,
    };
    let mut report = Resealed {
        key_id,
        ..Resealed::default()
    };
    // Files that arrive sealed with an older key during the run (uploads
    // that took it before the rotation) are picked up by another pass.
    let mut files = files;
    loop {
        let total = files.len() as u64;
        let mut resealed_now = 0;
        for (done, (_, key)) in files.iter().enumerate() {
            lease.renew().await?;
            let header = header_of(blobs, key).await?;
            if header.is_some_and(|h| h.key_id == key_id) {
                report.skipped += 1;
            } else {
                if reseal_one(store, blobs, keys, company, key, key_id).await? {
                    report.sealed += 1;
                    resealed_now += 1;
                }
            }
            progress(done as u64 + 1, total);
        }
        files = stored_keys(store, blobs, Some(company)).await?;
        let behind = any_behind(blobs, &files, key_id).await?;
        if !behind || resealed_now == 0 {
            break;
        }
        report.skipped = 0;
    }
    let made = store
        .data_key(company, Some(key_id))
        .await?
        .map_or(now, |k| k.created_at);
    // Every file's header is read before the write lock is taken.
    let retire = now - made >= RETIRE_AFTER && !any_behind(blobs, &files, key_id).await?;
    // Notes are sealed with the same keys: opened and sealed again now,
    // written with the entry below.
    let notes = crate::notes::sealed_again(store, keys, company, key_id, now).await?;
    report.notes = notes.len() as u64;
    // So are transcripts.
    let transcripts =
        crate::transcription::kept::sealed_again(store, keys, company, key_id, now).await?;
    report.transcripts = transcripts.len() as u64;
    let mut write = store.write(now).await?;
    for (was, sealed) in &notes {
        write.reseal_note(was, key_id, sealed).await?;
    }
    for (recording, sealed) in &transcripts {
        write.reseal_transcript(recording, key_id, sealed).await?;
    }
    if retire {
        write.retire_data_keys_before(company, key_id).await?;
        report.retired = true;
    }
    let entry = audit
        .entry(AuditAction::DataKeyRotated)
        .company(company)
        .target(company_name)
        .details(format!(
            "audio re-sealed with data key {}: {} files now, {} already, {} notes, {} transcripts{}",
            report.key_id,
            report.sealed,
            report.skipped,
            report.notes,
            report.transcripts,
            if report.retired {
                "; older keys retired"
            } else {
                ""
            }
        ));
    write.commit_with(entry).await?;
    lease.release().await?;
    Ok(report)
}
