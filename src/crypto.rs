//! Personal data at rest: AES-256-GCM field encryption, key files in the data dir, and masking.
use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use secrecy::ExposeSecret;

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

/// Encrypts and decrypts personal fields.
#[derive(Clone)]
pub struct DataCipher {
    cipher: Aes256Gcm,
}

impl DataCipher {
    pub fn from_settings(settings: &Settings) -> Result<Self, String> {
        let key = match &settings.crypto.data_key {
            Some(b64) => B64
                .decode(b64.expose_secret())
                .ok()
                .filter(|k| k.len() == 32)
                .ok_or("crypto.data_key must be base64 of 32 bytes")?,
            None => key_file(&settings.data_path("data-encryption.key"), 32)
                .map_err(|e| e.to_string())?,
        };
        Ok(Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)),
        })
    }

    pub fn encrypt(&self, plain: &str) -> Result<String, String> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| e.to_string())?;
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .map_err(|_| "AES-GCM encryption failed".to_string())?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(B64.encode(out))
    }

    pub fn decrypt(&self, stored: &str) -> Result<String, String> {
        let raw = B64.decode(stored).map_err(|e| e.to_string())?;
        if raw.len() < 12 {
            return Err("ciphertext too short".into());
        }
        let (nonce, sealed) = raw.split_at(12);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| "ciphertext does not decrypt with the data key".to_string())?;
        String::from_utf8(plain).map_err(|e| e.to_string())
    }
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
}
