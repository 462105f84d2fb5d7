//! Audio in an S3-compatible bucket (object_store's S3 client): an upload
//! goes up from the spool once its bytes are final — in one PUT, or in
//! parts of [`PART`] bytes past that — and the object exists once the
//! server has acknowledged it. Reads are ranged GETs.

use super::reader::BlobFile;
use super::{is_storage_key, S3Location};
use futures_util::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload, RetryConfig, WriteMultipart};
use std::collections::HashSet;
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::io::AsyncReadExt;

#[derive(Clone)]
pub(super) struct Bucket {
    store: Arc<dyn ObjectStore>,
    name: String,
    prefix: String,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Files up to this size go up in one PUT; larger ones in parts this big
/// (S3 wants parts of at least 5 MiB).
const PART: usize = 8 << 20;

/// Parts in flight at once for one upload.
const PARTS_IN_FLIGHT: usize = 2;

fn failed(err: object_store::Error) -> io::Error {
    match err {
        object_store::Error::NotFound { .. } => io::Error::new(io::ErrorKind::NotFound, err),
        err => io::Error::other(err),
    }
}

impl Bucket {
    pub(super) fn connect(s3: &S3Location) -> io::Result<Bucket> {
        // Credentials and the rest from the usual AWS_* variables.
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&s3.bucket)
            .with_retry(RetryConfig {
                // A few quick retries, then the request fails and the
                // upload answers 503: no minutes-long hang on a dead server.
                max_retries: 3,
                retry_timeout: Duration::from_secs(30),
                ..RetryConfig::default()
            });
        if let Some(endpoint) = &s3.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let Some(region) = &s3.region {
            builder = builder.with_region(region);
        }
        let store = builder.build().map_err(|err| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("cannot use s3://{}: {err}", s3.bucket),
            )
        })?;
        Ok(Bucket {
            store: Arc::new(store),
            name: s3.bucket.clone(),
            prefix: s3.prefix.clone(),
        })
    }

    pub(super) fn describe(&self) -> String {
        match self.prefix.as_str() {
            "" => format!("s3://{}", self.name),
            prefix => format!("s3://{}/{prefix}", self.name),
        }
    }

    fn path(&self, key: &str) -> ObjectPath {
        match self.prefix.as_str() {
            "" => ObjectPath::from(key),
            prefix => ObjectPath::from(format!("{prefix}/{key}")),
        }
    }

    async fn exists(&self, path: &ObjectPath) -> io::Result<bool> {
        match self.store.head(path).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(err) => Err(failed(err)),
        }
    }

    pub(super) async fn place(&self, temp: &Path, key: &str) -> io::Result<()> {
        let path = self.path(key);
        // Same bytes already stored for the company: keep that object.
        if !self.exists(&path).await? {
            self.upload(temp, &path).await?;
        }
        tokio::fs::remove_file(temp).await
    }

    pub(super) async fn replace(&self, key: &str, temp: &Path) -> io::Result<bool> {
        let path = self.path(key);
        if !self.exists(&path).await? {
            return Ok(false);
        }
        self.upload(temp, &path).await?;
        tokio::fs::remove_file(temp).await?;
        Ok(true)
    }

    async fn upload(&self, temp: &Path, path: &ObjectPath) -> io::Result<()> {
        let mut file = tokio::fs::File::open(temp).await?;
        let size = file.metadata().await?.len();
        if size <= PART as u64 {
            let mut bytes = Vec::with_capacity(size as usize);
            file.read_to_end(&mut bytes).await?;
            self.store
                .put(path, PutPayload::from(bytes))
                .await
                .map_err(failed)?;
            return Ok(());
        }
        let upload = self.store.put_multipart(path).await.map_err(failed)?;
        let mut parts = WriteMultipart::new_with_chunk_size(upload, PART);
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let n = match file.read(&mut buffer).await {
                Ok(n) => n,
                Err(err) => {
                    let _ = parts.abort().await;
                    return Err(err);
                }
            };
            if n == 0 {
                break;
            }
            if let Err(err) = parts.wait_for_capacity(PARTS_IN_FLIGHT).await {
                let _ = parts.abort().await;
                return Err(failed(err));
            }
            parts.write(&buffer[..n]);
        }
        // A failed finish aborts the upload itself (object_store), so no
        // parts are left behind to be billed.
        parts.finish().await.map_err(failed)?;
        Ok(())
    }

    pub(super) async fn remove(&self, key: &str) -> io::Result<()> {
        match self.store.delete(&self.path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(failed(err)),
        }
    }

    pub(super) async fn open(&self, key: &str) -> io::Result<Option<BlobFile>> {
        let path = self.path(key);
        match self.store.head(&path).await {
            Ok(meta) => Ok(Some(BlobFile::object(self.store.clone(), path, meta.size))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(err) => Err(failed(err)),
        }
    }

    pub(super) async fn modified(&self, key: &str) -> io::Result<Option<SystemTime>> {
        match self.store.head(&self.path(key)).await {
            Ok(meta) => Ok(Some(SystemTime::from(meta.last_modified))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(err) => Err(failed(err)),
        }
    }

    pub(super) async fn scan(&self) -> io::Result<HashSet<String>> {
        let prefix = (!self.prefix.is_empty()).then(|| ObjectPath::from(self.prefix.as_str()));
        let strip = match self.prefix.as_str() {
            "" => String::new(),
            prefix => format!("{prefix}/"),
        };
        let mut keys = HashSet::new();
        let mut listing = self.store.list(prefix.as_ref());
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(failed)?;
            let location = meta.location.to_string();
            if let Some(key) = location.strip_prefix(&strip) {
                if is_storage_key(key) {
                    keys.insert(key.to_string());
                }
            }
        }
        Ok(keys)
    }
}
