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
pub mod rate_limit;
pub mod responses;
pub mod trace;

pub use client_ip::{ClientIp, ClientIps};

use actix_web::HttpResponse;

use crate::error::AppError;

/// Any path no route matches: 404 problem+json.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::not_found())
}
