//! The provincial identity service's key set, fetched over HTTPS and cached.
use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey};
use tokio::sync::{Mutex, RwLock};

use crate::config::ProvincialIssuerSettings;
use crate::error::{AppError, Code};

pub struct JwksCache {
    url: String,
    client: reqwest::Client,
    ttl: Duration,
    min_refetch: Duration,
    state: RwLock<State>,
    fetching: Mutex<()>,
}

#[derive(Default)]
struct State {
    keys: HashMap<String, (DecodingKey, Algorithm)>,
    fetched_at: Option<Instant>,
    attempted_at: Option<Instant>,
}

impl JwksCache {
    pub fn new(s: &ProvincialIssuerSettings) -> Result<Self, String> {
        // reqwest is built without a default TLS provider (no aws-lc); every path that builds a
        // client, the `token` command included, goes through here.
        crate::crypto::install_tls_provider();
        let mut builder = reqwest::Client::builder()
            .https_only(true)
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(3));
        if let Some(path) = &s.ca_file {
            let pem = std::fs::read(path).map_err(|e| format!("auth.provincial.ca_file: {e}"))?;
            let cert = reqwest::Certificate::from_pem(&pem)
                .map_err(|e| format!("auth.provincial.ca_file: {e}"))?;
            builder = builder.add_root_certificate(cert);
        }
        Ok(Self {
            url: s.jwks_url.clone(),
            client: builder.build().map_err(|e| e.to_string())?,
            ttl: Duration::from_secs(s.jwks_cache_secs),
            min_refetch: Duration::from_secs(s.jwks_min_refetch_secs),
            state: RwLock::new(State::default()),
            fetching: Mutex::new(()),
        })
    }

    /// The key `kid` for `alg`. An unknown kid or a stale set triggers a refetch, at most once
    /// per `jwks_min_refetch_secs` whatever the reason; in between (and while the provider is
    /// unreachable) the last set fetched keeps answering, so a failing provider is not hammered
    /// and callers do not queue behind a fetch.
    pub async fn key(&self, kid: &str, alg: Algorithm) -> Result<DecodingKey, AppError> {
        if let Some(key) = self.cached(kid, alg, true).await? {
            return Ok(key);
        }
        if self.may_fetch().await {
            let _guard = self.fetching.lock().await;
            if let Some(key) = self.cached(kid, alg, true).await? {
                return Ok(key);
            }
            if self.may_fetch().await {
                self.refresh().await;
            }
        }
        self.cached(kid, alg, false).await?.ok_or_else(|| {
            AppError::unauthorized(
                Code::TokenKid,
                "the token's signing key is not in the provider's key set",
            )
        })
    }

    async fn may_fetch(&self) -> bool {
        self.state
            .read()
            .await
            .attempted_at
            .is_none_or(|t| t.elapsed() >= self.min_refetch)
    }

    async fn cached(
        &self,
        kid: &str,
        alg: Algorithm,
        fresh_only: bool,
    ) -> Result<Option<DecodingKey>, AppError> {
        let state = self.state.read().await;
        if fresh_only && state.fetched_at.is_none_or(|t| t.elapsed() >= self.ttl) {
            return Ok(None);
        }
        match state.keys.get(kid) {
            Some((key, key_alg)) if *key_alg == alg => Ok(Some(key.clone())),
            Some(_) => Err(AppError::unauthorized(
                Code::TokenAlgorithm,
                "the token's algorithm does not match its key",
            )),
            None => Ok(None),
        }
    }

    async fn refresh(&self) {
        self.state.write().await.attempted_at = Some(Instant::now());
        match self.fetch().await {
            Ok(keys) => {
                let mut state = self.state.write().await;
                state.keys = keys;
                state.fetched_at = Some(Instant::now());
                tracing::info!(keys = state.keys.len(), "fetched provincial JWKS");
            }
            Err(e) => tracing::warn!(error = %e, "fetching provincial JWKS failed"),
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, (DecodingKey, Algorithm)>, String> {
        let resp = self
            .client
            .get(&self.url)
            .send()
            .await
            .map_err(|e| crate::error::error_chain(&e))?;
        if !resp.status().is_success() {
            return Err(format!("JWKS answered {}", resp.status()));
        }
        let set: JwkSet = resp.json().await.map_err(|e| e.to_string())?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else {
                continue;
            };
            let alg = match &jwk.algorithm {
                AlgorithmParameters::RSA(_) => Algorithm::RS256,
                AlgorithmParameters::EllipticCurve(_) => Algorithm::ES256,
                _ => continue,
            };
            if let Ok(key) = DecodingKey::from_jwk(jwk) {
                keys.insert(kid, (key, alg));
            }
        }
        Ok(keys)
    }
}
