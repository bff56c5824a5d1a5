//! Web addresses an institution publishes.
use std::sync::LazyLock;

use regex_lite::Regex;

use super::{Invalid, string_newtype, string_schema};

const PATTERN: &str =
    r"^https?://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?([/?#][!-~]*)?$";
static URL: LazyLock<Regex> = LazyLock::new(|| Regex::new(PATTERN).expect("static pattern"));

/// An http(s) URL with a plain host name (9–500 characters).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct WebUrl(String);

impl WebUrl {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let len = raw.chars().count();
        if !(9..=500).contains(&len) {
            return Err(Invalid::new("length", "must be 9 to 500 characters"));
        }
        if URL.is_match(raw) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Invalid::new(
                "url",
                "must be an http(s) URL with a plain host name",
            ))
        }
    }

    pub fn from_db(stored: String) -> Self {
        Self(stored)
    }
}

string_newtype!(WebUrl);
string_schema!(
    WebUrl,
    "An http(s) URL with a plain host name (9–500 characters)",
    "https://training.example.cn",
    min_length(Some(9)),
    max_length(Some(500)),
    pattern(Some(PATTERN))
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_http_with_a_plain_host() {
        assert!(WebUrl::parse("https://a.example.cn").is_ok());
        assert!(WebUrl::parse("https://edu.example.cn:8443/path?q=1").is_ok());
        assert_eq!(WebUrl::parse("ftp://a.example.cn").unwrap_err().rule, "url");
        assert_eq!(WebUrl::parse("https://a b.cn").unwrap_err().rule, "url");
        assert_eq!(WebUrl::parse("http://[::1").unwrap_err().rule, "url");
        assert_eq!(WebUrl::parse("http://a").unwrap_err().rule, "length");
    }
}
