//! Bounded, non-blank text: names, addresses, reasons. Each kind is one type with one rule set,
//! checked on input and published with the same limits.
use super::{Invalid, string_newtype, string_schema};

/// Unicode white space (what `char::is_whitespace` and `str::trim` know), as the inside of an
/// ECMA-262 character class.
pub const WHITESPACE_CLASS: &str =
    "\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

/// A character that counts as visible: anything but whitespace and U+0000 (the class is
/// [`WHITESPACE_CLASS`], written out so the pattern is a constant).
const NOT_BLANK: &str = "^[^\\u0000]*[^\\u0000\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$";

/// Checks U+0000, blankness and length (in characters, as sent and as kept).
fn check(raw: &str, text: &str, min: usize, max: usize) -> Result<(), Invalid> {
    if raw.contains('\0') {
        return Err(Invalid::new("nul_character", "must not contain U+0000"));
    }
    let len = raw.chars().count();
    if len < min || len > max {
        return Err(Invalid::new("length", "is too short or too long"));
    }
    if text.is_empty() {
        return Err(Invalid::new("not_blank", "must not be blank"));
    }
    Ok(())
}

macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $min:literal, $max:literal, $description:literal, $example:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            /// Checks the rules on the text without its leading and trailing whitespace, which
            /// is what is kept.
            pub fn parse(raw: &str) -> Result<Self, Invalid> {
                let text = raw.trim();
                check(raw, text, $min, $max).map(|()| Self(text.to_owned()))
            }

            /// Text read back from the database, which only ever stores checked values.
            pub fn from_db(stored: String) -> Self {
                Self(stored)
            }
        }

        string_newtype!($name);
        string_schema!($name, concat!($description, " (", $min, "–", $max, " characters, not blank)"), $example,
            min_length(Some($min)), max_length(Some($max)), pattern(Some(NOT_BLANK)));
    };
}

bounded_text!(
    /// A name of an organisation or a thing.
    Name, 1, 200, "A name", "广州安培职业培训学校"
);
bounded_text!(
    /// A postal address.
    Address, 1, 300, "A postal address", "广州市天河区体育西路1号"
);
bounded_text!(
    /// A person's name.
    PersonName, 1, 100, "A person's name", "张三"
);
bounded_text!(
    /// Free text: an introduction or a description.
    LongText, 1, 5000, "Free text", "从事安全生产培训二十年。"
);
bounded_text!(
    /// A short label: a professional title, a speciality, a certificate number.
    Label, 1, 100, "A short label", "高级工程师"
);
bounded_text!(
    /// A post of the discussion space: plain text (links stay text, never markup).
    PostText, 1, 2000, "Plain text", "请问第三章的案例在哪里下载？"
);
bounded_text!(
    /// Why something was done, kept with the actor and time.
    Reason, 1, 500, "A reason", "材料齐全，准予登记"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_pattern_knows_the_same_white_space_as_trim() {
        assert!(NOT_BLANK.contains(&format!("[^\\u0000{WHITESPACE_CLASS}]")));
        for c in (0..=0x10FFFFu32)
            .filter_map(char::from_u32)
            .filter(|c| c.is_whitespace())
        {
            let n = c as u32;
            let listed = matches!(n, 0x09..=0x0D | 0x20 | 0x85 | 0xA0 | 0x1680 | 0x2000..=0x200A)
                || [0x2028, 0x2029, 0x202F, 0x205F, 0x3000].contains(&n);
            assert!(listed, "U+{n:04X} is white space but not in the class");
        }
    }

    #[test]
    fn text_must_have_a_visible_character_and_fit() {
        assert_eq!(
            Name::parse(" 广州安培 ").unwrap().as_str(),
            "广州安培",
            "kept trimmed"
        );
        assert_eq!(Name::parse("").unwrap_err().rule, "length");
        assert_eq!(Name::parse(" \u{3000}\t").unwrap_err().rule, "not_blank");
        assert_eq!(Name::parse("a\0b").unwrap_err().rule, "nul_character");
        assert!(
            Name::parse(&"名".repeat(200)).is_ok(),
            "limits count characters"
        );
        assert_eq!(Name::parse(&"名".repeat(201)).unwrap_err().rule, "length");
        assert!(PersonName::parse(&"x".repeat(100)).is_ok());
        assert!(PersonName::parse(&"x".repeat(101)).is_err());
    }
}
