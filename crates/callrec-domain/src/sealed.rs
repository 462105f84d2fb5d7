//! Audio at rest, sealed with a company's data key: a header, then the
//! audio in chunks of [`CHUNK`] bytes, each sealed on its own with
//! AES-256-GCM under a key for this file alone (HKDF-SHA256 of the data
//! key and the file's random salt), its nonce the chunk's number with a
//! flag on the last chunk (the STREAM construction, as in Tink's streaming
//! AEAD). A byte range is read by opening only the chunks it touches, and
//! a chunk changed, moved, dropped or a file cut short fails to open.
//! AES-256-GCM from `ring` (assembly using the CPU's AES and carry-less
//! multiply instructions): 5.9 GB/s to open on this machine, where the
//! pure-Rust AES-GCM and XChaCha20-Poly1305 crates managed about 0.7 GB/s
//! and held a sealed download to a third of a plain one
//! (docs/BENCHMARKS.md, download).
//!
//! Layout: `CRA1` · key id (u32, big-endian) · salt (16 bytes) · chunks of
//! up to CHUNK bytes plus a 16-byte tag. The header is every chunk's
//! associated data. An empty file is one empty last chunk.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::hkdf::{Salt, HKDF_SHA256};

pub const MAGIC: &[u8; 4] = b"CRA1";
/// Plain bytes per chunk: 64 KiB (a player's ranges cost at most two
/// chunks more than they ask for).
pub const CHUNK: usize = 64 * 1024;
pub const TAG: usize = 16;
pub const HEADER_LEN: usize = 4 + 4 + 16;
const SEALED_CHUNK: u64 = (CHUNK + TAG) as u64;

/// A data key: 32 bytes.
#[derive(Clone)]
pub struct DataKey([u8; 32]);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(…)")
    }
}

impl DataKey {
    pub fn from_bytes(bytes: [u8; 32]) -> DataKey {
        DataKey(bytes)
    }

    /// The cipher of one file: its own key, derived from this one and the
    /// file's salt, so files never share a (key, nonce) pair.
    pub fn for_file(&self, header: &Header) -> FileCipher {
        let prk = Salt::new(HKDF_SHA256, &header.prefix).extract(&self.0);
        let info = [b"callrec-audio-v1".as_slice()];
        let okm = prk
            .expand(&info, &AES_256_GCM)
            .expect("an AES-256 key is a valid HKDF-SHA256 length");
        FileCipher {
            cipher: LessSafeKey::new(UnboundKey::from(okm)),
            header: header.encode(),
        }
    }
}

/// One file's cipher and header: seals and opens its chunks.
pub struct FileCipher {
    cipher: LessSafeKey,
    /// The encoded header: every chunk's associated data.
    header: [u8; HEADER_LEN],
}

/// A sealed file's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Which of the company's data keys sealed it.
    pub key_id: u32,
    /// The file's random salt.
    pub prefix: [u8; 16],
}

/// A chunk that does not open: the file was changed, cut or reordered, or
/// the key is not the one that sealed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("sealed audio does not open: changed, cut short, or another key")]
pub struct Tampered;

impl Header {
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[..4].copy_from_slice(MAGIC);
        out[4..8].copy_from_slice(&self.key_id.to_be_bytes());
        out[8..].copy_from_slice(&self.prefix);
        out
    }

    /// The header at the start of `bytes`, if they are sealed audio.
    pub fn decode(bytes: &[u8]) -> Option<Header> {
        if bytes.len() < HEADER_LEN || &bytes[..4] != MAGIC {
            return None;
        }
        Some(Header {
            key_id: u32::from_be_bytes(bytes[4..8].try_into().ok()?),
            prefix: bytes[8..HEADER_LEN].try_into().ok()?,
        })
    }
}

/// Chunk `index`'s nonce: its number, and whether it is the last. Unique
/// within a file, whose key no other file shares.
fn nonce(index: u64, last: bool) -> Nonce {
    let mut nonce = [0u8; 12];
    nonce[..8].copy_from_slice(&index.to_be_bytes());
    nonce[11] = u8::from(last);
    Nonce::assume_unique_for_key(nonce)
}

/// Where the chunks of a sealed file of `sealed_len` bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    pub chunks: u64,
    /// The audio's length.
    pub plain_len: u64,
}

impl Geometry {
    /// `None` when no sealed file has this length (cut inside the header or
    /// a tag).
    pub fn of(sealed_len: u64) -> Option<Geometry> {
        let body = sealed_len.checked_sub(HEADER_LEN as u64)?;
        if body < TAG as u64 {
            return None;
        }
        let chunks = body.div_ceil(SEALED_CHUNK);
        let plain_len = body - chunks * TAG as u64;
        // A last chunk holds at least its tag; a full-size last chunk is
        // fine, an empty one only when it is the only one.
        if chunks > 1 && body - (chunks - 1) * SEALED_CHUNK <= TAG as u64 {
            return None;
        }
        Some(Geometry { chunks, plain_len })
    }

    /// The sealed file's length for `plain_len` bytes of audio.
    pub fn sealed_len(plain_len: u64) -> u64 {
        let chunks = plain_len.div_ceil(CHUNK as u64).max(1);
        HEADER_LEN as u64 + plain_len + chunks * TAG as u64
    }

    /// The byte offset of chunk `index` in the file, and its sealed length.
    pub fn chunk_at(&self, index: u64) -> (u64, usize) {
        let offset = HEADER_LEN as u64 + index * SEALED_CHUNK;
        let plain = if index + 1 == self.chunks {
            self.plain_len - index * CHUNK as u64
        } else {
            CHUNK as u64
        };
        (offset, plain as usize + TAG)
    }

    /// The chunk holding plain byte `offset`.
    pub fn chunk_of(offset: u64) -> u64 {
        offset / CHUNK as u64
    }
}

impl FileCipher {
    /// Seals chunk `index` in place: `buffer` holds its plain bytes (at
    /// most CHUNK) and gets the tag appended.
    pub fn seal_chunk(&self, index: u64, last: bool, buffer: &mut Vec<u8>) {
        let tag = self
            .cipher
            .seal_in_place_separate_tag(nonce(index, last), Aad::from(&self.header), buffer)
            .expect("a chunk is far below the cipher's limit");
        buffer.extend_from_slice(tag.as_ref());
    }

    /// Opens chunk `index` in place: `buffer` holds its sealed bytes and
    /// keeps the plain ones.
    pub fn open_chunk(&self, index: u64, last: bool, buffer: &mut Vec<u8>) -> Result<(), Tampered> {
        let plain = self
            .cipher
            .open_in_place(nonce(index, last), Aad::from(&self.header), buffer)
            .map_err(|_| Tampered)?
            .len();
        buffer.truncate(plain);
        Ok(())
    }
}

/// Seals `plain` whole (tests, small files).
pub fn seal(key: &DataKey, header: &Header, plain: &[u8]) -> Vec<u8> {
    let cipher = key.for_file(header);
    let mut out = header.encode().to_vec();
    let chunks: Vec<&[u8]> = if plain.is_empty() {
        vec![&[][..]]
    } else {
        plain.chunks(CHUNK).collect()
    };
    let count = chunks.len() as u64;
    for (index, chunk) in chunks.into_iter().enumerate() {
        let mut buffer = chunk.to_vec();
        cipher.seal_chunk(index as u64, index as u64 + 1 == count, &mut buffer);
        out.extend_from_slice(&buffer);
    }
    out
}

/// Opens a whole sealed file (tests, small files).
pub fn open(key: &DataKey, sealed: &[u8]) -> Result<Vec<u8>, Tampered> {
    let header = Header::decode(sealed).ok_or(Tampered)?;
    let geometry = Geometry::of(sealed.len() as u64).ok_or(Tampered)?;
    let cipher = key.for_file(&header);
    let mut out = Vec::with_capacity(geometry.plain_len as usize);
    for index in 0..geometry.chunks {
        let (offset, len) = geometry.chunk_at(index);
        let mut buffer = sealed[offset as usize..offset as usize + len].to_vec();
        cipher.open_chunk(index, index + 1 == geometry.chunks, &mut buffer)?;
        out.extend_from_slice(&buffer);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(n: u8) -> DataKey {
        DataKey::from_bytes([n; 32])
    }

    const HEADER: Header = Header {
        key_id: 7,
        prefix: [3; 16],
    };

    #[test]
    fn sizes_around_chunk_edges_round_trip() {
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17] {
            let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let sealed = seal(&key(1), &HEADER, &plain);
            assert_eq!(
                sealed.len() as u64,
                Geometry::sealed_len(len as u64),
                "{len}"
            );
            let geometry = Geometry::of(sealed.len() as u64).unwrap();
            assert_eq!(geometry.plain_len, len as u64);
            assert_eq!(open(&key(1), &sealed).unwrap(), plain, "{len}");
            assert_eq!(Header::decode(&sealed), Some(HEADER));
        }
    }

    #[test]
    fn changes_cuts_swaps_and_other_keys_fail() {
        let plain = vec![9u8; 2 * CHUNK + 100];
        let sealed = seal(&key(1), &HEADER, &plain);
        assert_eq!(open(&key(2), &sealed), Err(Tampered), "another key");
        let mut changed = sealed.clone();
        changed[HEADER_LEN + 10] ^= 1;
        assert_eq!(open(&key(1), &changed), Err(Tampered));
        let mut header = sealed.clone();
        header[5] ^= 1; // the key id: the header is authenticated
        assert_eq!(open(&key(1), &header), Err(Tampered));
        // Cut after the second chunk: its chunk was not sealed as the last.
        let cut = &sealed[..HEADER_LEN + 2 * (CHUNK + TAG)];
        assert_eq!(open(&key(1), cut), Err(Tampered));
        // The first two chunks swapped.
        let mut swapped = sealed.clone();
        let (a, b) = (HEADER_LEN, HEADER_LEN + CHUNK + TAG);
        let first = sealed[a..b].to_vec();
        swapped[a..b].copy_from_slice(&sealed[b..b + CHUNK + TAG]);
        swapped[b..b + CHUNK + TAG].copy_from_slice(&first);
        assert_eq!(open(&key(1), &swapped), Err(Tampered));
        assert_eq!(
            Header::decode(b"RIFF....WAVEfmt and then some"),
            None,
            "plain audio"
        );
        assert_eq!(
            Geometry::of(HEADER_LEN as u64 + 5),
            None,
            "shorter than a tag"
        );
    }

    proptest! {
        /// Any length the geometry accepts maps back to itself; a range's
        /// chunks cover it.
        #[test]
        fn geometry_round_trips(plain_len in 0u64..10_000_000, offset in 0u64..10_000_000) {
            let sealed = Geometry::sealed_len(plain_len);
            let geometry = Geometry::of(sealed).unwrap();
            prop_assert_eq!(geometry.plain_len, plain_len);
            if offset < plain_len {
                let index = Geometry::chunk_of(offset);
                prop_assert!(index < geometry.chunks);
                let (at, len) = geometry.chunk_at(index);
                prop_assert!(at + len as u64 <= sealed);
            }
        }
    }
}
