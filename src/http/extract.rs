//! Extractors that validate their input and whose failures are problem+json.
use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use validator::Validate;

use crate::error::{AppError, FieldError, from_validation};

/// A JSON body that is deserialized strictly and then checked with `validator`.
pub struct ValidJson<T>(pub T);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidJson<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let fut = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move {
            let value = fut.await?.into_inner();
            if let Some(field) = nul_path(&value, String::new()) {
                return Err(nul_error(&field).into());
            }
            let body: T = serde_json::from_value(value).map_err(|e| {
                AppError::Validation(vec![serde_field_error(&e.to_string(), "body")])
            })?;
            body.validate().map_err(|e| from_validation(&e))?;
            Ok(ValidJson(body))
        })
    }
}

/// The path of the first string (or key) holding U+0000, which no database text column takes.
fn nul_path(value: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => {
            Some(if path.is_empty() { "body".into() } else { path })
        }
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let here = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if k.contains('\0') {
                Some(here)
            } else {
                nul_path(v, here)
            }
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_path(v, format!("{path}[{i}]"))),
        _ => None,
    }
}

fn nul_error(field: &str) -> AppError {
    AppError::Validation(vec![FieldError::new(
        field,
        "nul_character",
        "must not contain U+0000",
    )])
}

/// A query string that is deserialized strictly and then checked with `validator`.
pub struct ValidQuery<T>(pub T);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidQuery<T> {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string());
        if let Ok(pairs) = pairs
            && let Some((key, _)) = pairs
                .iter()
                .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return std::future::ready(Err(nul_error(key).into()));
        }
        let result = web::Query::<T>::from_request(req, payload)
            .into_inner()
            .and_then(|q| {
                let q = q.into_inner();
                q.validate().map_err(|e| from_validation(&e))?;
                Ok(ValidQuery(q))
            });
        std::future::ready(result)
    }
}

/// Registers the problem+json error handlers of actix's own extractors.
pub fn configure(cfg: &mut web::ServiceConfig, json_limit: usize) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(json_limit)
            .error_handler(move |e, _| json_error(e, json_limit).into()),
    )
    .app_data(web::QueryConfig::default().error_handler(|e, _| query_error(e).into()))
    .app_data(web::PathConfig::default().error_handler(|e, _| path_error(e).into()));
}

fn json_error(e: JsonPayloadError, limit: usize) -> AppError {
    match e {
        JsonPayloadError::ContentType => AppError::UnsupportedMediaType,
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            AppError::PayloadTooLarge { limit }
        }
        JsonPayloadError::Deserialize(e) => {
            AppError::Validation(vec![serde_field_error(&e.to_string(), "body")])
        }
        other => AppError::BadRequest {
            code: "malformed_body",
            detail: other.to_string(),
        },
    }
}

fn query_error(e: QueryPayloadError) -> AppError {
    let text = match &e {
        QueryPayloadError::Deserialize(inner) => inner.to_string(),
        other => other.to_string(),
    };
    let mut fe = serde_field_error(&text, "query");
    if fe.rule == "unknown_field" {
        fe.rule = "unknown_parameter".into();
    }
    AppError::Validation(vec![fe])
}

/// A path that does not parse (an id that is no UUID) names no resource: 404, like any other
/// id that does not exist.
fn path_error(_: PathError) -> AppError {
    AppError::NotFound
}

/// Reads the field name out of serde's messages (`unknown field `x``, `missing field `y``).
fn serde_field_error(text: &str, fallback: &str) -> FieldError {
    let quoted = text.split('`').nth(1).map(str::to_owned);
    if text.starts_with("unknown field") {
        return FieldError::new(
            quoted.unwrap_or_else(|| fallback.into()),
            "unknown_field",
            text,
        );
    }
    if text.starts_with("missing field") {
        return FieldError::new(quoted.unwrap_or_else(|| fallback.into()), "required", text);
    }
    if text.starts_with("unknown variant") {
        return FieldError::new(fallback, "enum", text);
    }
    FieldError::new(fallback, "format", text)
}
