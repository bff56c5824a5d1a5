//! What of a body goes into the audit log: secrets removed, personal fields masked,
//! large bodies kept as their SHA-256 and size.
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::crypto::mask_phone;

/// Bodies larger than this are recorded as `{sha256, size}`.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

const SECRET_KEYS: &[&str] = &[
    "password",
    "token",
    "access_token",
    "refresh_token",
    "secret",
    "authorization",
];
const MASKED_KEYS: &[&str] = &[
    "contact_phone",
    "phone",
    "mobile",
    "id_number",
    "id_card_number",
];
const REMOVED_KEYS: &[&str] = &["face_image", "portrait", "image_base64"];

/// Finds any key that needs scrubbing, as a quoted JSON string, in raw bytes.
static SENSITIVE: LazyLock<AhoCorasick> = LazyLock::new(|| {
    let quoted = SECRET_KEYS
        .iter()
        .chain(MASKED_KEYS)
        .chain(REMOVED_KEYS)
        .map(|k| format!("\"{k}\""));
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(quoted)
        .expect("static patterns")
});

/// The text to store for a JSON body this server produced. When no key that needs scrubbing
/// occurs in it, it is stored as sent, without parsing it again.
pub fn for_audit_own_json(raw: &[u8]) -> Option<String> {
    if raw.is_empty() || raw.len() > MAX_BODY_BYTES || SENSITIVE.is_match(raw) {
        return for_audit(raw);
    }
    match std::str::from_utf8(raw) {
        Ok(text) => Some(text.to_owned()),
        Err(_) => for_audit(raw),
    }
}

/// The text to store for a raw body, or `None` when there was no body.
pub fn for_audit(raw: &[u8]) -> Option<String> {
    if raw.is_empty() {
        return None;
    }
    if raw.len() > MAX_BODY_BYTES {
        return Some(digest(raw));
    }
    match serde_json::from_slice::<Value>(raw) {
        Ok(mut value) => {
            scrub(&mut value);
            let text = value.to_string();
            Some(if text.len() > MAX_BODY_BYTES {
                digest(raw)
            } else {
                text
            })
        }
        Err(_) => Some(digest(raw)),
    }
}

/// The same treatment for a value the service already holds.
pub fn value_for_audit(value: &Value) -> Option<String> {
    let mut value = value.clone();
    scrub(&mut value);
    let text = value.to_string();
    Some(if text.len() > MAX_BODY_BYTES {
        digest(text.as_bytes())
    } else {
        text
    })
}

fn digest(raw: &[u8]) -> String {
    json!({"sha256": hex::encode(Sha256::digest(raw)), "size": raw.len()}).to_string()
}

fn scrub(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                let key = key.to_ascii_lowercase();
                if SECRET_KEYS.contains(&key.as_str()) || REMOVED_KEYS.contains(&key.as_str()) {
                    *v = Value::String("[removed]".into());
                } else if MASKED_KEYS.contains(&key.as_str()) {
                    if let Value::String(s) = v {
                        *s = mask_phone(s);
                    }
                } else {
                    scrub(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(scrub),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_go_and_personal_fields_are_masked() {
        let raw =
            br#"{"name":"A","contact_phone":"13812345678","nested":{"password":"p","token":"t"}}"#;
        let out: Value = serde_json::from_str(&for_audit(raw).unwrap()).unwrap();
        assert_eq!(out["contact_phone"], "138****5678");
        assert_eq!(out["nested"]["password"], "[removed]");
        assert_eq!(out["nested"]["token"], "[removed]");
        assert_eq!(out["name"], "A");
    }

    #[test]
    fn own_json_without_sensitive_keys_is_kept_verbatim() {
        let plain = br#"{"items":[{"name":"A","city_code":"440100"}],"next_cursor":null}"#;
        assert_eq!(for_audit_own_json(plain).unwrap().as_bytes(), plain);
        let personal = br#"{"name":"A","Contact_Phone":"13812345678"}"#;
        let out: Value = serde_json::from_str(&for_audit_own_json(personal).unwrap()).unwrap();
        assert_eq!(
            out["Contact_Phone"], "138****5678",
            "keys are matched without regard to case"
        );
    }

    #[test]
    fn large_and_non_json_bodies_become_digests() {
        let big = format!("{{\"x\":\"{}\"}}", "a".repeat(MAX_BODY_BYTES));
        let out: Value = serde_json::from_str(&for_audit(big.as_bytes()).unwrap()).unwrap();
        assert_eq!(out["size"], big.len());
        assert_eq!(out["sha256"].as_str().unwrap().len(), 64);
        assert!(for_audit(b"not json").unwrap().contains("sha256"));
        assert!(for_audit(b"").is_none());
    }
}
