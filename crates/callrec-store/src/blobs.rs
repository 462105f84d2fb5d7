//! Audio files on disk, content-addressed: the SHA-256 of the bytes is the
//! key, so the same audio is stored once. A file is written to a temporary
//! name, fsynced, renamed into place and its folder fsynced; only then may a
//! row point at it, so an acknowledged upload survives a crash.

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

/// A stored blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    pub key: String,
    pub sha256: String,
    pub size: u64,
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

    /// `audio/ab/cd/abcdef…`: two levels keep folders small.
    pub fn path_of(&self, key: &str) -> Option<PathBuf> {
        let valid = key.len() == 64
            && key
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        valid.then(|| self.root.join(&key[0..2]).join(&key[2..4]).join(key))
    }

    pub async fn writer(&self) -> io::Result<BlobWriter> {
        let temp_dir = self.temp_dir();
        tokio::task::spawn_blocking(move || crate::private::create_dir(&temp_dir)).await??;
        let mut random = [0u8; 16];
        getrandom(&mut random);
        let name: String = random.iter().map(|b| format!("{b:02x}")).collect();
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

    /// Makes the written bytes durable under their content key.
    pub async fn commit(&self, mut writer: BlobWriter) -> io::Result<StoredBlob> {
        writer.file.flush().await?;
        writer.file.sync_all().await?;
        let sha256: String = writer
            .hasher
            .clone()
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let path = self
            .path_of(&sha256)
            .expect("a SHA-256 hex digest is a valid key");
        let folder = path
            .parent()
            .expect("blob paths have a folder")
            .to_path_buf();
        let create = folder.clone();
        tokio::task::spawn_blocking(move || crate::private::create_dir(&create)).await??;
        let folder = folder.as_path();
        if fs::try_exists(&path).await? {
            // Same bytes already stored: keep the existing file.
            fs::remove_file(&writer.path).await?;
        } else {
            fs::rename(&writer.path, &path).await?;
            sync_dir(folder).await?;
        }
        writer.committed = true;
        Ok(StoredBlob {
            key: sha256.clone(),
            sha256,
            size: writer.size,
        })
    }

    /// Stores bytes already in memory (demo data, tests).
    pub async fn put(&self, bytes: &[u8]) -> io::Result<StoredBlob> {
        let mut writer = self.writer().await?;
        writer.write(bytes).await?;
        self.commit(writer).await
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
            if a.file_name() == "tmp" {
                let mut temps = fs::read_dir(a.path()).await?;
                while let Some(t) = temps.next_entry().await? {
                    leftovers.push(t.path());
                }
                continue;
            }
            if !a.file_type().await?.is_dir() {
                continue;
            }
            let mut level2 = fs::read_dir(a.path()).await?;
            while let Some(b) = level2.next_entry().await? {
                if !b.file_type().await?.is_dir() {
                    continue;
                }
                let mut files = fs::read_dir(b.path()).await?;
                while let Some(f) = files.next_entry().await? {
                    keys.insert(f.file_name().to_string_lossy().into_owned());
                }
            }
        }
        Ok((keys, leftovers))
    }
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
