//! Resident identity-card numbers (公民身份号码, GB 11643-1999): personal data, encrypted at rest
//! and masked in the audit log and for roles that do not need the whole number.
use serde::{Serialize, Serializer};

use super::sensitive::serialize_masked;
use super::{Invalid, string_newtype, string_schema};

/// Weight of position i is 2^(17-i) mod 11.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each value of the weighted sum mod 11.
const CHECK: &[u8; 11] = b"10X98765432";
/// What the contract publishes; the check character is a mod-11 sum no pattern can express.
const PATTERN: &str = "^[1-9][0-9]{16}[0-9Xx]$";

/// An 18-character identity number whose birth date is a real date and whose check character
/// is right, with the check character in upper case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdNumber(String);

impl IdNumber {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.to_ascii_uppercase();
        if s.len() != 18 {
            return Err(Invalid::new("length", "must be 18 characters"));
        }
        let bytes = s.as_bytes();
        if !bytes[..17].iter().all(u8::is_ascii_digit) || bytes[0] == b'0' {
            return Err(Invalid::new(
                "pattern",
                "must be 17 digits (the first not 0) and a check character 0-9 or X",
            ));
        }
        let birth = chrono::NaiveDate::parse_from_str(&s[6..14], "%Y%m%d")
            .ok()
            .filter(|d| d.format("%Y%m%d").to_string() == s[6..14]);
        if birth.is_none() {
            return Err(Invalid::new(
                "birth_date",
                "characters 7 to 14 must be a real date of birth (YYYYMMDD)",
            ));
        }
        if check_character(&s[..17]) != Some(bytes[17]) {
            return Err(Invalid::new(
                "check_character",
                "the 18th character does not match the GB 11643 check character",
            ));
        }
        Ok(Self(s))
    }

    /// A number read back from (decrypted) storage, which only ever holds checked values.
    pub fn from_db(stored: String) -> Self {
        Self(stored)
    }

    /// What a caller sees: the number, or its masked form (`4401**********123X`).
    pub fn shown(&self, in_full: bool) -> ShownIdNumber {
        ShownIdNumber(if in_full {
            self.0.clone()
        } else {
            mask(&self.0)
        })
    }
}

string_newtype!(IdNumber);
string_schema!(
    IdNumber,
    "A resident identity-card number (公民身份号码): 18 characters, a real date of birth in characters 7–14 and the GB 11643 check character last; personal data",
    "440101199003070018",
    min_length(Some(18)),
    max_length(Some(18)),
    pattern(Some(PATTERN))
);

impl Serialize for IdNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_masked(&self.0, mask, s)
    }
}

/// An identity number in an answer: in full for roles that need it, masked
/// (`4401**********123X`) for others, and always masked in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownIdNumber(String);

impl ShownIdNumber {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for ShownIdNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_masked(&self.0, mask, s)
    }
}

string_schema!(
    ShownIdNumber,
    "An identity number: in full for roles that need it, otherwise masked (first 4 and last 4 characters kept)",
    "4401**********0018"
);

/// The check character of the first 17 digits, or `None` if one is not a digit.
fn check_character(first17: &str) -> Option<u8> {
    let mut sum = 0u32;
    for (b, w) in first17.bytes().zip(WEIGHTS) {
        sum += (b as char).to_digit(10)? * w;
    }
    Some(CHECK[(sum % 11) as usize])
}

/// Completes 17 digits with their check character (for fixtures, tests and load tests).
pub fn complete(first17: &str) -> Option<String> {
    (first17.len() == 17)
        .then(|| check_character(first17))
        .flatten()
        .map(|c| format!("{first17}{}", c as char))
}

/// Keeps the first 4 and the last 4 characters; shorter values are all stars.
pub fn mask(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let keep_tail = chars.len() - 4;
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < 4 || i >= keep_tail { *c } else { '*' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::for_audit;

    #[test]
    fn the_check_character_follows_gb_11643() {
        // The standard's worked example.
        assert_eq!(
            complete("11010519491231002").as_deref(),
            Some("11010519491231002X")
        );
        assert!(IdNumber::parse("11010519491231002X").is_ok());
        assert_eq!(
            IdNumber::parse("11010519491231002x").unwrap().as_str(),
            "11010519491231002X",
            "a lower-case x is taken and kept upper case"
        );
        assert_eq!(
            complete("44010119900307001").as_deref(),
            Some("440101199003070018")
        );
        assert!(IdNumber::parse("440101199003070018").is_ok());
        for wrong in [
            "440101199003070019",
            "11010519491231002 1",
            "110105194912310021",
        ] {
            let rule = IdNumber::parse(wrong).unwrap_err().rule;
            assert!(
                rule == "check_character" || rule == "length",
                "{wrong}: {rule}"
            );
        }
        assert_eq!(
            IdNumber::parse("110105194912310021").unwrap_err().rule,
            "check_character"
        );
        assert_eq!(complete("1101051949123100"), None);
        assert_eq!(complete("1101051949123100A"), None);
    }

    #[test]
    fn numbers_with_a_wrong_shape_or_date_name_their_rule() {
        assert_eq!(
            IdNumber::parse("1101051949123100").unwrap_err().rule,
            "length"
        );
        assert_eq!(
            IdNumber::parse("1101051949123100211").unwrap_err().rule,
            "length"
        );
        assert_eq!(
            IdNumber::parse("01010519491231002X").unwrap_err().rule,
            "pattern"
        );
        assert_eq!(
            IdNumber::parse("1101051949123A002X").unwrap_err().rule,
            "pattern"
        );
        let feb30 = complete("44010119900230001").unwrap();
        assert_eq!(IdNumber::parse(&feb30).unwrap_err().rule, "birth_date");
        let month13 = complete("44010119901301001").unwrap();
        assert_eq!(IdNumber::parse(&month13).unwrap_err().rule, "birth_date");
        let leap = complete("44010120000229001").unwrap();
        assert!(IdNumber::parse(&leap).is_ok(), "29 February of a leap year");
    }

    #[test]
    fn a_number_is_masked_in_the_audit_log_and_for_other_roles() {
        let n = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(mask(n.as_str()), "1101**********002X");
        assert_eq!(mask("12345678"), "********");
        assert_eq!(mask("123456789"), "1234*6789");
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"11010519491231002X\"");
        assert_eq!(for_audit(&n), ("\"1101**********002X\"".into(), true));
        assert_eq!(n.shown(false).as_str(), "1101**********002X");
        let full = n.shown(true);
        assert_eq!(
            serde_json::to_string(&full).unwrap(),
            "\"11010519491231002X\""
        );
        assert_eq!(for_audit(&full), ("\"1101**********002X\"".into(), true));
    }
}
