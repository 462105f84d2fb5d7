//! `callrec audio migrate --to URL`: copies every recording's audio, as
//! stored (sealed files stay sealed), from the configured store to
//! another while the portal serves. Files already there with the same size
//! and header are skipped, so a run stopped anywhere is finished by
//! running it again, and a last run just before the switch picks up the
//! uploads made (and re-seals and purges done) since the first.

use crate::lease::Lease;
use crate::Error;
use callrec_store::{BlobFile, BlobStore, Job, Store};
use std::io::{self, Read, Seek, SeekFrom};

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Copied {
    pub copied: u64,
    /// Already in the target with the same size.
    pub present: u64,
    /// Not in the source (removed while the copy ran, or lost before).
    pub missing: u64,
    /// Removed from the target: no recording uses them any more.
    pub removed: u64,
    pub bytes: u64,
}

/// The first bytes of a stored file (a sealed file's header), and the
/// file back at its start.
async fn head(file: BlobFile) -> io::Result<(BlobFile, Vec<u8>)> {
    tokio::task::spawn_blocking(move || {
        let mut file = file;
        let mut head = vec![0u8; 64.min(file.len() as usize)];
        file.read_exact(&mut head)?;
        file.seek(SeekFrom::Start(0))?;
        Ok((file, head))
    })
    .await?
}

/// `callrec audio migrate`: the audio of every recording (and deleted
/// one) copied from `from` to `to`, while holding the purge's and the
/// sealers' leases so nothing is removed or re-sealed under the copy; then
/// what `to` holds that no recording uses any more (purged since an
/// earlier pass) is removed from it.
pub async fn migrate_audio(
    store: &Store,
    from: &BlobStore,
    to: &BlobStore,
    waiting: impl FnMut(&str),
    progress: impl FnMut(u64, u64),
) -> Result<Copied, Error> {
    let mut waiting = waiting;
    let purge = Lease::wait_for(store, Job::Purge, "audio-migrate", &mut waiting).await?;
    let seal = Lease::wait_for(store, Job::Seal, "audio-migrate", &mut waiting).await?;
    let used = store.storage_keys().await?;
    let mut report = copy_keys(from, to, used.iter().cloned().collect(), progress).await?;
    let (there, _) = to
        .scan()
        .await
        .map_err(Error::io(format!("cannot list {}", to.describe())))?;
    for key in there.difference(&used) {
        if store.remove_audio_if_unused(key, to).await? {
            report.removed += 1;
        }
    }
    seal.release().await?;
    purge.release().await?;
    Ok(report)
}

/// Copies every key of `from` missing from `to`, in key order;
/// `progress(done, total)` after each.
pub async fn copy_audio(
    from: &BlobStore,
    to: &BlobStore,
    progress: impl FnMut(u64, u64),
) -> Result<Copied, Error> {
    let (keys, _) = from
        .scan()
        .await
        .map_err(Error::io(format!("cannot list {}", from.describe())))?;
    copy_keys(from, to, keys.into_iter().collect(), progress).await
}

/// Copies `keys` from `from` to `to` where missing there, in key order;
/// keys `from` does not hold are counted in `missing`.
pub async fn copy_keys(
    from: &BlobStore,
    to: &BlobStore,
    mut keys: Vec<String>,
    mut progress: impl FnMut(u64, u64),
) -> Result<Copied, Error> {
    let failed = |key: &str, err: io::Error| Error::io(format!("copying {key}"))(err);
    keys.sort();
    let total = keys.len() as u64;
    let mut report = Copied::default();
    for (done, key) in keys.iter().enumerate() {
        // Gone meanwhile (purged): nothing to copy.
        let Some(source) = from.open(key).await.map_err(|err| failed(key, err))? else {
            report.missing += 1;
            progress(done as u64 + 1, total);
            continue;
        };
        let there = to.open(key).await.map_err(|err| failed(key, err))?;
        // The same size and header (a re-seal changes the header's key
        // number and salt, not the size) is the same file.
        let (source, source_head) = head(source).await.map_err(|err| failed(key, err))?;
        let same = match there {
            Some(there) if there.len() == source.len() => {
                head(there).await.map_err(|err| failed(key, err))?.1 == source_head
            }
            _ => false,
        };
        if same {
            report.present += 1;
        } else {
            let temp = to
                .spool_path(".copy")
                .await
                .map_err(|err| failed(key, err))?;
            let out = temp.clone();
            let written = tokio::task::spawn_blocking(move || -> io::Result<u64> {
                let mut source = source;
                let mut file = callrec_store::private::file_options()
                    .write(true)
                    .create_new(true)
                    .open(&out)?;
                let bytes = io::copy(&mut source, &mut file)?;
                file.sync_all()?;
                Ok(bytes)
            })
            .await?;
            let bytes = match written {
                Ok(bytes) => bytes,
                Err(err) => {
                    let _ = std::fs::remove_file(&temp);
                    return Err(failed(key, err));
                }
            };
            // A different file under the key (re-sealed since an earlier
            // run) goes first: the target is not serving yet.
            to.remove(key).await.map_err(|err| failed(key, err))?;
            to.place_file(&temp, key)
                .await
                .map_err(|err| failed(key, err))?;
            report.copied += 1;
            report.bytes += bytes;
        }
        progress(done as u64 + 1, total);
    }
    Ok(report)
}
