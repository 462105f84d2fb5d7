//! `callrec backup DIR` and `callrec restore DIR`.
//!
//! A backup is a folder: `callrec.db` (SQLite: a consistent copy taken
//! while the portal serves, `Store::snapshot_into`), `audio/` (every file
//! the copied database points at, as stored — sealed audio stays sealed —
//! in the folder layout whatever store it came from), `mfa-keys` (the key
//! file, when the keys live in the data directory) and `backup.json`.
//! While it copies, the backup holds the purge's and the sealers' leases,
//! so no file it still has to copy is removed or re-sealed under it. On
//! PostgreSQL the database is `pg_dump`'s to copy, first: the audio copied
//! after it then covers every row it holds.

use crate::audio_move::copy_keys;
use crate::lease::Lease;
use crate::Error;
use callrec_store::{Backend, BlobStore, Job, Store, SQLITE_FILE};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const MANIFEST: &str = "backup.json";
pub const KEY_FILE: &str = "mfa-keys";
const AUDIO: &str = "audio";

/// What `backup.json` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// When it was taken (Unix seconds).
    pub taken_at: i64,
    /// `sqlite` (the database is in the backup) or `postgres` (it is not).
    pub database: String,
    /// Recordings (and deleted ones) whose audio is in `audio/`.
    pub audio_files: u64,
    pub audio_bytes: u64,
    /// Whether `mfa-keys` is in the backup (otherwise the key is
    /// CALLREC_SECRET_KEY, kept by the operator).
    pub key_file: bool,
}

fn io(what: &'static str, path: &Path) -> impl Fn(std::io::Error) -> Error {
    Error::io(format!("cannot {what} {}", path.display()))
}

/// Takes a backup into `dir` (missing or empty). `key_file`: the data
/// directory's key file, copied when it exists. `waiting(job)` while a
/// purge or sealing run finishes; `progress(done, total)` per file.
pub async fn backup(
    store: &Store,
    blobs: &BlobStore,
    dir: &Path,
    key_file: &Path,
    now: i64,
    mut waiting: impl FnMut(&str),
    progress: impl FnMut(u64, u64),
) -> Result<Manifest, Error> {
    let not_empty = std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some());
    if not_empty {
        return Err(Error::Refused(format!(
            "{} is not empty: back up into a new folder",
            dir.display()
        )));
    }
    callrec_store::private::create_dir(dir).map_err(io("create", dir))?;
    // An existing empty folder keeps its mode otherwise: the copy holds
    // password hashes, sessions and the audit log.
    set_mode(dir, 0o700)?;
    let purge = Lease::wait_for(store, Job::Purge, "backup", &mut waiting).await?;
    let seal = Lease::wait_for(store, Job::Seal, "backup", &mut waiting).await?;
    let database = dir.join(SQLITE_FILE);
    let path = database
        .to_str()
        .ok_or_else(|| Error::Refused(format!("{} is not a UTF-8 path", dir.display())))?;
    let copied_database = store.snapshot_into(path).await?;
    if copied_database {
        set_mode(&database, 0o600)?;
    }
    // The audio of exactly the rows copied (PostgreSQL: of the rows now;
    // a purge between an earlier pg_dump and this hold may have removed
    // audio the dump points at: docs/DEPLOY.md).
    let keys = if copied_database {
        let copy = Store::connect(Some(&format!("sqlite://{path}")), dir).await?;
        let keys = copy.storage_keys().await?;
        copy.close().await;
        keys
    } else {
        store.storage_keys().await?
    };
    let target = BlobStore::in_folder(&dir.join(AUDIO));
    let mut keys: Vec<String> = keys.into_iter().collect();
    keys.sort();
    let total = keys.len() as u64;
    let mut progress = progress;
    let mut copied = crate::audio_move::Copied::default();
    // A thousand files at a time, the leases renewed between.
    for (n, chunk) in keys.chunks(1000).enumerate() {
        let before = n as u64 * 1000;
        let part = copy_keys(blobs, &target, chunk.to_vec(), |done, _| {
            progress(before + done, total)
        })
        .await?;
        copied.copied += part.copied;
        copied.present += part.present;
        copied.missing += part.missing;
        copied.bytes += part.bytes;
        if !(purge.renew().await? && seal.renew().await?) {
            return Err(Error::Busy(
                "the backup lost its hold on the purge and sealing jobs; run it again".into(),
            ));
        }
    }
    let has_key_file = key_file.exists();
    if has_key_file {
        std::fs::copy(key_file, dir.join(KEY_FILE)).map_err(io("copy", key_file))?;
    }
    let manifest = Manifest {
        taken_at: now,
        database: match store.backend() {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
        .to_string(),
        audio_files: copied.copied + copied.present,
        audio_bytes: copied.bytes,
        key_file: has_key_file,
    };
    write_manifest(dir, &manifest)?;
    seal.release().await?;
    purge.release().await?;
    if copied.missing > 0 {
        return Err(Error::Refused(format!(
            "the backup in {} lacks the audio of {} recordings that was not in the store; \
             run `callrec verify` to name them",
            dir.display(),
            copied.missing
        )));
    }
    Ok(manifest)
}

fn set_mode(path: &Path, mode: u32) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(io("protect", path))
}

fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<(), Error> {
    let path = dir.join(MANIFEST);
    let text = serde_json::to_string_pretty(manifest).map_err(|source| Error::Json {
        what: "the backup's manifest",
        source,
    })?;
    std::fs::write(&path, text).map_err(io("write", &path))?;
    // What it names (files, companies) is for the operator only, like
    // the database copy beside it.
    set_mode(&path, 0o600)
}

pub fn read_manifest(dir: &Path) -> Result<Manifest, Error> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&path).map_err(Error::io(format!(
        "{} is not a callrec backup ({MANIFEST})",
        dir.display()
    )))?;
    serde_json::from_str(&text).map_err(|source| Error::Json {
        what: "the backup's manifest (damaged)",
        source,
    })
}

/// Puts a backup's database (SQLite) and key file into the fresh
/// `data_dir`, before anything opens it. Returns the manifest.
pub fn restore_files(dir: &Path, data_dir: &Path, sqlite: bool) -> Result<Manifest, Error> {
    let manifest = read_manifest(dir)?;
    let target: PathBuf = data_dir.join(SQLITE_FILE);
    match (manifest.database.as_str(), sqlite) {
        ("sqlite", true) => {
            if target.exists() {
                return Err(Error::Refused(format!(
                    "{} already holds a database: restore into a new data directory",
                    data_dir.display()
                )));
            }
            callrec_store::private::create_dir(data_dir).map_err(io("create", data_dir))?;
            let temporary = data_dir.join(format!("{SQLITE_FILE}.restoring"));
            let _ = std::fs::remove_file(&temporary);
            private_copy(&dir.join(SQLITE_FILE), &temporary)?;
            std::fs::rename(&temporary, &target).map_err(io("place", &target))?;
        }
        ("sqlite", false) => {
            return Err(Error::Refused(
                "this backup holds a SQLite database; restore it without CALLREC_DATABASE_URL"
                    .into(),
            ))
        }
        (_, true) => {
            return Err(Error::Refused(
                "this backup is of a PostgreSQL portal: set CALLREC_DATABASE_URL to the database \
                 restored with pg_restore, then run callrec restore again"
                    .into(),
            ))
        }
        (_, false) => {}
    }
    if manifest.key_file {
        let key = data_dir.join(KEY_FILE);
        if key.exists() {
            return Err(Error::Refused(format!(
                "{} already exists: restore into a new data directory",
                key.display()
            )));
        }
        callrec_store::private::create_dir(data_dir).map_err(io("create", data_dir))?;
        private_copy(&dir.join(KEY_FILE), &key)?;
    }
    Ok(manifest)
}

/// Copies `from` to the new file `to`, readable by this user only, fsynced.
fn private_copy(from: &Path, to: &Path) -> Result<(), Error> {
    let mut options = callrec_store::private::file_options();
    options.write(true).create_new(true);
    let mut out = options.open(to).map_err(io("write", to))?;
    let mut source = std::fs::File::open(from).map_err(io("read", from))?;
    std::io::copy(&mut source, &mut out).map_err(io("write", to))?;
    out.sync_all().map_err(io("write", to))
}

/// Copies a backup's audio into the configured store.
pub async fn restore_audio(
    dir: &Path,
    blobs: &BlobStore,
    progress: impl FnMut(u64, u64),
) -> Result<crate::audio_move::Copied, Error> {
    crate::audio_move::copy_audio(&BlobStore::in_folder(&dir.join(AUDIO)), blobs, progress).await
}
