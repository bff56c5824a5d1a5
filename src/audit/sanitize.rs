//! The last guard before a body text is stored: keys that look like secrets are removed
//! whatever type produced them (`passwd`, `client_secret`, `new_password`, `id_token`,
//! `api_key`, `private_key`, …), and bodies too large to keep are kept as SHA-256 and size.
//! Personal values are masked earlier, by their types (see [`crate::domain::sensitive`]).
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::domain::sensitive::REMOVED;

/// Bodies larger than this are recorded as `{sha256, size}`.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Parts of a key that mark a secret, matched without regard to case.
const SECRET_PARTS: &[&str] = &[
    "passw",
    "passphrase",
    "pwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "privatekey",
    "private_key",
    "private-key",
    "credential",
    "authorization",
    "cookie",
];

static SECRET: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(SECRET_PARTS)
        .expect("static patterns")
});

/// Whether a JSON key names a secret.
pub fn is_secret_key(key: &str) -> bool {
    SECRET.is_match(key)
}

/// The text to store for a JSON text: as it is when no secret-looking part occurs in it at
/// all (the common case, decided without parsing), otherwise with every secret-looking key's
/// value removed; too large a text becomes its digest.
pub fn for_storage(text: String) -> String {
    if text.len() > MAX_BODY_BYTES {
        return digest(text.as_bytes());
    }
    if !SECRET.is_match(&text) {
        return text;
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(mut value) => {
            if scrub(&mut value) {
                value.to_string()
            } else {
                text
            }
        }
        Err(_) => digest(text.as_bytes()),
    }
}

/// `{sha256, size}` of raw bytes.
pub fn digest(raw: &[u8]) -> String {
    json!({"sha256": hex::encode(Sha256::digest(raw)), "size": raw.len()}).to_string()
}

/// Removes the values of secret-looking keys; answers whether it removed any.
fn scrub(value: &mut Value) -> bool {
    match value {
        Value::Object(map) => {
            let mut changed = false;
            for (key, v) in map.iter_mut() {
                if is_secret_key(key) {
                    if *v != Value::String(REMOVED.into()) {
                        *v = Value::String(REMOVED.into());
                        changed = true;
                    }
                } else {
                    changed |= scrub(v);
                }
            }
            changed
        }
        Value::Array(items) => items.iter_mut().fold(false, |c, v| scrub(v) | c),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_are_recognised_by_pattern() {
        for key in [
            "password",
            "passwd",
            "Password",
            "new_password",
            "client_secret",
            "id_token",
            "access_token",
            "refresh_token",
            "api_key",
            "apiKey",
            "private_key",
            "Authorization",
            "pwd",
            "set_cookie",
        ] {
            let text = json!({"name": "A", key: "s3cr3t", "nested": [{key: "s3cr3t"}]}).to_string();
            let stored = for_storage(text);
            assert!(!stored.contains("s3cr3t"), "{key}: {stored}");
            assert!(stored.contains("\"name\":\"A\""), "{stored}");
        }
    }

    #[test]
    fn a_secret_only_inside_an_array_is_removed_too() {
        let text = json!({"items": [{"name": "a"}, {"api_key": "s3cr3t"}]}).to_string();
        let stored = for_storage(text);
        assert!(!stored.contains("s3cr3t"), "{stored}");
        let text = json!([[{"token": "s3cr3t"}], {"x": 1}]).to_string();
        assert!(!for_storage(text).contains("s3cr3t"));
        let two = json!({"items": [{"passwd": "s3cr3t"}, {"secret": "s3cr3t"}]}).to_string();
        assert!(
            !for_storage(two).contains("s3cr3t"),
            "every element, not just one"
        );
    }

    #[test]
    fn text_without_secrets_is_kept_as_it_is() {
        let plain = r#"{"items":[{"name":"A","city_code":"440100"}],"next_cursor":null}"#;
        assert_eq!(for_storage(plain.into()), plain);
        let mentions = r#"{"introduction":"we teach password hygiene","quiz_passed":true}"#;
        assert_eq!(
            for_storage(mentions.into()),
            mentions,
            "values are not keys"
        );
    }

    #[test]
    fn a_body_of_exactly_the_limit_is_kept() {
        let at_limit = format!("{{\"x\":\"{}\"}}", "a".repeat(MAX_BODY_BYTES - 8));
        assert_eq!(at_limit.len(), MAX_BODY_BYTES);
        assert_eq!(for_storage(at_limit.clone()), at_limit);
        let over = format!("{at_limit} ");
        assert!(for_storage(over).contains("sha256"));
    }

    #[test]
    fn large_bodies_become_digests() {
        let big = format!("{{\"x\":\"{}\"}}", "a".repeat(MAX_BODY_BYTES));
        let out: Value = serde_json::from_str(&for_storage(big.clone())).unwrap();
        assert_eq!(out["size"], big.len());
        assert_eq!(out["sha256"].as_str().unwrap().len(), 64);
    }
}
