//! Domain values shared by every resource, each validated once when it is built (from a request
//! or a database row) and published once in the contract with the same rules.
//!
//! A value that fails its rules becomes a field error naming the rule; the message never
//! repeats the value, so a personal value sent in the wrong place is not echoed back.
pub mod city;
pub mod credit_code;
pub mod email;
pub mod id_number;
pub mod phone;
pub mod role;
pub mod sensitive;
pub mod text;
pub mod time;
pub mod url;

pub use city::CityCode;
pub use credit_code::CreditCode;
pub use email::Email;
pub use id_number::{IdNumber, ShownIdNumber};
pub use phone::{Phone, ShownPhone};
pub use role::Role;
pub use sensitive::{OneTimeSecret, Password, Secret, for_audit};
pub use text::{Address, Label, LongText, Name, PersonName, PostText, Reason, WHITESPACE_CLASS};
pub use time::{CalendarDate, Timestamp};
pub use url::WebUrl;

/// Why a value breaks its type's rules: a stable rule name and a message without the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid {
    pub rule: &'static str,
    pub message: &'static str,
}

impl Invalid {
    pub const fn new(rule: &'static str, message: &'static str) -> Self {
        Self { rule, message }
    }

    /// Reads back the rule and message of a serde error raised by a domain type.
    pub fn parse(text: &str) -> Option<(&str, &str)> {
        let rest = text.strip_prefix(MARK)?;
        let (rule, message) = rest.split_once(": ")?;
        Some((rule, message.split(" at line ").next().unwrap_or(message)))
    }
}

/// Marks a serde error text as coming from a domain type, so the rule survives serde.
const MARK: &str = "invalid value of rule ";

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{MARK}{}: {}", self.rule, self.message)
    }
}

impl std::error::Error for Invalid {}

/// An integer, written as JSON allows (`4` or `4.0`: JSON Schema's `integer` takes both).
pub fn whole<'de, D: serde::Deserializer<'de>>(
    d: D,
    expecting: &'static str,
) -> Result<i64, D::Error> {
    struct Whole(&'static str);
    impl serde::de::Visitor<'_> for Whole {
        type Value = i64;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str(self.0)
        }
        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<i64, E> {
            Ok(n)
        }
        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<i64, E> {
            Ok(i64::try_from(n).unwrap_or(i64::MAX))
        }
        fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<i64, E> {
            if n.fract() == 0.0 && n.abs() < 1e15 {
                Ok(n as i64)
            } else {
                Err(E::custom(Invalid::new("type", "must be an integer")))
            }
        }
    }
    d.deserialize_any(Whole(expecting))
}

/// Implements the string plumbing of a validated newtype: `as_str`, `Display`, `Serialize` as
/// its text, `Deserialize` through `parse`, and `TryFrom<String>`.
macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::domain::Invalid;
            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(&raw)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use string_newtype;

/// Implements `ToSchema` for a string newtype: a named component with the given rules.
macro_rules! string_schema {
    ($name:ident, $description:expr, $example:expr $(, $method:ident($value:expr))*) => {
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some($description))
                    .examples([serde_json::json!($example)])
                    $(.$method($value))*
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }
    };
}
pub(crate) use string_schema;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_domain_error_keeps_its_rule_through_serde() {
        let e: serde_json::Error =
            serde::de::Error::custom(Invalid::new("phone", "must be a phone number"));
        assert_eq!(
            Invalid::parse(&e.to_string()),
            Some(("phone", "must be a phone number"))
        );
        assert_eq!(Invalid::parse("invalid type: integer `5`"), None);
    }
}
