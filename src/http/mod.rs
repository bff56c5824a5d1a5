//! Cross-cutting HTTP pieces: extractors, pagination, ETags, idempotency, request ids,
//! rate limits, health endpoints and the shared error responses.
pub mod etag;
pub mod extract;
pub mod health;
pub mod idempotency;
pub mod pagination;
pub mod panic;
pub mod rate_limit;
pub mod request_id;
pub mod responses;

use actix_web::dev::ServiceRequest;
use actix_web::{HttpResponse, Route, http::header, web};

use crate::error::AppError;

/// The client address a request is charged to (rate limits) and recorded under (audit log):
/// the peer's IP. One place, so a later trusted-proxy rule changes both.
pub fn client_ip(req: &ServiceRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// A catch-all route for a path: methods the path does not serve get 405 with `Allow`.
pub fn allow(methods: &'static str) -> Route {
    web::route().to(move || async move {
        let err = AppError::MethodNotAllowed {
            detail: format!("this path allows {methods}"),
        };
        let mut res = actix_web::ResponseError::error_response(&err);
        res.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static(methods));
        Ok::<HttpResponse, actix_web::Error>(res)
    })
}

/// Any path no route matches: 404 problem+json.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}
