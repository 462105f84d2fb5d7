//! Reading stored audio as the bytes that were recorded, plain or sealed:
//! [`AudioReader`] is `Read + Seek` over the recorded bytes, and opens
//! only the chunks a read touches (one chunk kept open at a time).

use super::DataKeys;
use crate::Error;
use callrec_domain::sealed::{DataKey, FileCipher, Geometry, Header, HEADER_LEN};
use callrec_domain::CompanyId;
use callrec_store::{BlobFile, BlobStore, Store};
use std::io::{self, Read, Seek, SeekFrom};

/// A stored file, as the recorded bytes.
pub enum AudioReader {
    Plain { file: BlobFile, len: u64 },
    Sealed(Box<SealedReader>),
}

pub struct SealedReader {
    file: BlobFile,
    cipher: FileCipher,
    geometry: Geometry,
    /// The chunk held open, and its number.
    chunk: Vec<u8>,
    chunk_index: Option<u64>,
    position: u64,
}

/// The company a stored file belongs to (`c<id>/<sha256>`), if any.
pub(crate) fn company_of(key: &str) -> Option<CompanyId> {
    let folder = key.split_once('/')?.0;
    folder.strip_prefix('c')?.parse().ok().map(CompanyId)
}

/// What opening a recording's audio found.
pub enum Opened {
    Audio(AudioReader),
    /// No file where the recording points.
    Missing,
    /// A sealed file whose header or length is not one a sealer makes.
    Malformed,
}

/// Opens the stored audio at `storage_key` (through its company's data
/// key from `keys` when sealed).
pub async fn open_audio(
    store: &Store,
    blobs: &BlobStore,
    keys: &DataKeys,
    storage_key: &str,
) -> Result<Opened, Error> {
    let internal = Error::io(format!("audio {storage_key}"));
    let Some(file) = blobs.open(storage_key).await.map_err(&internal)? else {
        return Ok(Opened::Missing);
    };
    let (file, head) = tokio::task::spawn_blocking(move || -> io::Result<(BlobFile, Vec<u8>)> {
        let mut file = file;
        let mut head = vec![0u8; HEADER_LEN.min(file.len() as usize)];
        file.read_exact(&mut head)?;
        file.seek(SeekFrom::Start(0))?;
        Ok((file, head))
    })
    .await?
    .map_err(&internal)?;
    let len = file.len();
    let Some(header) = Header::decode(&head) else {
        return Ok(Opened::Audio(AudioReader::Plain { file, len }));
    };
    if Geometry::of(len).is_none() {
        return Ok(Opened::Malformed);
    }
    // The company is the folder the file is in: its key opens it.
    let Some(company) = company_of(storage_key) else {
        return Ok(Opened::Malformed);
    };
    // A key number the company does not have (a changed header, or a key
    // deleted too soon) is a file that cannot be opened, not a fault of
    // the portal: reported as an integrity failure.
    let Ok(key) = keys.get(store, company, header.key_id).await else {
        tracing::error!(
            key = storage_key,
            key_id = header.key_id,
            "sealed audio names a data key its company does not have"
        );
        return Ok(Opened::Malformed);
    };
    Ok(Opened::Audio(
        AudioReader::sealed(file, &header, key).map_err(&internal)?,
    ))
}

impl AudioReader {
    /// A sealed file with this `header` (read from its start), read with
    /// `key` (the one its header names; a wrong one fails at the first read).
    pub fn sealed(file: BlobFile, header: &Header, key: DataKey) -> io::Result<AudioReader> {
        let geometry = Geometry::of(file.len())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "not sealed audio"))?;
        Ok(AudioReader::Sealed(Box::new(SealedReader {
            file,
            cipher: key.for_file(header),
            geometry,
            chunk: Vec::new(),
            chunk_index: None,
            position: 0,
        })))
    }

    /// How many recorded bytes there are.
    pub fn len(&self) -> u64 {
        match self {
            AudioReader::Plain { len, .. } => *len,
            AudioReader::Sealed(sealed) => sealed.geometry.plain_len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_sealed(&self) -> bool {
        matches!(self, AudioReader::Sealed(_))
    }
}

/// A chunk that does not open reads as this error (kind `InvalidData`).
pub fn tampered() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, callrec_domain::sealed::Tampered)
}

impl SealedReader {
    fn load(&mut self, index: u64) -> io::Result<()> {
        if self.chunk_index == Some(index) {
            return Ok(());
        }
        let (offset, len) = self.geometry.chunk_at(index);
        self.chunk.resize(len, 0);
        self.file.seek(SeekFrom::Start(offset))?;
        self.file.read_exact(&mut self.chunk)?;
        let last = index + 1 == self.geometry.chunks;
        self.chunk_index = None;
        self.cipher
            .open_chunk(index, last, &mut self.chunk)
            .map_err(|_| tampered())?;
        self.chunk_index = Some(index);
        Ok(())
    }
}

impl Read for SealedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.position >= self.geometry.plain_len || buf.is_empty() {
            return Ok(0);
        }
        let index = Geometry::chunk_of(self.position);
        self.load(index)?;
        let within = (self.position - index * callrec_domain::sealed::CHUNK as u64) as usize;
        let n = (self.chunk.len() - within).min(buf.len());
        buf[..n].copy_from_slice(&self.chunk[within..within + n]);
        self.position += n as u64;
        Ok(n)
    }
}

impl Seek for SealedReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(at) => Some(at),
            SeekFrom::End(delta) => self.geometry.plain_len.checked_add_signed(delta),
            SeekFrom::Current(delta) => self.position.checked_add_signed(delta),
        };
        self.position = target
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.position)
    }
}

impl Read for AudioReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            AudioReader::Plain { file, .. } => file.read(buf),
            AudioReader::Sealed(sealed) => sealed.read(buf),
        }
    }
}

impl Seek for AudioReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        match self {
            AudioReader::Plain { file, .. } => file.seek(to),
            AudioReader::Sealed(sealed) => sealed.seek(to),
        }
    }
}
