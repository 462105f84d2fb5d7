//! Sealing a stored file in place: the sealed copy is written beside it
//! under a name of its own, fsynced and renamed over it, so the file is at
//! every moment either the old one or the whole new one (a crash leaves at
//! most a `<name>.<random>.sealing` leftover, which the start-up tidy-up
//! removes). Two sealers of one file never share a half-written copy.

use callrec_domain::sealed::{DataKey, Header, CHUNK};
use rand::RngCore;
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Seals `source` (read from its start, as recorded bytes) into `path`,
/// replacing it, with `key` (the company's key number `key_id`). Blocking.
pub fn seal_file(source: &mut dyn Read, path: &Path, key: &DataKey, key_id: u32) -> io::Result<()> {
    let mut prefix = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut prefix);
    let header = Header { key_id, prefix };
    let cipher = key.for_file(&header);
    let mut name = path.as_os_str().to_owned();
    name.push(format!(
        ".{}.sealing",
        callrec_domain::hex::hex(&prefix[..8])
    ));
    let temp = std::path::PathBuf::from(name);
    // Readable by the portal's user only, like every file it stores.
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp)?;
    let mut out = io::BufWriter::with_capacity(4 * CHUNK, file);
    out.write_all(&header.encode())?;
    // One chunk ahead, to know which one is the last.
    let mut current = read_chunk(source)?;
    let mut index = 0u64;
    loop {
        let next = if current.len() == CHUNK {
            read_chunk(source)?
        } else {
            Vec::new()
        };
        let last = next.is_empty();
        cipher.seal_chunk(index, last, &mut current);
        out.write_all(&current)?;
        if last {
            break;
        }
        current = next;
        index += 1;
    }
    let file = out.into_inner().map_err(|err| err.into_error())?;
    file.sync_all()?;
    if std::fs::symlink_metadata(path).is_err() {
        // Removed meanwhile (purged): not brought back.
        std::fs::remove_file(&temp)?;
        return Ok(());
    }
    std::fs::rename(&temp, path)?;
    if let Some(folder) = path.parent() {
        std::fs::File::open(folder)?.sync_all()?;
    }
    Ok(())
}

/// Up to CHUNK bytes; fewer only at the end.
fn read_chunk(source: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut chunk = Vec::with_capacity(CHUNK + 16);
    source.take(CHUNK as u64).read_to_end(&mut chunk)?;
    Ok(chunk)
}
