//! Audio files on disk, content-addressed within each company: the key is
//! `c<company>/<sha256>`, so the same audio is stored once per company and
//! never shared across companies (security review, item 13; keys of the
//! older shared layout, a bare SHA-256, are still read). A file is written
//! to a temporary name, fsynced, renamed into place and its folder fsynced;
//! only then may a row point at it, so an acknowledged upload survives a
//! crash. Placing a file and removing one happen under the store's lock on
//! the key (`Store::insert_recording_with_audio`, `remove_audio_if_unused`),
//! so a removal can never take a file an upload just acknowledged.

use callrec_domain::CompanyId;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use tokio::fs;
use tokio::io::AsyncWriteExt;

#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

/// Bytes being written; becomes a stored blob with [`BlobStore::commit`],
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

impl BlobStore {
    pub fn new(data_dir: &Path) -> BlobStore {
        BlobStore {
            root: data_dir.join("audio"),
        }
    }

    fn temp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// `audio/c<company>/ab/cd/abcdef…` (or `audio/ab/cd/abcdef…` for the
    /// older shared layout): two levels keep folders small. Anything else
    /// names no file.
    pub fn path_of(&self, key: &str) -> Option<PathBuf> {
        let (folder, sha) = match key.split_once('/') {
            Some((company, sha)) if is_company_folder(company) => (self.root.join(company), sha),
            Some(_) => return None,
            None => (self.root.clone(), key),
        };
        is_sha256_hex(sha).then(|| folder.join(&sha[0..2]).join(&sha[2..4]).join(sha))
    }

    pub async fn writer(&self) -> io::Result<BlobWriter> {
        let temp_dir = self.temp_dir();
        tokio::task::spawn_blocking(move || crate::private::create_dir(&temp_dir)).await??;
        let mut random = [0u8; 16];
        getrandom(&mut random);
        let name = callrec_domain::hex::hex(&random);
        let path = self.temp_dir().join(format!("{name}.part"));
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

    /// Puts prepared bytes under their key, durably. Callers hold the
    /// store's lock on the key (see the module comment).
    pub async fn place(&self, mut prepared: PreparedBlob) -> io::Result<StoredBlob> {
        let path = self
            .path_of(&prepared.key)
            .expect("a company key with a SHA-256 digest is valid");
        let folder = path
            .parent()
            .expect("blob paths have a folder")
            .to_path_buf();
        let create = folder.clone();
        tokio::task::spawn_blocking(move || crate::private::create_dir(&create)).await??;
        if fs::try_exists(&path).await? {
            // Same bytes already stored for the company: keep that file.
            fs::remove_file(&prepared.writer.path).await?;
        } else {
            fs::rename(&prepared.writer.path, &path).await?;
            sync_dir(&folder).await?;
        }
        prepared.writer.committed = true;
        Ok(StoredBlob {
            key: prepared.key.clone(),
            sha256: prepared.sha256.clone(),
            size: prepared.size,
        })
    }

    /// Stores bytes already in memory for `company` (demo data, tests),
    /// without the store's lock: nothing points at them yet.
    pub async fn put(&self, bytes: &[u8], company: CompanyId) -> io::Result<StoredBlob> {
        let mut writer = self.writer().await?;
        writer.write(bytes).await?;
        let prepared = self.finish(writer, company).await?;
        self.place(prepared).await
    }

    pub async fn remove(&self, key: &str) -> io::Result<()> {
        match self.path_of(key) {
            Some(path) => match fs::remove_file(path).await {
                Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
                _ => Ok(()),
            },
            None => Ok(()),
        }
    }

    /// Every stored key, and every leftover temporary file.
    pub async fn scan(&self) -> io::Result<(HashSet<String>, Vec<PathBuf>)> {
        let mut keys = HashSet::new();
        let mut leftovers = Vec::new();
        let Ok(mut level1) = fs::read_dir(&self.root).await else {
            return Ok((keys, leftovers));
        };
        while let Some(a) = level1.next_entry().await? {
            let name = a.file_name().to_string_lossy().into_owned();
            if name == "tmp" {
                let mut temps = fs::read_dir(a.path()).await?;
                while let Some(t) = temps.next_entry().await? {
                    leftovers.push(t.path());
                }
                continue;
            }
            if !a.file_type().await?.is_dir() {
                continue;
            }
            if is_company_folder(&name) {
                let mut levels = fs::read_dir(a.path()).await?;
                while let Some(b) = levels.next_entry().await? {
                    if b.file_type().await?.is_dir() {
                        for sha in files_two_levels_down(&b.path(), &mut leftovers).await? {
                            keys.insert(format!("{name}/{sha}"));
                        }
                    }
                }
            } else {
                keys.extend(files_two_levels_down(&a.path(), &mut leftovers).await?);
            }
        }
        Ok((keys, leftovers))
    }
}

/// A file being sealed in place (`callrec_app::sealing::seal_file`) until
/// it is renamed over the stored one.
const SEALING: &str = ".sealing";

/// The names of the files one folder down from each folder in `level`:
/// `cd/<file>` below an `ab` folder. Files a sealing left half-written go
/// to `leftovers`.
async fn files_two_levels_down(
    level: &Path,
    leftovers: &mut Vec<PathBuf>,
) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    let mut folders = fs::read_dir(level).await?;
    while let Some(b) = folders.next_entry().await? {
        if !b.file_type().await?.is_dir() {
            continue;
        }
        let mut files = fs::read_dir(b.path()).await?;
        while let Some(f) = files.next_entry().await? {
            let name = f.file_name().to_string_lossy().into_owned();
            if name.ends_with(SEALING) {
                leftovers.push(f.path());
            } else {
                names.push(name);
            }
        }
    }
    Ok(names)
}

async fn sync_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let dir = fs::File::open(path).await?;
        dir.sync_all().await?;
    }
    Ok(())
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
