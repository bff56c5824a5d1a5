//! Optimistic concurrency: every versioned resource answers an `ETag`, and updates must send
//! one back in `If-Match` (RFC 9110 §13.1.1).
use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header};

use std::sync::LazyLock;

use regex_lite::Regex;

use crate::error::{AppError, FieldError};

/// What the contract allows in `If-Match`: `*`, or a list of our tags.
pub const IF_MATCH_PATTERN: &str = r#"^(\*|(W/)?"v[0-9]+"([ \t]*,[ \t]*(W/)?"v[0-9]+")*)$"#;
static IF_MATCH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(IF_MATCH_PATTERN).expect("static pattern"));

/// The ETag of version `v` of a resource.
pub fn etag(version: i32) -> String {
    format!("\"v{version}\"")
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
            .map(|v| v.to_str().unwrap_or("").to_owned());
        std::future::ready(Ok(IfMatch(raw)))
    }
}

impl IfMatch {
    /// Passes when the header names the current version (or is `*`); 428 without the header,
    /// 400 when it is not a list of our tags, 412 when no listed tag matches.
    pub fn check(&self, current_version: i32) -> Result<(), AppError> {
        let raw = self.0.as_deref().ok_or(AppError::PreconditionRequired)?;
        if !IF_MATCH.is_match(raw) {
            return Err(AppError::Validation(vec![FieldError::new(
                "If-Match",
                "format",
                "must be * or a list of ETags this API gave out, like \"v3\"",
            )]));
        }
        let current = etag(current_version);
        let matches = raw.split(',').map(str::trim).any(|tag| {
            tag == "*" || tag == current || tag.strip_prefix("W/") == Some(current.as_str())
        });
        if matches {
            Ok(())
        } else {
            Err(AppError::PreconditionFailed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(raw: Option<&str>) -> IfMatch {
        IfMatch(raw.map(str::to_owned))
    }

    #[test]
    fn if_match_follows_rfc_9110() {
        assert!(header(Some(&etag(3))).check(3).is_ok());
        assert!(
            header(Some("W/\"v3\"")).check(3).is_ok(),
            "weak comparison of our strong tags"
        );
        assert!(
            header(Some("\"v1\", \"v3\"")).check(3).is_ok(),
            "a list matches if any tag does"
        );
        assert!(
            header(Some("*")).check(3).is_ok(),
            "* matches any current representation"
        );
        assert!(matches!(
            header(None).check(3),
            Err(AppError::PreconditionRequired)
        ));
        assert!(matches!(
            header(Some("\"v2\"")).check(3),
            Err(AppError::PreconditionFailed)
        ));
        assert!(matches!(
            header(Some("")).check(3),
            Err(AppError::Validation(_))
        ));
        assert!(matches!(
            header(Some("\"abc\"")).check(3),
            Err(AppError::Validation(_))
        ));
    }
}
