//! A stored blob to read: `Read + Seek` for the blocking readers (run on
//! `spawn_blocking`), over a file or over ranged GETs of an object.

use bytes::Bytes;
use object_store::path::Path as ObjectPath;
use object_store::ObjectStore;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;

/// A stored blob, open for reading. Reading an object blocks on the
/// runtime: only ever read it from a blocking thread.
pub struct BlobFile {
    len: u64,
    source: Source,
}

enum Source {
    File(std::fs::File),
    Object(Box<ObjectSource>),
}

/// An object read in windows of [`WINDOW`] bytes: a sealed file is read a
/// 64 KiB chunk at a time, and one GET per chunk would cost a round trip
/// each.
struct ObjectSource {
    store: Arc<dyn ObjectStore>,
    path: ObjectPath,
    runtime: tokio::runtime::Handle,
    window: Bytes,
    window_at: u64,
    position: u64,
}

const WINDOW: u64 = 1 << 20;

impl BlobFile {
    pub(super) fn file(file: std::fs::File, len: u64) -> BlobFile {
        BlobFile {
            len,
            source: Source::File(file),
        }
    }

    pub(super) fn object(store: Arc<dyn ObjectStore>, path: ObjectPath, len: u64) -> BlobFile {
        BlobFile {
            len,
            source: Source::Object(Box::new(ObjectSource {
                store,
                path,
                runtime: tokio::runtime::Handle::current(),
                window: Bytes::new(),
                window_at: 0,
                position: 0,
            })),
        }
    }

    /// How many bytes are stored.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Read for BlobFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.source {
            Source::File(file) => file.read(buf),
            Source::Object(object) => object.read(buf, self.len),
        }
    }
}

impl Seek for BlobFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        match &mut self.source {
            Source::File(file) => file.seek(to),
            Source::Object(object) => {
                let target = match to {
                    SeekFrom::Start(at) => Some(at),
                    SeekFrom::End(delta) => self.len.checked_add_signed(delta),
                    SeekFrom::Current(delta) => object.position.checked_add_signed(delta),
                };
                object.position = target.ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidInput, "seek before the start")
                })?;
                Ok(object.position)
            }
        }
    }
}

impl ObjectSource {
    fn read(&mut self, buf: &mut [u8], len: u64) -> io::Result<usize> {
        if self.position >= len || buf.is_empty() {
            return Ok(0);
        }
        let end = self.window_at + self.window.len() as u64;
        if self.position < self.window_at || self.position >= end {
            let range = self.position..(self.position + WINDOW).min(len);
            let (store, path) = (&self.store, &self.path);
            self.window = self
                .runtime
                .block_on(store.get_range(path, range))
                .map_err(io::Error::other)?;
            self.window_at = self.position;
            if self.window.is_empty() {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
        let within = (self.position - self.window_at) as usize;
        let n = (self.window.len() - within).min(buf.len());
        buf[..n].copy_from_slice(&self.window[within..within + n]);
        self.position += n as u64;
        Ok(n)
    }
}
