//! E-mail addresses: personal data, so masked in the audit log.
use std::sync::LazyLock;

use regex_lite::Regex;
use serde::{Serialize, Serializer};

use super::sensitive::serialize_masked;
use super::{Invalid, string_newtype, string_schema};

const PATTERN: &str = r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$";
static EMAIL: LazyLock<Regex> = LazyLock::new(|| Regex::new(PATTERN).expect("static pattern"));

/// An e-mail address (`local@domain.tld`, at most 254 characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.len() <= 254 && EMAIL.is_match(raw) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Invalid::new(
                "email",
                "must be an e-mail address (local@domain.tld)",
            ))
        }
    }

    /// An address read back from (decrypted) storage, which only ever holds checked values.
    pub fn from_db(stored: String) -> Self {
        Self(stored)
    }
}

string_newtype!(Email);
string_schema!(
    Email,
    "An e-mail address; personal data",
    "zhang.san@example.com",
    pattern(Some(PATTERN)),
    max_length(Some(254))
);

impl Serialize for Email {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_masked(&self.0, mask, s)
    }
}

/// Keeps the first character of the local part and the domain (`z***@example.com`).
pub fn mask(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "*".repeat(email.chars().count()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_and_masked() {
        assert!(Email::parse("zhang.san@example.com").is_ok());
        assert!(Email::parse("a@b.cn").is_ok());
        for bad in [
            "",
            "zhang",
            "zhang@",
            "@example.com",
            "a b@example.com",
            "a@example",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(65))).is_err());
        assert_eq!(mask("zhang.san@example.com"), "z***@example.com");
        assert_eq!(mask("nonsense"), "********");
    }
}
