//! Cross-cutting HTTP pieces: the client's address, request ids and tracing, extractors,
//! pagination, ETags, the `Idempotency-Key` header, rate and connection limits, bodies read
//! under a deadline, 405 answers derived from the routes, and the shared error responses.
pub mod body;
pub mod client_ip;
pub mod etag;
pub mod extract;
pub mod idempotency;
pub mod limits;
pub mod methods;
pub mod pagination;
pub mod panic;
pub mod range;
pub mod rate_limit;
pub mod responses;
pub mod trace;
pub mod upload;

pub use client_ip::{ClientIp, ClientIps};

use std::sync::{Arc, Mutex};

use actix_web::HttpResponse;

use crate::error::AppError;

/// A value an inner layer fills in for an outer one that no longer has the request when an
/// error escapes the layers between (the recorder learns the caller this way).
pub struct Slot<T>(Arc<Mutex<Option<T>>>);

impl<T> Clone for Slot<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(None)))
    }
}

impl<T: Clone> Slot<T> {
    pub fn set(&self, value: T) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(value);
    }

    pub fn get(&self) -> Option<T> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Any path no route matches: 404 problem+json.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::not_found())
}
