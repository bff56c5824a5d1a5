//! Personal data at rest: AES-256-GCM field encryption, key files in the data dir, and masking.
use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;

use crate::config::Settings;

/// Reads a hex key of `len` bytes from `path`, creating it (mode 0600) on first use.
pub fn key_file(path: &Path, len: usize) -> std::io::Result<Vec<u8>> {
    if let Ok(text) = std::fs::read_to_string(path) {
        return hex::decode(text.trim())
            .ok()
            .filter(|k| k.len() == len)
            .ok_or_else(|| {
                std::io::Error::other(format!(
                    "{} does not hold a {len}-byte hex key",
                    path.display()
                ))
            });
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut key = vec![0u8; len];
    getrandom::fill(&mut key).map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(hex::encode(&key).as_bytes())?;
            file.sync_all()?;
            Ok(key)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => key_file(path, len),
        Err(e) => Err(e),
    }
}

/// Encrypts and decrypts personal fields, and hashes them for look-up.
///
/// A stored value is `<key id>:<base64 of nonce and ciphertext>`: the key id travels with the
/// value, so a new key (`crypto.data_key_id` and `crypto.data_key`) encrypts from then on while
/// the keys it replaced (`crypto.retired_keys`) still decrypt what they wrote. A value without
/// a key id (written before key ids) is tried with every key.
///
/// Look-up and uniqueness use [`DataCipher::lookup_hash`], an HMAC-SHA256 under a key of its
/// own, never the plain value; that key does not rotate (the hashes would have to be rebuilt).
#[derive(Clone)]
pub struct DataCipher {
    active: String,
    keys: Vec<(String, Aes256Gcm)>,
    lookup: Vec<u8>,
}

fn aes_key(b64: &secrecy::SecretString, what: &str) -> Result<Aes256Gcm, String> {
    let key = B64
        .decode(b64.expose_secret())
        .ok()
        .filter(|k| k.len() == 32)
        .ok_or_else(|| format!("{what} must be base64 of 32 bytes"))?;
    Ok(Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)))
}

impl DataCipher {
    pub fn from_settings(settings: &Settings) -> Result<Self, String> {
        let c = &settings.crypto;
        let active_key = match &c.data_key {
            Some(b64) => aes_key(b64, "crypto.data_key")?,
            None => {
                let key = key_file(&settings.data_path("data-encryption.key"), 32)
                    .map_err(|e| e.to_string())?;
                Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key))
            }
        };
        let id_ok = |id: &str| {
            !id.is_empty()
                && id.len() <= 16
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if !id_ok(&c.data_key_id) {
            return Err("crypto.data_key_id must be 1-16 letters, digits, - or _".into());
        }
        let mut keys = vec![(c.data_key_id.clone(), active_key)];
        let mut retired: Vec<_> = c.retired_keys.iter().collect();
        retired.sort_by(|a, b| a.0.cmp(b.0));
        for (id, b64) in retired {
            if !id_ok(id) || *id == c.data_key_id {
                return Err(format!(
                    "crypto.retired_keys: {id:?} must be 1-16 letters, digits, - or _ and not the active key's id"
                ));
            }
            keys.push((id.clone(), aes_key(b64, "crypto.retired_keys")?));
        }
        let lookup = match &c.lookup_key {
            Some(b64) => B64
                .decode(b64.expose_secret())
                .ok()
                .filter(|k| k.len() == 32)
                .ok_or("crypto.lookup_key must be base64 of 32 bytes")?,
            None => {
                key_file(&settings.data_path("data-lookup.key"), 32).map_err(|e| e.to_string())?
            }
        };
        Ok(Self {
            active: c.data_key_id.clone(),
            keys,
            lookup,
        })
    }

    /// The key id new values are encrypted under.
    pub fn active_key_id(&self) -> &str {
        &self.active
    }

    pub fn encrypt(&self, plain: &str) -> Result<String, String> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| e.to_string())?;
        let sealed = self.keys[0]
            .1
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .map_err(|_| "AES-GCM encryption failed".to_string())?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{}:{}", self.active, B64.encode(out)))
    }

    pub fn decrypt(&self, stored: &str) -> Result<String, String> {
        let (candidates, body): (Vec<&Aes256Gcm>, &str) = match stored.split_once(':') {
            Some((id, body)) => {
                let key = self
                    .keys
                    .iter()
                    .find(|(k, _)| k == id)
                    .map(|(_, c)| c)
                    .ok_or_else(|| format!("no data key with id {id:?} is configured"))?;
                (vec![key], body)
            }
            None => (self.keys.iter().map(|(_, c)| c).collect(), stored),
        };
        let raw = B64.decode(body).map_err(|e| e.to_string())?;
        if raw.len() < 12 {
            return Err("ciphertext too short".into());
        }
        let (nonce, sealed) = raw.split_at(12);
        let plain = candidates
            .iter()
            .find_map(|c| c.decrypt(Nonce::from_slice(nonce), sealed).ok())
            .ok_or_else(|| "ciphertext does not decrypt with the data key".to_string())?;
        String::from_utf8(plain).map_err(|e| e.to_string())
    }

    /// Encrypts a file (a face image) under the active key: the key id's length and the key
    /// id, the nonce, then the ciphertext.
    pub fn encrypt_bytes(&self, plain: &[u8]) -> Result<Vec<u8>, String> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| e.to_string())?;
        let sealed = self.keys[0]
            .1
            .encrypt(Nonce::from_slice(&nonce), plain)
            .map_err(|_| "AES-GCM encryption failed".to_string())?;
        let mut out = vec![self.active.len() as u8];
        out.extend_from_slice(self.active.as_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Decrypts what [`DataCipher::encrypt_bytes`] wrote, with the key its id names.
    pub fn decrypt_bytes(&self, stored: &[u8]) -> Result<Vec<u8>, String> {
        let (&len, rest) = stored.split_first().ok_or("an empty ciphertext")?;
        let len = usize::from(len);
        if rest.len() < len + 12 {
            return Err("ciphertext too short".into());
        }
        let (id, rest) = rest.split_at(len);
        let (nonce, sealed) = rest.split_at(12);
        let key = self
            .keys
            .iter()
            .find(|(k, _)| k.as_bytes() == id)
            .map(|(_, c)| c)
            .ok_or("no data key with the ciphertext's id is configured")?;
        key.decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| "ciphertext does not decrypt with the data key".to_string())
    }

    /// The keyed hash (HMAC-SHA256, hex) of `value` as a `kind` of value, for look-up and
    /// unique indexes: equal values of one kind hash alike, and without the key nothing can be
    /// learnt from the hash, not even by trying every phone number.
    pub fn lookup_hash(&self, kind: &str, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.lookup)
            .expect("HMAC takes a key of any length");
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// Hashes a password with Argon2id of `memory_kib` KiB and `passes` passes (one lane; the
/// OWASP recommendation is 19,456 KiB and 2 passes, the defaults of `auth.local`) and a random
/// salt, as a PHC string that names its parameters. Costly by design: call it off the async
/// threads ([`tokio::task::spawn_blocking`]).
pub fn hash_password(password: &str, memory_kib: u32, passes: u32) -> Result<String, String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    let params = argon2::Params::new(memory_kib, passes, 1, None).map_err(|e| e.to_string())?;
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// True when `password` matches the PHC string `hash` (any Argon2 variant and parameters the
/// hash names, so stronger parameters can come later without a migration).
pub fn verify_password(hash: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A random password of 12 characters from an alphabet without look-alikes (no 0/O, 1/l/I),
/// with at least one letter and one digit, for a learner created without one.
pub fn generate_password() -> Result<String, String> {
    const LETTERS: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGITS: &[u8] = b"23456789";
    loop {
        let mut raw = [0u8; 12];
        getrandom::fill(&mut raw).map_err(|e| e.to_string())?;
        let alphabet: Vec<u8> = [LETTERS, DIGITS].concat();
        // 256 is not a multiple of the alphabet's size: drop the biased top values.
        let limit = 256 - 256 % alphabet.len();
        if raw.iter().any(|b| (*b as usize) >= limit) {
            continue;
        }
        let pw: String = raw
            .iter()
            .map(|b| alphabet[*b as usize % alphabet.len()] as char)
            .collect();
        if pw.bytes().any(|b| b.is_ascii_digit()) && pw.bytes().any(|b| b.is_ascii_alphabetic()) {
            return Ok(pw);
        }
    }
}

/// A random opaque token (32 bytes, base64url) and its SHA-256 (hex), which is what is stored.
pub fn opaque_token() -> Result<(String, String), String> {
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| e.to_string())?;
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let hash = token_hash(&token);
    Ok((token, hash))
}

/// The stored form of an opaque token: SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Installs ring as the process's TLS provider (once; later calls do nothing). reqwest and
/// sqlx are built without one of their own.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ciphertext_round_trips_and_differs_each_time() {
        let dir = std::env::temp_dir().join(format!("st-key-{}", uuid::Uuid::now_v7()));
        let settings = Settings {
            data_dir: dir.clone(),
            ..Default::default()
        };
        let cipher = DataCipher::from_settings(&settings).unwrap();
        let a = cipher.encrypt("13812345678").unwrap();
        let b = cipher.encrypt("13812345678").unwrap();
        assert_ne!(a, b, "nonces must differ");
        assert!(!a.contains("13812345678"));
        assert_eq!(cipher.decrypt(&a).unwrap(), "13812345678");
        let again = DataCipher::from_settings(&settings).unwrap();
        assert_eq!(
            again.decrypt(&b).unwrap(),
            "13812345678",
            "the key file is reused"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn b64_key(byte: u8) -> secrecy::SecretString {
        B64.encode([byte; 32]).into()
    }

    #[test]
    fn values_carry_their_key_id_and_old_keys_still_decrypt_after_rotation() {
        let mut settings = Settings::default();
        settings.crypto.data_key = Some(b64_key(1));
        settings.crypto.data_key_id = "2025".into();
        let old = DataCipher::from_settings(&settings).unwrap();
        let written = old.encrypt("44010119900307001X").unwrap();
        assert!(written.starts_with("2025:"), "{written}");
        // Rotate: a new active key, the old one retired.
        settings.crypto.data_key = Some(b64_key(2));
        settings.crypto.data_key_id = "2026".into();
        settings.crypto.retired_keys = [("2025".to_string(), b64_key(1))].into();
        let new = DataCipher::from_settings(&settings).unwrap();
        assert_eq!(new.decrypt(&written).unwrap(), "44010119900307001X");
        let rewritten = new.encrypt("44010119900307001X").unwrap();
        assert!(rewritten.starts_with("2026:"), "{rewritten}");
        assert!(
            old.decrypt(&rewritten).is_err(),
            "the old key alone cannot read new values"
        );
        // A value from before key ids is tried with every key.
        let legacy = written.split_once(':').unwrap().1;
        assert_eq!(new.decrypt(legacy).unwrap(), "44010119900307001X");
        assert!(new.decrypt("unknown:AAAA").unwrap_err().contains("unknown"));
        settings.crypto.retired_keys = [("2026".to_string(), b64_key(1))].into();
        assert!(
            DataCipher::from_settings(&settings).is_err(),
            "a retired id cannot be the active one"
        );
    }

    #[test]
    fn files_round_trip_under_their_key_id() {
        let mut settings = Settings::default();
        settings.crypto.data_key = Some(b64_key(3));
        settings.crypto.data_key_id = "face1".into();
        let c = DataCipher::from_settings(&settings).unwrap();
        let image = b"\xff\xd8\xff\xe0 a face \xff\xd9".to_vec();
        let sealed = c.encrypt_bytes(&image).unwrap();
        assert_eq!(&sealed[1..6], b"face1");
        assert!(!sealed.windows(6).any(|w| w == b"a face"));
        assert_eq!(c.decrypt_bytes(&sealed).unwrap(), image);
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(c.decrypt_bytes(&tampered).is_err());
        assert!(c.decrypt_bytes(&sealed[..10]).is_err());
        assert!(c.decrypt_bytes(&[]).is_err());
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("Anquan2026", 19_456, 2).unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password(&hash, "Anquan2026"));
        assert!(!verify_password(&hash, "Anquan2027"));
        assert!(!verify_password("not a hash", "Anquan2026"));
        assert_ne!(
            hash,
            hash_password("Anquan2026", 19_456, 2).unwrap(),
            "salted"
        );
        let light = hash_password("Anquan2026", 256, 1).unwrap();
        assert!(
            light.starts_with("$argon2id$v=19$m=256,t=1,p=1$"),
            "{light}"
        );
        assert!(
            verify_password(&light, "Anquan2026"),
            "the hash names its parameters"
        );
        for _ in 0..50 {
            let pw = generate_password().unwrap();
            assert_eq!(pw.len(), 12);
            assert!(crate::domain::Password::parse(&pw).is_ok(), "{pw}");
            assert!(!pw.contains(['0', 'O', '1', 'l', 'I']), "{pw}");
        }
        let (token, hash) = opaque_token().unwrap();
        assert_eq!(token.len(), 43);
        assert_eq!(hash, token_hash(&token));
        assert_ne!(opaque_token().unwrap().0, token);
    }

    #[test]
    fn the_lookup_hash_is_keyed_and_separates_kinds() {
        let mut settings = Settings::default();
        settings.crypto.data_key = Some(b64_key(1));
        settings.crypto.lookup_key = Some(b64_key(7));
        let a = DataCipher::from_settings(&settings).unwrap();
        let h = a.lookup_hash("phone", "13812345678");
        assert_eq!(h.len(), 64);
        assert_eq!(h, a.lookup_hash("phone", "13812345678"), "stable");
        assert_ne!(h, a.lookup_hash("id_number", "13812345678"), "kinds differ");
        assert_ne!(h, a.lookup_hash("phone", "13812345679"));
        use sha2::Digest;
        assert_ne!(
            h,
            hex::encode(Sha256::digest(b"phone\x0013812345678")),
            "not a bare hash"
        );
        settings.crypto.lookup_key = Some(b64_key(8));
        let b = DataCipher::from_settings(&settings).unwrap();
        assert_ne!(
            h,
            b.lookup_hash("phone", "13812345678"),
            "another key, another hash"
        );
    }
}
