//! Sealing audio: [`write_sealed`] writes a sealed copy into a new file of
//! the spool, fsynced; [`seal_file`] then renames it over an upload's
//! spool file, and a re-seal hands it to `BlobStore::replace`, so a stored
//! file is at every moment either the old one or the whole new one (a
//! crash leaves at most a spool file, which the start-up tidy-up removes).
//! Two sealers of one file never share a half-written copy.

use callrec_domain::sealed::{DataKey, Header, CHUNK};
use rand::RngCore;
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Seals `source` (read from its start, as recorded bytes) into `path`,
/// replacing it, with `key` (the company's key number `key_id`). Blocking.
/// An upload's spool file is sealed this way before it is placed.
pub fn seal_file(source: &mut dyn Read, path: &Path, key: &DataKey, key_id: u32) -> io::Result<()> {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(
        ".{}.sealing",
        callrec_domain::hex::hex(&rand::random::<[u8; 8]>())
    ));
    let temp = std::path::PathBuf::from(name);
    if let Err(err) = write_sealed(source, &temp, key, key_id) {
        let _ = std::fs::remove_file(&temp);
        return Err(err);
    }
    std::fs::rename(&temp, path)?;
    if let Some(folder) = path.parent() {
        std::fs::File::open(folder)?.sync_all()?;
    }
    Ok(())
}

/// Writes `source` sealed into the new file `out` (which must not exist),
/// fsynced. Blocking.
pub fn write_sealed(
    source: &mut dyn Read,
    out: &Path,
    key: &DataKey,
    key_id: u32,
) -> io::Result<()> {
    let mut prefix = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut prefix);
    let header = Header { key_id, prefix };
    let cipher = key.for_file(&header);
    // Readable by the portal's user only, like every file it stores.
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(out)?;
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
    file.sync_all()
}

/// Up to CHUNK bytes; fewer only at the end.
fn read_chunk(source: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut chunk = Vec::with_capacity(CHUNK + 16);
    source.take(CHUNK as u64).read_to_end(&mut chunk)?;
    Ok(chunk)
}
