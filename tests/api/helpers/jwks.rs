//! A real HTTPS server publishing the provincial identity service's JWKS, and its signer.
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use actix_web::{App, HttpResponse, HttpServer, web};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use safetrain::config::{ProvincialIssuerSettings, Settings};
use serde_json::{Value, json};

pub const ISSUER: &str = "https://iam.gd.example.gov.cn";
pub const AUDIENCE: &str = "safetrain";
pub const RSA_KID: &str = "prov-rsa-1";
pub const EC_KID: &str = "prov-ec-1";

pub fn key_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/api/keys")
        .join(name)
}

/// Both published keys.
pub fn full_set() -> Value {
    serde_json::from_slice(&std::fs::read(key_path("jwks.json")).expect("jwks.json")).expect("json")
}

/// Only the key with `kid`.
pub fn only(kid: &str) -> Value {
    let mut set = full_set();
    if let Some(keys) = set["keys"].as_array_mut() {
        keys.retain(|k| k["kid"] == kid);
    }
    set
}

pub struct JwksServer {
    pub url: String,
    pub fetches: Arc<AtomicUsize>,
    keys: Arc<RwLock<Value>>,
    failing: Arc<AtomicBool>,
    handle: actix_web::dev::ServerHandle,
}

impl JwksServer {
    pub async fn start(initial: Value) -> Self {
        let keys = Arc::new(RwLock::new(initial));
        let fetches = Arc::new(AtomicUsize::new(0));
        let failing = Arc::new(AtomicBool::new(false));
        let (k, f, down) = (keys.clone(), fetches.clone(), failing.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = HttpServer::new(move || {
            let (k, f, down) = (k.clone(), f.clone(), down.clone());
            App::new().route(
                "/.well-known/jwks.json",
                web::get().to(move || {
                    let (k, f, down) = (k.clone(), f.clone(), down.clone());
                    async move {
                        f.fetch_add(1, Ordering::SeqCst);
                        if down.load(Ordering::SeqCst) {
                            return HttpResponse::ServiceUnavailable().finish();
                        }
                        let body = k.read().expect("keys").clone();
                        HttpResponse::Ok().json(body)
                    }
                }),
            )
        })
        .workers(1)
        .disable_signals()
        .listen_rustls_0_23(listener, tls_config())
        .expect("listen")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url: format!("https://localhost:{port}/.well-known/jwks.json"),
            fetches,
            keys,
            failing,
            handle,
        }
    }

    pub fn set_keys(&self, keys: Value) {
        *self.keys.write().expect("keys") = keys;
    }

    /// Makes the server answer 503 (an outage of the identity service) or serve again.
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    pub fn fetch_count(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }

    /// Points `settings` at this server, trusting the test CA.
    pub fn configure(&self, settings: &mut Settings, min_refetch_secs: u64) {
        let mut role_map = std::collections::HashMap::new();
        for (from, to) in [
            ("SZ_ADMIN", "province_admin"),
            ("DS_ADMIN", "city_admin"),
            ("JG_ADMIN", "institution_admin"),
            ("AUDITOR", "auditor"),
        ] {
            role_map.insert(from.to_owned(), to.to_owned());
        }
        settings.auth.provincial = Some(ProvincialIssuerSettings {
            issuer: ISSUER.into(),
            audience: AUDIENCE.into(),
            jwks_url: self.url.clone(),
            ca_file: Some(key_path("ca.pem")),
            jwks_cache_secs: 3600,
            jwks_min_refetch_secs: min_refetch_secs,
            role_claim: "user_type".into(),
            city_claim: "org_city".into(),
            institution_claim: "org_id".into(),
            role_map,
        });
    }
}

fn tls_config() -> rustls::ServerConfig {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(key_path("leaf.pem"))
        .expect("leaf.pem")
        .collect::<Result<_, _>>()
        .expect("certs");
    let key = PrivateKeyDer::from_pem_file(key_path("leaf_key.pem")).expect("leaf_key.pem");
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("tls config")
}

/// Claims as the provincial service issues them, with overrides.
pub fn claims(overrides: Value) -> Value {
    let now = super::tokens::now();
    let mut c = json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "prov-user-1", "user_type": "DS_ADMIN",
        "org_city": "440100", "iat": now, "nbf": now, "exp": now + 600});
    if let (Some(base), Some(extra)) = (c.as_object_mut(), overrides.as_object()) {
        for (k, v) in extra {
            base.insert(k.clone(), v.clone());
        }
    }
    c
}

/// Signs `claims` with the provincial RSA or EC test key under `kid`.
pub fn sign(alg: Algorithm, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    let key = match alg {
        Algorithm::RS256 => {
            EncodingKey::from_rsa_pem(&std::fs::read(key_path("rsa.pem")).expect("rsa.pem"))
                .expect("rsa")
        }
        Algorithm::ES256 => {
            EncodingKey::from_ec_pem(&std::fs::read(key_path("ec.pem")).expect("ec.pem"))
                .expect("ec")
        }
        other => panic!("no test key for {other:?}"),
    };
    encode(&header, claims, &key).expect("sign")
}
