//! Audio files, content-addressed within each company: the key is
//! `c<company>/<sha256>`, so the same audio is stored once per company and
//! never shared across companies (security review, item 13; keys of the
//! older shared layout, a bare SHA-256, are still read). They live in a
//! folder (`files.rs`) or an S3-compatible bucket (`objects.rs`), as
//! `CALLREC_AUDIO_STORE` says (`location.rs`).
//!
//! An upload is first written to a spool file on this node, hashed and
//! fsynced (and sealed by the application); [`BlobStore::place`] then puts
//! it under its key — renamed into the folder and the folder fsynced, or
//! uploaded to the bucket — and only then may a row point at it, so an
//! acknowledged upload survives a crash. Placing a file and removing one
//! happen under the store's lock on the key
//! (`Store::insert_recording_with_audio`, `remove_audio_if_unused`), so a
//! removal can never take a file an upload just acknowledged.

mod files;
mod location;
mod objects;
mod reader;

pub use location::{AudioLocation, S3Location};
pub use reader::BlobFile;

use callrec_domain::CompanyId;
use files::Folder;
use objects::Bucket;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use tokio::fs;
use tokio::io::AsyncWriteExt;

#[derive(Debug, Clone)]
pub struct BlobStore {
    /// Where uploads wait until they are placed (on this node).
    spool: PathBuf,
    place: Place,
}

#[derive(Debug, Clone)]
enum Place {
    Files(Folder),
    Objects(Bucket),
}

/// Bytes being written; becomes a stored blob with [`BlobStore::place`],
/// and disappears if dropped before that.
pub struct BlobWriter {
    file: fs::File,
    path: PathBuf,
    hasher: Sha256,
    size: u64,
    head: Vec<u8>,
    committed: bool,
}

/// Bytes kept from the start of each upload, to recognise the format.
pub const HEAD_BYTES: usize = 4096;

impl BlobWriter {
    pub async fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        if self.head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.hasher.update(chunk);
        self.size += chunk.len() as u64;
        self.file.write_all(chunk).await
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The first bytes written (up to [`HEAD_BYTES`]).
    pub fn head(&self) -> &[u8] {
        &self.head
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl PreparedBlob {
    /// Where the bytes wait, fsynced, for [`BlobStore::place`]: sealing
    /// replaces them there before they are placed.
    pub fn temp_path(&self) -> &Path {
        &self.writer.path
    }
}

/// A stored blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    pub key: String,
    pub sha256: String,
    pub size: u64,
}

/// Bytes written, fsynced and hashed, still under their temporary name:
/// [`BlobStore::place`] puts them under their key.
pub struct PreparedBlob {
    writer: BlobWriter,
    pub key: String,
    pub sha256: String,
    pub size: u64,
}

/// The key of a company's copy of the audio with this SHA-256.
pub fn company_key(company: CompanyId, sha256: &str) -> String {
    format!("c{}/{sha256}", company.0)
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `c<digits>`: a company's folder.
fn is_company_folder(name: &str) -> bool {
    name.strip_prefix('c').is_some_and(|id| {
        !id.is_empty() && id.len() <= 19 && id.bytes().all(|b| b.is_ascii_digit())
    })
}

/// Whether `key` is one the store makes: `c<company>/<sha256>`, or a bare
/// SHA-256 of the older shared layout.
pub fn is_storage_key(key: &str) -> bool {
    match key.split_once('/') {
        Some((company, sha)) => is_company_folder(company) && is_sha256_hex(sha),
        None => is_sha256_hex(key),
    }
}

impl BlobStore {
    /// Audio in `<data_dir>/audio` (the default).
    pub fn new(data_dir: &Path) -> BlobStore {
        BlobStore::in_folder(&data_dir.join("audio"))
    }

    /// Audio in `folder`; uploads wait in its `tmp` folder (the same file
    /// system, so placing one is a rename).
    pub fn in_folder(folder: &Path) -> BlobStore {
        BlobStore {
            spool: folder.join("tmp"),
            place: Place::Files(Folder::new(folder)),
        }
    }

    /// Audio where `location` says; uploads to a bucket wait in
    /// `<data_dir>/spool`.
    pub fn at(location: &AudioLocation, data_dir: &Path) -> io::Result<BlobStore> {
        Ok(match location {
            AudioLocation::DataDir => BlobStore::new(data_dir),
            AudioLocation::Folder(folder) => BlobStore::in_folder(folder),
            AudioLocation::S3(s3) => BlobStore {
                spool: data_dir.join("spool"),
                place: Place::Objects(Bucket::connect(s3)?),
            },
        })
    }

    /// Where the audio is, for messages (`/var/lib/callrec/audio`,
    /// `s3://bucket/prefix`).
    pub fn describe(&self) -> String {
        match &self.place {
            Place::Files(folder) => folder.root().display().to_string(),
            Place::Objects(bucket) => bucket.describe(),
        }
    }

    /// The file holding `key` when the audio is in a folder (`None` for a
    /// bucket, or a key that names no file).
    pub fn path_of(&self, key: &str) -> Option<PathBuf> {
        match &self.place {
            Place::Files(folder) => folder.path_of(key),
            Place::Objects(_) => None,
        }
    }

    /// A new, unused name in the spool for a file this node writes.
    pub async fn spool_path(&self, suffix: &str) -> io::Result<PathBuf> {
        let spool = self.spool.clone();
        tokio::task::spawn_blocking(move || crate::private::create_dir(&spool)).await??;
        let mut random = [0u8; 16];
        getrandom(&mut random);
        Ok(self
            .spool
            .join(format!("{}{suffix}", callrec_domain::hex::hex(&random))))
    }

    pub async fn writer(&self) -> io::Result<BlobWriter> {
        let path = self.spool_path(".part").await?;
        let file = fs::OpenOptions::from(crate::private::file_options())
            .write(true)
            .create_new(true)
            .open(&path)
            .await?;
        Ok(BlobWriter {
            file,
            path,
            hasher: Sha256::new(),
            size: 0,
            head: Vec::new(),
            committed: false,
        })
    }

    /// Makes the written bytes durable under their temporary name and
    /// names their key in `company`'s folder.
    pub async fn finish(
        &self,
        mut writer: BlobWriter,
        company: CompanyId,
    ) -> io::Result<PreparedBlob> {
        writer.file.flush().await?;
        writer.file.sync_all().await?;
        let sha256 = callrec_domain::hex::hex(&writer.hasher.clone().finalize());
        Ok(PreparedBlob {
            key: company_key(company, &sha256),
            size: writer.size,
            sha256,
            writer,
        })
    }

    /// Puts prepared bytes under their key, durably (the same bytes
    /// already stored for the company are kept). Callers hold the store's
    /// lock on the key (see the module comment).
    pub async fn place(&self, mut prepared: PreparedBlob) -> io::Result<StoredBlob> {
        let temp = prepared.writer.path.clone();
        match &self.place {
            Place::Files(folder) => folder.place(&temp, &prepared.key).await?,
            Place::Objects(bucket) => bucket.place(&temp, &prepared.key).await?,
        }
        prepared.writer.committed = true;
        Ok(StoredBlob {
            key: prepared.key.clone(),
            sha256: prepared.sha256.clone(),
            size: prepared.size,
        })
    }

    /// Puts the spool file `temp` under `key` as it is (a copy from another
    /// store, `callrec audio migrate`); the same key already stored is kept.
    pub async fn place_file(&self, temp: &Path, key: &str) -> io::Result<()> {
        if !is_storage_key(key) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a storage key",
            ));
        }
        match &self.place {
            Place::Files(folder) => folder.place(temp, key).await,
            Place::Objects(bucket) => bucket.place(temp, key).await,
        }
    }

    /// Puts the spool file `temp` in place of the stored `key` (a re-sealed
    /// copy). A key removed meanwhile (purged) is not brought back: false,
    /// and `temp` is removed.
    pub async fn replace(&self, key: &str, temp: &Path) -> io::Result<bool> {
        let replaced = match &self.place {
            Place::Files(folder) => folder.replace(key, temp).await,
            Place::Objects(bucket) => bucket.replace(key, temp).await,
        };
        if !matches!(replaced, Ok(true)) {
            let _ = fs::remove_file(temp).await;
        }
        replaced
    }

    /// Stores bytes already in memory for `company` (demo data, tests),
    /// without the store's lock: nothing points at them yet.
    pub async fn put(&self, bytes: &[u8], company: CompanyId) -> io::Result<StoredBlob> {
        let mut writer = self.writer().await?;
        writer.write(bytes).await?;
        let prepared = self.finish(writer, company).await?;
        self.place(prepared).await
    }

    /// Removes the stored `key`; a key already gone is not an error.
    pub async fn remove(&self, key: &str) -> io::Result<()> {
        if !is_storage_key(key) {
            return Ok(());
        }
        match &self.place {
            Place::Files(folder) => folder.remove(key).await,
            Place::Objects(bucket) => bucket.remove(key).await,
        }
    }

    /// The stored `key` to read, or `None` when there is none.
    pub async fn open(&self, key: &str) -> io::Result<Option<BlobFile>> {
        if !is_storage_key(key) {
            return Ok(None);
        }
        match &self.place {
            Place::Files(folder) => folder.open(key).await,
            Place::Objects(bucket) => bucket.open(key).await,
        }
    }

    /// When the stored `key` was last written (`None`: not stored).
    pub async fn modified(&self, key: &str) -> io::Result<Option<SystemTime>> {
        if !is_storage_key(key) {
            return Ok(None);
        }
        match &self.place {
            Place::Files(folder) => folder.modified(key).await,
            Place::Objects(bucket) => bucket.modified(key).await,
        }
    }

    /// Every stored key — a whole listing, for `callrec verify` and the
    /// sealing runs, not for every start — and every file left in the
    /// spool (or half-sealed in the folder by an older version).
    pub async fn scan(&self) -> io::Result<(HashSet<String>, Vec<PathBuf>)> {
        let mut leftovers = self.spool_leftovers().await?;
        let keys = match &self.place {
            Place::Files(folder) => folder.scan(&mut leftovers).await?,
            Place::Objects(bucket) => bucket.scan().await?,
        };
        Ok((keys, leftovers))
    }

    /// Files in this node's spool: uploads in flight, or left by a crash
    /// (not the calls being captured, which have a folder of their own).
    pub async fn spool_leftovers(&self) -> io::Result<Vec<PathBuf>> {
        files_in(&self.spool).await
    }

    /// A new file for a call the recording server captures, in the
    /// spool's `capture/` folder: start-up's sweep of the spool leaves
    /// it, and the recording server lands what a stopped node left there.
    pub async fn capture_path(&self, suffix: &str) -> io::Result<PathBuf> {
        let folder = self.spool.join("capture");
        let made = folder.clone();
        tokio::task::spawn_blocking(move || crate::private::create_dir(&made)).await??;
        let mut random = [0u8; 16];
        getrandom(&mut random);
        Ok(folder.join(format!("{}{suffix}", callrec_domain::hex::hex(&random))))
    }

    /// The files of captured calls a stopped node left.
    pub async fn capture_leftovers(&self) -> io::Result<Vec<PathBuf>> {
        files_in(&self.spool.join("capture")).await
    }
}

/// The regular files in `folder` (none if it does not exist).
async fn files_in(folder: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut entries = match fs::read_dir(folder).await {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(files),
        Err(err) => return Err(err),
    };
    while let Some(entry) = entries.next_entry().await? {
        if entry.file_type().await?.is_file() {
            files.push(entry.path());
        }
    }
    Ok(files)
}

fn getrandom(buffer: &mut [u8]) {
    use sha2::digest::Update;
    // Temporary names only need to be unique, not secret: the time and a
    // counter, hashed.
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut hasher = Sha256::new();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    Update::update(&mut hasher, &nanos.to_le_bytes());
    Update::update(
        &mut hasher,
        &COUNTER
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .to_le_bytes(),
    );
    Update::update(&mut hasher, &std::process::id().to_le_bytes());
    buffer.copy_from_slice(&hasher.finalize()[..buffer.len()]);
}
