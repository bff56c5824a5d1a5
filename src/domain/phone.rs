//! Phone numbers: personal data, so masked in the audit log (and for roles that do not need them).
use std::sync::LazyLock;

use regex_lite::Regex;
use serde::{Serialize, Serializer};

use super::sensitive::serialize_masked;
use super::{Invalid, string_newtype, string_schema};

const PATTERN: &str = r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}|400-?[0-9]{3}-?[0-9]{4})$";
static PHONE: LazyLock<Regex> = LazyLock::new(|| Regex::new(PATTERN).expect("static pattern"));

/// A mainland mobile or landline number (or a 400 service number), as sent in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if PHONE.is_match(raw) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Invalid::new(
                "phone",
                "must be a mainland mobile (11 digits) or landline number",
            ))
        }
    }

    /// What a caller sees: the number, or its masked form (`138****5678`).
    pub fn shown(&self, in_full: bool) -> ShownPhone {
        ShownPhone(if in_full {
            self.0.clone()
        } else {
            mask(&self.0)
        })
    }

    /// A number read back from (decrypted) storage, which only ever holds checked values.
    pub fn from_db(stored: String) -> Self {
        Self(stored)
    }
}

string_newtype!(Phone);
string_schema!(
    Phone,
    "A mainland mobile (11 digits) or landline number; personal data",
    "13812345678",
    pattern(Some(PATTERN))
);

impl Serialize for Phone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_masked(&self.0, mask, s)
    }
}

/// A phone number in an answer: in full for roles that need it, masked (`138****5678`) for
/// others, and always masked in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownPhone(String);

impl ShownPhone {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for ShownPhone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_masked(&self.0, mask, s)
    }
}

string_schema!(
    ShownPhone,
    "A phone number: in full for roles that need it, otherwise masked (first 3 and last 4 digits kept)",
    "138****5678"
);

/// Keeps the first 3 and the last 4 characters (`138****5678`); shorter values are all stars.
pub fn mask(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let keep_tail = chars.len() - 4;
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < 3 || i >= keep_tail { *c } else { '*' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::for_audit;

    #[test]
    fn phones_follow_the_documented_pattern() {
        for ok in [
            "13812345678",
            "020-83331234",
            "07568888888",
            "400-123-4567",
            "4001234567",
        ] {
            assert!(Phone::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "12812345678",
            "1381234567",
            "020-8333",
            "phone",
            "138 1234 5678",
            "13812345678\n",
        ] {
            assert_eq!(Phone::parse(bad).unwrap_err().rule, "phone", "{bad}");
        }
    }

    #[test]
    fn phones_keep_only_prefix_and_last_four() {
        assert_eq!(mask("13812345678"), "138****5678");
        assert_eq!(mask("020-83331234"), "020*****1234");
        assert_eq!(mask("12345"), "*****");
        assert_eq!(
            mask(&mask("13812345678")),
            "138****5678",
            "masking twice changes nothing"
        );
    }

    #[test]
    fn a_phone_is_masked_in_the_audit_log_and_for_other_roles() {
        let phone = Phone::parse("13812345678").unwrap();
        assert_eq!(serde_json::to_string(&phone).unwrap(), "\"13812345678\"");
        assert_eq!(for_audit(&phone).0, "\"138****5678\"");
        assert_eq!(phone.shown(false).as_str(), "138****5678");
        let shown = phone.shown(true);
        assert_eq!(serde_json::to_string(&shown).unwrap(), "\"13812345678\"");
        assert_eq!(for_audit(&shown), ("\"138****5678\"".into(), true));
    }
}
