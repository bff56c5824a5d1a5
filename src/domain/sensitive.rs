//! Sensitivity declared on types. A value of a sensitive type serialises as itself for the API
//! and masked (or removed) when serialised for the audit log through [`for_audit`]; no list of
//! key names decides what is personal.
use std::cell::Cell;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

thread_local! {
    static AUDIT: Cell<bool> = const { Cell::new(false) };
    static MASKED: Cell<u32> = const { Cell::new(0) };
}

/// What a sensitive value writes into the audit log instead of itself.
pub const REMOVED: &str = "[removed]";

/// True while a value is being serialised for the audit log.
pub fn in_audit() -> bool {
    AUDIT.with(Cell::get)
}

/// Serialises `value` the way the audit log keeps it: sensitive values masked or removed.
/// Answers the text and whether any sensitive value was met (when none was, the text is also
/// what the API sends, so it need not be serialised twice).
pub fn for_audit<T: Serialize + ?Sized>(value: &T) -> (String, bool) {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            AUDIT.with(|a| a.set(false));
        }
    }
    AUDIT.with(|a| a.set(true));
    MASKED.with(|m| m.set(0));
    let _reset = Reset;
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    (text, MASKED.with(Cell::get) > 0)
}

/// Serialises a sensitive string: itself for the API, `mask(value)` for the audit log.
pub fn serialize_masked<S: Serializer>(
    value: &str,
    mask: impl FnOnce(&str) -> String,
    s: S,
) -> Result<S::Ok, S::Error> {
    if in_audit() {
        MASKED.with(|m| m.set(m.get() + 1));
        s.serialize_str(&mask(value))
    } else {
        s.serialize_str(value)
    }
}

/// A secret (password, key, token) a request carries. It never serialises as itself: the API
/// does not send secrets back, request fingerprints do not hold them, and the audit log keeps
/// `[removed]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the code that checks it (a password against its hash).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REMOVED)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if in_audit() {
            MASKED.with(|m| m.set(m.get() + 1));
        }
        s.serialize_str(REMOVED)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        if (1..=512).contains(&raw.chars().count()) {
            Ok(Secret(raw))
        } else {
            Err(serde::de::Error::custom(super::Invalid::new(
                "length",
                "must be 1 to 512 characters",
            )))
        }
    }
}

impl utoipa::PartialSchema for Secret {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "A secret: checked, never sent back nor kept in the audit log",
            ))
            .min_length(Some(1))
            .max_length(Some(512))
            .pattern(Some("^[^\\u0000]*$"))
            .into()
    }
}

impl utoipa::ToSchema for Secret {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Secret")
    }
}

/// A password as a request sets it: 8–128 characters with at least one letter and one digit.
/// It serialises as `[removed]` like every [`Secret`].
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Password(Secret);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, super::Invalid> {
        let n = raw.chars().count();
        if !(8..=128).contains(&n) {
            return Err(super::Invalid::new("length", "must be 8 to 128 characters"));
        }
        if !(raw.chars().any(char::is_alphabetic) && raw.chars().any(|c| c.is_ascii_digit())) {
            return Err(super::Invalid::new(
                "strength",
                "must hold at least one letter and one digit",
            ));
        }
        Ok(Self(Secret(raw.to_owned())))
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REMOVED)
    }
}

impl<'de> Deserialize<'de> for Password {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Password {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "A password: 8–128 characters, at least one letter and one digit; never sent back nor kept in the audit log",
            ))
            .min_length(Some(8))
            .max_length(Some(128))
            .pattern(Some("^[^\\u0000]*$"))
            .examples([serde_json::json!("Anquan2026")])
            .into()
    }
}

impl utoipa::ToSchema for Password {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Password")
    }
}

/// A secret the API hands out once (a generated password, a refresh token): the caller
/// receives it, the audit log keeps `[removed]`, and `Debug` (so every log) shows nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeSecret(String);

impl OneTimeSecret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for OneTimeSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REMOVED)
    }
}

impl Serialize for OneTimeSecret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_masked(&self.0, |_| REMOVED.to_owned(), s)
    }
}

impl utoipa::PartialSchema for OneTimeSecret {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "A secret shown only in this answer: keep it, it cannot be read again",
            ))
            .into()
    }
}

impl utoipa::ToSchema for OneTimeSecret {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("OneTimeSecret")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Login {
        login: String,
        password: Secret,
    }

    #[test]
    fn a_secret_is_removed_for_the_audit_log_only() {
        let body = Login {
            login: "gz".into(),
            password: Secret("hunter2".into()),
        };
        let (text, masked) = for_audit(&body);
        assert_eq!(text, r#"{"login":"gz","password":"[removed]"}"#);
        assert!(masked);
        assert!(!in_audit(), "audit mode ends with the call");
        let (_, masked) = for_audit(&"plain");
        assert!(!masked);
        assert_eq!(
            format!("{:?}", body.password),
            "[removed]",
            "not in logs either"
        );
        assert_eq!(
            body.password.expose(),
            "hunter2",
            "the code that checks it reads it"
        );
    }

    #[test]
    fn a_one_time_secret_reaches_the_caller_but_not_the_audit_log_or_logs() {
        let secret = OneTimeSecret::new("Xy7-generated".into());
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"Xy7-generated\"");
        assert_eq!(for_audit(&secret), ("\"[removed]\"".into(), true));
        assert_eq!(format!("{secret:?}"), "[removed]");
    }
}
