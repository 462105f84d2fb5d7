//! Audio at rest, sealed with a company's data key: a header, then the
//! audio in chunks of [`CHUNK`] bytes, each sealed on its own with
//! XChaCha20-Poly1305 (the STREAM construction: the nonce is the file's
//! random prefix and the chunk's number, with a flag on the last chunk),
//! so a byte range is read by opening only the chunks it touches, and a
//! chunk changed, moved, dropped or a file cut short fails to open.
//!
//! Layout: `CRA1` · key id (u32, big-endian) · nonce prefix (16 bytes) ·
//! chunks of up to CHUNK bytes plus a 16-byte tag. The header is every
//! chunk's associated data. An empty file is one empty last chunk.

use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{Key, Tag, XChaCha20Poly1305, XNonce};

pub const MAGIC: &[u8; 4] = b"CRA1";
/// Plain bytes per chunk: 64 KiB (a player's ranges cost at most two
/// chunks more than they ask for).
pub const CHUNK: usize = 64 * 1024;
pub const TAG: usize = 16;
pub const HEADER_LEN: usize = 4 + 4 + 16;
const SEALED_CHUNK: u64 = (CHUNK + TAG) as u64;

/// A data key: 32 bytes.
#[derive(Clone)]
pub struct DataKey(Key);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(…)")
    }
}

impl DataKey {
    pub fn from_bytes(bytes: [u8; 32]) -> DataKey {
        DataKey(bytes.into())
    }
}

/// A sealed file's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Which of the company's data keys sealed it.
    pub key_id: u32,
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

    fn nonce(&self, index: u64, last: bool) -> XNonce {
        let mut nonce = [0u8; 24];
        nonce[..16].copy_from_slice(&self.prefix);
        let counter = index | if last { 1 << 63 } else { 0 };
        nonce[16..].copy_from_slice(&counter.to_be_bytes());
        nonce.into()
    }
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

/// Seals chunk `index` in place: `buffer` holds its plain bytes (at most
/// CHUNK) and gets the tag appended.
pub fn seal_chunk(key: &DataKey, header: &Header, index: u64, last: bool, buffer: &mut Vec<u8>) {
    let cipher = XChaCha20Poly1305::new(&key.0);
    let tag = cipher
        .encrypt_in_place_detached(&header.nonce(index, last), &header.encode(), buffer)
        .expect("a chunk is far below the cipher's limit");
    buffer.extend_from_slice(&tag);
}

/// Opens chunk `index` in place: `buffer` holds its sealed bytes and keeps
/// the plain ones.
pub fn open_chunk(
    key: &DataKey,
    header: &Header,
    index: u64,
    last: bool,
    buffer: &mut Vec<u8>,
) -> Result<(), Tampered> {
    let split = buffer.len().checked_sub(TAG).ok_or(Tampered)?;
    let tag = Tag::clone_from_slice(&buffer[split..]);
    buffer.truncate(split);
    XChaCha20Poly1305::new(&key.0)
        .decrypt_in_place_detached(&header.nonce(index, last), &header.encode(), buffer, &tag)
        .map_err(|_| Tampered)
}

/// Seals `plain` whole (tests, small files).
pub fn seal(key: &DataKey, header: &Header, plain: &[u8]) -> Vec<u8> {
    let mut out = header.encode().to_vec();
    let chunks: Vec<&[u8]> = if plain.is_empty() {
        vec![&[][..]]
    } else {
        plain.chunks(CHUNK).collect()
    };
    let count = chunks.len() as u64;
    for (index, chunk) in chunks.into_iter().enumerate() {
        let mut buffer = chunk.to_vec();
        seal_chunk(
            key,
            header,
            index as u64,
            index as u64 + 1 == count,
            &mut buffer,
        );
        out.extend_from_slice(&buffer);
    }
    out
}

/// Opens a whole sealed file (tests, small files).
pub fn open(key: &DataKey, sealed: &[u8]) -> Result<Vec<u8>, Tampered> {
    let header = Header::decode(sealed).ok_or(Tampered)?;
    let geometry = Geometry::of(sealed.len() as u64).ok_or(Tampered)?;
    let mut out = Vec::with_capacity(geometry.plain_len as usize);
    for index in 0..geometry.chunks {
        let (offset, len) = geometry.chunk_at(index);
        let mut buffer = sealed[offset as usize..offset as usize + len].to_vec();
        open_chunk(
            key,
            &header,
            index,
            index + 1 == geometry.chunks,
            &mut buffer,
        )?;
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
