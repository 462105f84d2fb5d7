//! Audio in a folder: `<root>/c<company>/ab/cd/abcdef…` (or
//! `<root>/ab/cd/abcdef…` for the older shared layout): two levels keep
//! folders small. A file is renamed into place from the spool (the same
//! file system) and its folder fsynced.

use super::reader::BlobFile;
use super::{is_company_folder, is_sha256_hex};
use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use tokio::fs;

#[derive(Debug, Clone)]
pub(super) struct Folder {
    root: PathBuf,
}

/// What an older version left while sealing a file in place.
const SEALING: &str = ".sealing";

impl Folder {
    pub(super) fn new(root: &Path) -> Folder {
        Folder {
            root: root.to_path_buf(),
        }
    }

    pub(super) fn root(&self) -> &Path {
        &self.root
    }

    pub(super) fn path_of(&self, key: &str) -> Option<PathBuf> {
        let (folder, sha) = match key.split_once('/') {
            Some((company, sha)) if is_company_folder(company) => (self.root.join(company), sha),
            Some(_) => return None,
            None => (self.root.clone(), key),
        };
        is_sha256_hex(sha).then(|| folder.join(&sha[0..2]).join(&sha[2..4]).join(sha))
    }

    fn file_of(&self, key: &str) -> io::Result<PathBuf> {
        self.path_of(key)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a storage key"))
    }

    pub(super) async fn place(&self, temp: &Path, key: &str) -> io::Result<()> {
        let path = self.file_of(key)?;
        let folder = path
            .parent()
            .expect("blob paths have a folder")
            .to_path_buf();
        let create = folder.clone();
        tokio::task::spawn_blocking(move || crate::private::create_dir(&create)).await??;
        if fs::try_exists(&path).await? {
            // Same bytes already stored for the company: keep that file.
            fs::remove_file(temp).await
        } else {
            fs::rename(temp, &path).await?;
            sync_dir(&folder).await
        }
    }

    pub(super) async fn replace(&self, key: &str, temp: &Path) -> io::Result<bool> {
        let path = self.file_of(key)?;
        if fs::symlink_metadata(&path).await.is_err() {
            return Ok(false);
        }
        fs::rename(temp, &path).await?;
        sync_dir(path.parent().expect("blob paths have a folder")).await?;
        Ok(true)
    }

    pub(super) async fn remove(&self, key: &str) -> io::Result<()> {
        match fs::remove_file(self.file_of(key)?).await {
            Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }

    pub(super) async fn open(&self, key: &str) -> io::Result<Option<BlobFile>> {
        let path = self.file_of(key)?;
        tokio::task::spawn_blocking(move || match std::fs::File::open(&path) {
            Ok(file) => {
                let len = file.metadata()?.len();
                Ok(Some(BlobFile::file(file, len)))
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err),
        })
        .await?
    }

    pub(super) async fn modified(&self, key: &str) -> io::Result<Option<SystemTime>> {
        match fs::metadata(self.file_of(key)?).await {
            Ok(meta) => Ok(Some(meta.modified()?)),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Every stored key; half-sealed files go to `leftovers`.
    pub(super) async fn scan(&self, leftovers: &mut Vec<PathBuf>) -> io::Result<HashSet<String>> {
        let mut keys = HashSet::new();
        let Ok(mut level1) = fs::read_dir(&self.root).await else {
            return Ok(keys);
        };
        while let Some(a) = level1.next_entry().await? {
            let name = a.file_name().to_string_lossy().into_owned();
            if name == "tmp" || !a.file_type().await?.is_dir() {
                continue;
            }
            if is_company_folder(&name) {
                let mut levels = fs::read_dir(a.path()).await?;
                while let Some(b) = levels.next_entry().await? {
                    if b.file_type().await?.is_dir() {
                        for sha in files_two_levels_down(&b.path(), leftovers).await? {
                            keys.insert(format!("{name}/{sha}"));
                        }
                    }
                }
            } else {
                keys.extend(files_two_levels_down(&a.path(), leftovers).await?);
            }
        }
        Ok(keys)
    }
}

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
    let dir = fs::File::open(path).await?;
    dir.sync_all().await
}
