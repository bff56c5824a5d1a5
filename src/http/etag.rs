//! Optimistic concurrency: every versioned resource answers an `ETag`, and updates must send
//! one back in `If-Match`, compared strongly (RFC 9110 §13.1.1: `W/"v3"` does not match).
use std::sync::LazyLock;

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header};
use regex_lite::Regex;

use crate::error::AppError;

/// What RFC 9110 allows in `If-Match`: `*`, or a list of entity tags (visible ASCII only).
pub const IF_MATCH_PATTERN: &str = r#"^(\*|(W/)?"[!#-~]*"([ \t]*,[ \t]*(W/)?"[!#-~]*")*)$"#;
static IF_MATCH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(IF_MATCH_PATTERN).expect("static pattern"));
static TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(W/)?"[!#-~]*""#).expect("static pattern"));

/// The `If-Match` header as the contract documents it, for every update that requires it.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatchHeader {
    /// The ETag from the last read (or `*` to overwrite whatever is current).
    #[serde(rename = "If-Match")]
    #[param(pattern = r#"^(\*|(W/)?"[!#-~]*"([ \t]*,[ \t]*(W/)?"[!#-~]*")*)$"#)]
    pub if_match: String,
}

/// The ETag of version `v` of a resource.
pub fn etag(version: i32) -> String {
    format!("\"v{version}\"")
}

/// A value together with the version it was read at.
#[derive(Debug, Clone)]
pub struct Versioned<T> {
    pub value: T,
    pub version: i32,
}

/// A versioned value serialises as the value; the version travels in the `ETag`.
impl<T: serde::Serialize> serde::Serialize for Versioned<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

impl<T> Versioned<T> {
    pub fn new(value: T, version: i32) -> Self {
        Self { value, version }
    }

    pub fn etag(&self) -> String {
        etag(self.version)
    }
}

/// The raw `If-Match` header. It is evaluated only once the resource has been found
/// (RFC 9110 §13.2.1), so a caller learns of a missing resource or role before of a stale tag.
pub struct IfMatch(Option<String>);

impl FromRequest for IfMatch {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let raw = req
            .headers()
            .get(header::IF_MATCH)
            .map(|v| v.to_str().unwrap_or("\u{0}").to_owned());
        std::future::ready(Ok(IfMatch(raw)))
    }
}

impl IfMatch {
    #[cfg(test)]
    fn of(raw: Option<&str>) -> Self {
        Self(raw.map(str::to_owned))
    }

    /// Passes when the header is `*` or names the current version by a strong tag; 428 without
    /// the header, 400 when it is not a list of entity tags, 412 when no tag matches.
    pub fn check(&self, current_version: i32) -> Result<(), AppError> {
        let raw = self
            .0
            .as_deref()
            .ok_or_else(AppError::precondition_required)?;
        if !IF_MATCH.is_match(raw) {
            return Err(AppError::field(
                "If-Match",
                "format",
                "must be * or a list of entity tags, like \"v3\"",
            ));
        }
        if raw == "*" {
            return Ok(());
        }
        let current = etag(current_version);
        if TAG.find_iter(raw).any(|tag| tag.as_str() == current) {
            Ok(())
        } else {
            Err(AppError::precondition_failed())
        }
    }

    /// The answer when the checked version changed before the update could be written (a
    /// concurrent writer won): 412 for a request that named the version it read, 409
    /// `concurrent_change` for `If-Match: *`, whose precondition held and which may simply retry.
    pub fn lost_race(&self) -> AppError {
        if self.0.as_deref() == Some("*") {
            AppError::new(
                crate::error::Code::ConcurrentChange,
                "the resource changed while this update was written; retry",
            )
        } else {
            AppError::precondition_failed()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    #[test]
    fn a_lost_race_is_a_412_for_a_named_version_and_a_409_for_any() {
        assert_eq!(
            IfMatch::of(Some("*")).lost_race().code(),
            Code::ConcurrentChange
        );
        assert_eq!(
            IfMatch::of(Some("\"v3\"")).lost_race().code(),
            Code::EtagMismatch
        );
    }

    #[test]
    fn the_documented_header_has_the_checked_pattern() {
        use utoipa::IntoParams;
        let params = IfMatchHeader::into_params(|| None);
        let json = serde_json::to_value(&params[0]).unwrap();
        assert_eq!(json["name"], "If-Match");
        assert_eq!(json["required"], true);
        assert_eq!(json["schema"]["pattern"], IF_MATCH_PATTERN);
    }

    fn code(raw: Option<&str>, version: i32) -> Option<Code> {
        IfMatch::of(raw).check(version).err().map(|e| e.code())
    }

    #[test]
    fn a_versioned_value_carries_its_etag_and_serialises_as_the_value() {
        let v = Versioned::new(serde_json::json!({"a": 1}), 4);
        assert_eq!(v.etag(), "\"v4\"");
        assert_eq!(serde_json::to_string(&v).unwrap(), r#"{"a":1}"#);
    }

    #[test]
    fn if_match_follows_rfc_9110_strong_comparison() {
        assert_eq!(code(Some(&etag(3)), 3), None);
        assert_eq!(
            code(Some("\"v1\", \"v3\""), 3),
            None,
            "a list matches if any tag does"
        );
        assert_eq!(
            code(Some("*"), 3),
            None,
            "* matches any current representation"
        );
        assert_eq!(
            code(Some("W/\"v3\""), 3),
            Some(Code::EtagMismatch),
            "weak tags never match"
        );
        assert_eq!(code(Some("W/\"v1\", \"v3\""), 3), None);
        assert_eq!(code(None, 3), Some(Code::IfMatchRequired));
        assert_eq!(code(Some("\"v2\""), 3), Some(Code::EtagMismatch));
        assert_eq!(
            code(Some("\"abc\""), 3),
            Some(Code::EtagMismatch),
            "any well-formed tag is 412"
        );
        assert_eq!(code(Some("\"\""), 3), Some(Code::EtagMismatch));
        assert_eq!(code(Some(""), 3), Some(Code::ValidationFailed));
        assert_eq!(
            code(Some("v3"), 3),
            Some(Code::ValidationFailed),
            "a tag is quoted"
        );
        assert_eq!(code(Some("\"v3\" \"v4\""), 3), Some(Code::ValidationFailed));
        assert_eq!(code(Some("\u{0}"), 3), Some(Code::ValidationFailed));
    }
}
