//! Extractors that validate their input, and whose failures are problem+json naming the field
//! and the rule, never the value that was sent.
use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use validator::Validate;

use crate::domain::{self, Invalid};
use crate::error::{AppError, Code, FieldError, from_validation};

/// A JSON body that is deserialised strictly into its type and then checked with `validator`.
/// The body as its type serialises it for the audit log (sensitive values masked) is left in
/// the request's extensions as [`TypedBody`].
pub struct ValidJson<T>(pub T);

/// The audit log's copy of a request body that was understood.
pub struct TypedBody(pub String);

impl<T: DeserializeOwned + Validate + Serialize + 'static> FromRequest for ValidJson<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let fut = web::Json::<serde_json::Value>::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let value = fut.await?.into_inner();
            if let Some(field) = nul_path(&value, String::new()) {
                return Err(nul_error(&field).into());
            }
            let body: T = serde_path_to_error::deserialize(value)
                .map_err(|e| AppError::invalid(vec![serde_field_error(&e, "body")]))?;
            body.validate().map_err(|e| from_validation(&e))?;
            req.extensions_mut()
                .insert(TypedBody(domain::for_audit(&body).0));
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

/// True when any string (or key) inside `value` holds U+0000.
pub fn has_nul(value: &serde_json::Value) -> bool {
    nul_path(value, String::new()).is_some()
}

fn nul_error(field: &str) -> AppError {
    AppError::field(field, "nul_character", "must not contain U+0000")
}

/// A query string that is deserialised strictly and then checked with `validator`.
pub struct ValidQuery<T>(pub T);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidQuery<T> {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map_err(Into::into))
    }
}

fn parse_query<T: DeserializeOwned + Validate>(query: &str) -> Result<ValidQuery<T>, AppError> {
    let pairs = form_urlencoded_pairs(query);
    if let Some((key, _)) = pairs
        .iter()
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return Err(nul_error(key));
    }
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    let q: T = serde_path_to_error::deserialize(de).map_err(|e| {
        let mut fe = serde_field_error(&e, "query");
        if fe.rule == "unknown_field" {
            fe.rule = "unknown_parameter".into();
        }
        AppError::invalid(vec![fe])
    })?;
    q.validate().map_err(|e| from_validation(&e))?;
    Ok(ValidQuery(q))
}

fn form_urlencoded_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
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
        JsonPayloadError::ContentType => AppError::new(
            Code::UnsupportedMediaType,
            "the request body must be application/json",
        ),
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            AppError::payload_too_large(limit)
        }
        JsonPayloadError::Payload(p) if super::body::is_timeout(&p) => AppError::new(
            Code::RequestTimeout,
            "the request body did not arrive in time",
        ),
        JsonPayloadError::Deserialize(e) => AppError::field(
            "body",
            "format",
            format!("is not valid JSON ({})", e.classify_text()),
        ),
        _ => AppError::new(Code::MalformedBody, "the request body could not be read"),
    }
}

trait Classify {
    fn classify_text(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_text(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Eof => "it ends too early",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Io => "it could not be read",
            serde_json::error::Category::Data => "unexpected data",
        }
    }
}

fn query_error(_: QueryPayloadError) -> AppError {
    AppError::field("query", "format", "the query string is malformed")
}

/// An id in a path: a UUID in its standard form (hyphenated, either case, RFC 9562). Other
/// spellings the `uuid` crate would take (`{…}`, `urn:uuid:…`, 32 bare digits) name no
/// resource, so one resource has one address (in links, caches and the audit log).
/// For optional fields of an update: present but null is refused (a field is either sent with
/// a value or left out).
pub fn non_null<'de, T: serde::Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// An optional UUID parameter in its standard form.
/// Present (even as null) is `Some`: null is a value for fields that may be cleared.
pub fn double_option<'de, T: serde::Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

pub fn optional_uuid<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<uuid::Uuid>, D::Error> {
    canonical_uuid(d).map(Some)
}

pub fn canonical_uuid<'de, D: serde::Deserializer<'de>>(d: D) -> Result<uuid::Uuid, D::Error> {
    let raw = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
    let hyphens = [8, 13, 18, 23];
    let standard = raw.len() == 36
        && raw.char_indices().all(|(i, c)| {
            if hyphens.contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    if !standard {
        return Err(serde::de::Error::custom("not a UUID in its standard form"));
    }
    uuid::Uuid::parse_str(&raw).map_err(serde::de::Error::custom)
}

/// A path that does not parse (an id that is no UUID) names no resource: 404, like any other
/// id that does not exist.
fn path_error(_: PathError) -> AppError {
    AppError::not_found()
}

/// The field error of a failed deserialisation: the path of the field, and a rule and message
/// that never repeat the value sent (serde's messages do: ``invalid type: integer `138…` ``).
pub fn serde_field_error<E: std::fmt::Display>(
    e: &serde_path_to_error::Error<E>,
    fallback: &str,
) -> FieldError {
    let path = e.path().to_string();
    let mut field = if path == "." || path == "?" || path.is_empty() {
        fallback.to_owned()
    } else {
        path
    };
    let text = e.inner().to_string();
    if let Some((rule, message)) = Invalid::parse(&text) {
        return FieldError::new(field, rule, message);
    }
    let quoted = text.split('`').nth(1).map(str::to_owned);
    // Name the field itself: serde's path stops at the struct for a missing field.
    let name_field = |field: &mut String| {
        if let Some(name) = &quoted
            && field.rsplit('.').next() != Some(name.as_str())
        {
            *field = if *field == fallback {
                name.clone()
            } else {
                format!("{field}.{name}")
            };
        }
    };
    let (rule, message) = if text.starts_with("unknown field") {
        name_field(&mut field);
        ("unknown_field", "is not a field of this request".to_owned())
    } else if text.starts_with("missing field") {
        name_field(&mut field);
        ("required", "is required".to_owned())
    } else if text.starts_with("duplicate field") {
        ("duplicate_field", "is given twice".to_owned())
    } else if text.starts_with("unknown variant") {
        let expected = text.split_once("expected ").map_or("", |(_, e)| e);
        ("enum", format!("must be {expected}"))
    } else if let Some((_, expected)) = text.rsplit_once(", expected ") {
        let expected = expected.split(" at line ").next().unwrap_or(expected);
        ("type", format!("must be {expected}"))
    } else {
        ("format", "is not valid".to_owned())
    };
    FieldError::new(field, rule, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Serialize, Validate)]
    #[serde(deny_unknown_fields)]
    struct Body {
        phone: crate::domain::Phone,
        #[serde(default)]
        n: Option<u32>,
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize, Serialize, Validate)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        name: crate::domain::Name,
    }

    fn fail(json: &str) -> FieldError {
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        let e = serde_path_to_error::deserialize::<_, Body>(value).unwrap_err();
        serde_field_error(&e, "body")
    }

    #[test]
    fn field_errors_name_the_field_and_never_echo_the_value() {
        let e = fail(r#"{"phone": 13812345678}"#);
        assert_eq!((e.field.as_str(), e.rule.as_str()), ("phone", "type"));
        assert!(!e.message.contains("13812345678"), "{}", e.message);
        let e = fail(r#"{"phone": ["13812345678"]}"#);
        assert!(!e.message.contains("1381234"), "{}", e.message);
        let e = fail(r#"{"phone": "12"}"#);
        assert_eq!((e.field.as_str(), e.rule.as_str()), ("phone", "phone"));
        let e = fail(r#"{"phone": "13812345678", "nope": 1}"#);
        assert_eq!(
            (e.field.as_str(), e.rule.as_str()),
            ("nope", "unknown_field")
        );
        let e = fail(r#"{"n": 1}"#);
        assert_eq!((e.field.as_str(), e.rule.as_str()), ("phone", "required"));
        let e = fail(r#"{"phone": "13812345678", "inner": {"name": " "}}"#);
        assert_eq!(
            (e.field.as_str(), e.rule.as_str()),
            ("inner.name", "not_blank")
        );
        let e = fail(r#"{"phone": "13812345678", "n": "secret-ish"}"#);
        assert!(!e.message.contains("secret-ish"), "{}", e.message);
    }

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    struct Q {
        #[allow(dead_code)]
        limit: Option<u32>,
    }

    #[test]
    fn queries_refuse_unknown_parameters_and_nul() {
        let e = parse_query::<Q>("sort=name").err().unwrap();
        assert_eq!(e.errors()[0].field, "sort");
        assert_eq!(e.errors()[0].rule, "unknown_parameter");
        let e = parse_query::<Q>("limit=%00").err().unwrap();
        assert_eq!(e.errors()[0].rule, "nul_character");
        let e = parse_query::<Q>("limit=abc").err().unwrap();
        assert_eq!(e.errors()[0].field, "limit");
        assert!(parse_query::<Q>("limit=5").is_ok());
    }
}
