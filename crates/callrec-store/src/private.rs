//! Files and folders only the owner may read: the data directory holds
//! password hashes, sessions, the audit log, MFA ciphertext and call audio
//! (security review, item 11). Folders are created 0700, files 0600.

use std::io;
use std::path::Path;

/// Creates `path` and any missing parents, each new one 0700.
pub fn create_dir(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}

/// Options that create a file 0600.
pub fn file_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// The paths under `data_dir` that other local users can read or enter
/// (group or other permission bits set), for a warning at start.
pub fn too_open(data_dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let names = ["", crate::SQLITE_FILE, "audio", "mfa-keys"];
        for name in names {
            let path = data_dir.join(name);
            if let Ok(meta) = std::fs::metadata(&path) {
                let mode = meta.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    found.push(format!("{} (mode {mode:o})", path.display()));
                }
            }
        }
    }
    found
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn folders_and_files_are_private_and_wide_ones_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("a/b");
        create_dir(&data).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        let file = data.join(crate::SQLITE_FILE);
        file_options()
            .write(true)
            .create_new(true)
            .open(&file)
            .unwrap();
        assert_eq!(mode(&file), 0o600);
        assert!(too_open(&data).is_empty());
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let found = too_open(&data);
        assert_eq!(found.len(), 1);
        assert!(found[0].contains("callrec.db (mode 644)"), "{found:?}");
    }
}
