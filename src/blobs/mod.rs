//! The blob store: courseware files, photos and (next) face captures live here, never in
//! database rows. A local directory under the data dir by default, any S3-compatible store by
//! configuration (`object_store`). Uploads stream through: the SHA-256 and the size are
//! computed on the way, memory stays bounded by the multipart chunk size whatever the file's
//! size, and an upload over its cap is aborted (nothing is left behind).
use std::ops::Range;
use std::sync::Arc;

use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, WriteMultipart};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use crate::config::{BlobBackend, Settings};

/// Parts written at once while an upload streams (memory ≈ parts × chunk size).
const PARTS_IN_FLIGHT: usize = 2;

/// Where the blobs are kept.
#[derive(Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
}

/// A blob as stored: its key, SHA-256 and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub key: String,
    pub sha256: String,
    pub size: u64,
}

/// Why an upload did not complete (nothing of it is kept). `E` is the error of the stream read.
#[derive(Debug, thiserror::Error)]
pub enum PutError<E: std::fmt::Display> {
    #[error("the upload is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("reading the upload failed: {0}")]
    Read(E),
    #[error("the blob store failed: {0}")]
    Store(#[from] object_store::Error),
}

/// A blob being read: its whole size, the range sent, and the bytes of that range.
pub struct Read {
    pub size: u64,
    pub range: Range<u64>,
    pub body: futures_util::stream::BoxStream<'static, Result<Bytes, object_store::Error>>,
}

impl Blobs {
    pub fn from_settings(settings: &Settings) -> Result<Self, String> {
        let b = &settings.blobs;
        let store: Arc<dyn ObjectStore> = match b.backend {
            BlobBackend::Local => {
                let dir = b.dir.clone().unwrap_or_else(|| settings.data_path("blobs"));
                std::fs::create_dir_all(&dir)
                    .map_err(|e| format!("blobs.dir {}: {e}", dir.display()))?;
                Arc::new(
                    LocalFileSystem::new_with_prefix(&dir)
                        .map_err(|e| format!("blobs.dir: {e}"))?
                        .with_automatic_cleanup(true),
                )
            }
            BlobBackend::S3 => {
                let s3 =
                    b.s3.as_ref()
                        .ok_or("blobs.s3 must be set for the s3 backend")?;
                crate::crypto::install_tls_provider();
                let mut builder = AmazonS3Builder::new()
                    .with_endpoint(&s3.endpoint)
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region)
                    .with_access_key_id(&s3.access_key_id)
                    .with_secret_access_key(s3.secret_access_key.expose_secret())
                    .with_allow_http(s3.allow_http)
                    .with_virtual_hosted_style_request(false);
                if s3.allow_http {
                    builder = builder.with_allow_http(true);
                }
                Arc::new(builder.build().map_err(|e| format!("blobs.s3: {e}"))?)
            }
        };
        Ok(Self { store })
    }

    /// Streams `body` into `key`, hashing and counting on the way; aborts past `limit` bytes.
    pub async fn put<S, E>(&self, key: &str, mut body: S, limit: u64) -> Result<Stored, PutError<E>>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let path = Path::from(key);
        let mut upload = WriteMultipart::new(self.store.put_multipart(&path).await?);
        let (mut sha, mut size) = (Sha256::new(), 0u64);
        let failure = loop {
            let chunk = match body.next().await {
                None => break None,
                Some(Err(e)) => break Some(PutError::Read(e)),
                Some(Ok(chunk)) => chunk,
            };
            size += chunk.len() as u64;
            if size > limit {
                break Some(PutError::TooLarge { limit });
            }
            sha.update(&chunk);
            if let Err(e) = upload.wait_for_capacity(PARTS_IN_FLIGHT).await {
                break Some(e.into());
            }
            upload.put(chunk);
        };
        if let Some(e) = failure {
            let _ = upload.abort().await;
            return Err(e);
        }
        upload.finish().await?;
        Ok(Stored {
            key: key.to_owned(),
            sha256: hex::encode(sha.finalize()),
            size,
        })
    }

    /// Reads the whole of `key` into memory: only for small files (quizzes, face images).
    pub async fn read_all(&self, key: &str) -> Result<Vec<u8>, object_store::Error> {
        let mut read = self.get(key, None).await?;
        let mut bytes = Vec::with_capacity(read.size as usize);
        while let Some(chunk) = read.body.next().await {
            bytes.extend_from_slice(&chunk?);
        }
        Ok(bytes)
    }

    /// Stores `bytes` (already in memory) at `key`.
    pub async fn put_bytes(&self, key: &str, bytes: Bytes) -> Result<Stored, object_store::Error> {
        let stream = futures_util::stream::iter([Ok::<_, std::convert::Infallible>(bytes)]);
        self.put(key, stream, u64::MAX).await.map_err(|e| match e {
            PutError::Store(e) => e,
            other => object_store::Error::Generic {
                store: "blobs",
                source: other.to_string().into(),
            },
        })
    }

    /// Reads `key`, or the byte range `range` of it.
    pub async fn get(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> Result<Read, object_store::Error> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..Default::default()
        };
        let result = self.store.get_opts(&Path::from(key), options).await?;
        Ok(Read {
            size: result.meta.size,
            range: result.range.clone(),
            body: result.into_stream(),
        })
    }

    pub async fn delete(&self, key: &str) -> Result<(), object_store::Error> {
        self.store.delete(&Path::from(key)).await
    }

    /// Settles a write that stored the blob `new_key`: when it succeeded, the blob it replaced
    /// (if any) is deleted; when it failed, the new one is. Nothing is left that nothing refers
    /// to, and nothing referred to is deleted.
    pub async fn settle<T, E>(
        &self,
        new_key: &str,
        written: Result<(T, Option<String>), E>,
    ) -> Result<T, E> {
        match written {
            Ok((answer, replaced)) => {
                if let Some(old) = replaced {
                    self.discard(&old).await;
                }
                Ok(answer)
            }
            Err(e) => {
                self.discard(new_key).await;
                Err(e)
            }
        }
    }

    /// Deletes a blob nothing refers to any more; a failure is logged (the blob is left over,
    /// never anything lost).
    pub async fn discard(&self, key: &str) {
        if let Err(e) = self.delete(key).await {
            tracing::warn!(error = %e, key, "a blob nothing refers to could not be deleted");
        }
    }
}
