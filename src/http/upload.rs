//! Streamed uploads: a request body of a media type the operation takes, up to a size cap,
//! passed on to the blob store as it arrives (never buffered whole).
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, web};
use futures_util::StreamExt;

use crate::blobs::{Blobs, PutError, Stored};
use crate::error::{AppError, AppResult, Code};

/// An upload admitted by its headers, not read yet.
pub struct Upload {
    /// The declared media type, lower case, without parameters.
    pub media_type: String,
    payload: web::Payload,
    limit: u64,
}

impl Upload {
    /// Admits a body of one of `types` (415 otherwise) whose declared length, if any, is within
    /// `limit` bytes (413 otherwise, before a byte is read).
    pub fn accept(
        req: &HttpRequest,
        payload: web::Payload,
        types: &[&str],
        limit: u64,
    ) -> AppResult<Self> {
        let media_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default();
        if !types.contains(&media_type.as_str()) {
            return Err(AppError::new(
                Code::UnsupportedMediaType,
                format!("the request body must be one of: {}", types.join(", ")),
            ));
        }
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit) {
            return Err(too_large(limit));
        }
        Ok(Self {
            media_type,
            payload,
            limit,
        })
    }

    /// Reads the whole body (up to the limit): for files that are encrypted before they are
    /// stored (face images), which are small.
    pub async fn read_all(mut self) -> AppResult<Bytes> {
        let mut buf = actix_web::web::BytesMut::new();
        while let Some(chunk) = self.payload.next().await {
            let chunk = chunk.map_err(|e| {
                if crate::http::body::is_timeout(&e) {
                    AppError::new(
                        Code::RequestTimeout,
                        "the request body did not arrive in time",
                    )
                } else {
                    AppError::new(Code::MalformedBody, "the upload could not be read")
                }
            })?;
            if (buf.len() + chunk.len()) as u64 > self.limit {
                return Err(too_large(self.limit));
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(buf.freeze())
    }

    /// Streams the body into `key`, showing every chunk to `observe` on the way.
    pub async fn store(
        self,
        blobs: &Blobs,
        key: &str,
        mut observe: impl FnMut(&[u8]),
    ) -> AppResult<Stored> {
        self.store_async(blobs, key, |chunk| {
            observe(&chunk);
            std::future::ready(())
        })
        .await
    }

    /// Streams the body into `key`, handing every chunk to `observe` and waiting for it before
    /// reading on (so a slower consumer holds the upload back instead of queueing chunks).
    pub async fn store_async<F: std::future::Future<Output = ()>>(
        self,
        blobs: &Blobs,
        key: &str,
        mut observe: impl FnMut(Bytes) -> F,
    ) -> AppResult<Stored> {
        let limit = self.limit;
        let body = Box::pin(self.payload.then(|chunk| {
            let seen = chunk.as_ref().ok().map(|bytes| observe(bytes.clone()));
            async move {
                if let Some(seen) = seen {
                    seen.await;
                }
                chunk
            }
        }));
        blobs.put(key, body, limit).await.map_err(|e| match e {
            PutError::TooLarge { limit } => too_large(limit),
            PutError::Read(e) if crate::http::body::is_timeout(&e) => AppError::new(
                Code::RequestTimeout,
                "the request body did not arrive in time",
            ),
            PutError::Read(_) => AppError::new(Code::MalformedBody, "the upload could not be read"),
            PutError::Store(e) => store_failed(e),
        })
    }
}

fn too_large(limit: u64) -> AppError {
    AppError::new(
        Code::PayloadTooLarge,
        format!("the file is larger than {limit} bytes"),
    )
}

/// 503 for a blob store that failed; the cause is logged, never answered.
pub fn store_failed(e: object_store::Error) -> AppError {
    tracing::error!(error = %e, "blob store failed");
    AppError::unavailable_because("the file store is unavailable")
}

/// A file sent or answered as it is (its bytes are the body).
pub struct BinaryFile;

impl utoipa::PartialSchema for BinaryFile {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::schema::SchemaFormat::KnownFormat(
                utoipa::openapi::schema::KnownFormat::Binary,
            )))
            .content_media_type("application/octet-stream")
            .description(Some("The file's bytes"))
            .into()
    }
}

impl utoipa::ToSchema for BinaryFile {}
