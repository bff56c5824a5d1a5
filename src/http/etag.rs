//! Optimistic concurrency: every versioned resource answers an `ETag`, and updates must send
//! it back in `If-Match`.
use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header};

use crate::error::AppError;

/// The ETag of version `v` of a resource.
pub fn etag(version: i32) -> String {
    format!("\"v{version}\"")
}

/// The version an `If-Match` header names. Required: an update without it gets 428.
pub struct IfMatch(pub i32);

impl FromRequest for IfMatch {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse(
            req.headers()
                .get(header::IF_MATCH)
                .map(|v| v.to_str().unwrap_or("")),
        ))
    }
}

fn parse(raw: Option<&str>) -> Result<IfMatch, AppError> {
    let raw = raw.ok_or(AppError::PreconditionRequired)?.trim();
    let raw = raw.strip_prefix("W/").unwrap_or(raw);
    raw.strip_prefix("\"v")
        .and_then(|r| r.strip_suffix('"'))
        .and_then(|n| n.parse::<i32>().ok())
        .map(IfMatch)
        // A well-formed tag of another resource, or garbage, can never match.
        .ok_or(AppError::PreconditionFailed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_reads_our_tags_and_refuses_others() {
        assert_eq!(parse(Some(&etag(3))).unwrap().0, 3);
        assert_eq!(parse(Some("W/\"v7\"")).unwrap().0, 7);
        assert!(matches!(parse(None), Err(AppError::PreconditionRequired)));
        assert!(matches!(
            parse(Some("\"abc\"")),
            Err(AppError::PreconditionFailed)
        ));
        assert!(matches!(
            parse(Some("*")),
            Err(AppError::PreconditionFailed)
        ));
    }
}
