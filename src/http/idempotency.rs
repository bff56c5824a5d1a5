//! The `Idempotency-Key` header of create calls. The protocol behind it (claim, store, replay)
//! lives with the write path, in the request context.
use actix_web::{FromRequest, HttpRequest, dev::Payload};

use crate::error::AppError;

pub const HEADER: &str = "Idempotency-Key";

/// The optional `Idempotency-Key` header: 1–200 visible ASCII characters.
#[derive(Debug, Clone, Default)]
pub struct IdempotencyKey(pub Option<String>);

impl FromRequest for IdempotencyKey {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = match req.headers().get(HEADER) {
            None => Ok(IdempotencyKey(None)),
            Some(v) => v
                .to_str()
                .ok()
                .filter(|k| {
                    !k.is_empty() && k.len() <= 200 && k.bytes().all(|b| b.is_ascii_graphic())
                })
                .map(|k| IdempotencyKey(Some(k.to_owned())))
                .ok_or_else(|| {
                    AppError::field(
                        HEADER,
                        "format",
                        "must be 1 to 200 visible ASCII characters",
                    )
                }),
        };
        std::future::ready(result)
    }
}

/// The `Idempotency-Key` header as the contract documents it.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyHeader {
    /// 1–200 visible ASCII characters; makes the create call safe to retry. A key is kept for
    /// 24 hours (setting `idempotency.ttl_hours`); a retry within that time answers the resource
    /// as it is now, with `Idempotent-Replayed: true`, and creates nothing.
    #[serde(default, rename = "Idempotency-Key")]
    #[param(
        min_length = 1,
        max_length = 200,
        pattern = "^[!-~]{1,200}$",
        example = "create-2026-11-29-0001"
    )]
    pub idempotency_key: String,
}
