//! The innermost layer: a panicking handler becomes a 500 problem+json naming no internals
//! (outer layers render the error; a cloned request here would break routing).
use std::panic::AssertUnwindSafe;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use futures_util::FutureExt;

use crate::error::AppError;

pub async fn catch(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    match AssertUnwindSafe(next.call(req)).catch_unwind().await {
        Ok(res) => res.map(ServiceResponse::map_into_boxed_body),
        Err(_) => {
            tracing::error!("handler panicked");
            Err(AppError::bug("handler panicked").into())
        }
    }
}
