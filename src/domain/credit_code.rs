//! The unified social credit code (统一社会信用代码, GB 32100-2015).
use super::{Invalid, string_newtype, string_schema};

const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weight of position i is 3^i mod 31.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// What the contract publishes; the check character is a mod-31 sum no pattern can express.
const PATTERN: &str = "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$";

/// A credit code whose check character is right, in upper case.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct CreditCode(String);

impl CreditCode {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim().to_ascii_uppercase();
        if s.len() != 18 {
            return Err(Invalid::new("length", "must be 18 characters"));
        }
        let values: Vec<u32> = s
            .bytes()
            .map(|b| CHARSET.iter().position(|c| *c == b).map(|p| p as u32))
            .collect::<Option<_>>()
            .ok_or(Invalid::new(
                "charset",
                "may only use 0-9 and A-Y without I, O, S, V, Z",
            ))?;
        if !s[2..8].bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid::new(
                "division_code",
                "characters 3 to 8 must be an administrative division code",
            ));
        }
        if check_character(&values[..17]) != values[17] {
            return Err(Invalid::new(
                "check_character",
                "the 18th character does not match the GB 32100 check character",
            ));
        }
        Ok(Self(s))
    }

    pub fn from_db(stored: String) -> Self {
        Self(stored)
    }
}

string_newtype!(CreditCode);
string_schema!(
    CreditCode,
    "A unified social credit code (统一社会信用代码): 18 characters whose last is the GB 32100 check character",
    "91440101MA59UFRF1R",
    min_length(Some(18)),
    max_length(Some(18)),
    pattern(Some(PATTERN))
);

fn check_character(values: &[u32]) -> u32 {
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    (31 - sum % 31) % 31
}

/// Completes 17 characters with their check character (for fixtures and load tests).
pub fn complete(first17: &str) -> Option<String> {
    let values: Vec<u32> = first17
        .bytes()
        .map(|b| CHARSET.iter().position(|c| *c == b).map(|p| p as u32))
        .collect::<Option<_>>()?;
    (values.len() == 17).then(|| {
        format!(
            "{first17}{}",
            CHARSET[check_character(&values) as usize] as char
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_codes_pass() {
        for code in [
            "91350100M000100Y43",
            "91110000802100433B",
            "914403001922038216",
        ] {
            assert_eq!(
                CreditCode::parse(code).map(|c| c.to_string()),
                Ok(code.to_owned()),
                "{code}"
            );
        }
        assert!(
            CreditCode::parse("91350100m000100y43").is_ok(),
            "lower case is normalised"
        );
    }

    #[test]
    fn each_rule_has_its_own_failure() {
        let cases = [
            ("91350100M000100Y4", "length"),
            ("91350100M000100Y4I", "charset"),
            ("91A50100M000100Y43", "division_code"),
            ("91350100M000100Y44", "check_character"),
            ("91440101MA59UFRF1Y", "check_character"),
        ];
        for (code, rule) in cases {
            assert_eq!(
                CreditCode::parse(code).err().map(|e| e.rule),
                Some(rule),
                "{code}"
            );
        }
    }

    #[test]
    fn completion_agrees_with_parse() {
        assert_eq!(
            complete("91350100M000100Y4").as_deref(),
            Some("91350100M000100Y43")
        );
    }
}
