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
        String::deserialize(d).map(Secret)
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
}
