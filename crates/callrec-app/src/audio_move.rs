//! `callrec audio migrate --to URL`: copies every stored audio file, as
//! stored (sealed files stay sealed), from the configured store to
//! another while the portal serves. Keys already there with the same size
//! are skipped, so a run stopped anywhere is finished by running it again,
//! and a last run just before the switch picks up the uploads made during
//! the first.

use crate::Error;
use callrec_store::BlobStore;
use std::io;

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Copied {
    pub copied: u64,
    /// Already in the target with the same size.
    pub present: u64,
    /// Not in the source (removed while the copy ran, or lost before).
    pub missing: u64,
    pub bytes: u64,
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
        .map_err(|err| Error::Internal(format!("cannot list {}: {err}", from.describe())))?;
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
    let failed = |key: &str, err: io::Error| Error::Internal(format!("copying {key}: {err}"));
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
        if there.is_some_and(|there| there.len() == source.len()) {
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
            .await
            .map_err(|err| Error::Internal(err.to_string()))?;
            let bytes = match written {
                Ok(bytes) => bytes,
                Err(err) => {
                    let _ = std::fs::remove_file(&temp);
                    return Err(failed(key, err));
                }
            };
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
