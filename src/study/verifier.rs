//! Face comparison, pluggable: `manual` keeps every capture for a person to compare with the
//! portrait; `http` asks an external face-comparison service over a documented JSON protocol:
//!
//! ```text
//! POST <study.verifier.url>   Content-Type: application/json
//! {"request_id": "<uuid>", "reference": "<base64 of the portrait>", "capture": "<base64 of the capture>"}
//! → 200 {"score": <0.0–1.0>}
//! ```
//!
//! A score at or above `study.verifier.threshold` passes; below it fails. A service that
//! answers anything else, fails or does not answer within `study.verifier.timeout_ms` is tried
//! `study.verifier.retries` more times; if it still cannot answer, the capture goes to manual
//! review: face recognition is never the only way through.
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;

use crate::config::{VerifierKind, VerifierSettings};

/// What the verifier made of a capture.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Score (per mille) at or above the threshold.
    Passed(i32),
    /// Score (per mille) below the threshold.
    Failed(i32),
    /// For a person to compare (the manual verifier, no portrait, or the service unavailable:
    /// why, for the log).
    Review(String),
}

pub struct Verifier {
    kind: VerifierKind,
    client: reqwest::Client,
    settings: VerifierSettings,
}

#[derive(Deserialize)]
struct Answer {
    score: f64,
}

impl Verifier {
    pub fn from_settings(s: &VerifierSettings) -> Result<Self, String> {
        crate::crypto::install_tls_provider();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(s.timeout_ms))
            .build()
            .map_err(|e| format!("study.verifier: {e}"))?;
        if s.kind == VerifierKind::Http && s.url.is_none() {
            return Err("study.verifier.url must be set for the http verifier".into());
        }
        Ok(Self {
            kind: s.kind,
            client,
            settings: s.clone(),
        })
    }

    /// `manual` or `http`, as kept with each check.
    pub fn name(&self) -> &'static str {
        match self.kind {
            VerifierKind::Manual => "manual",
            VerifierKind::Http => "http",
        }
    }

    pub async fn compare(&self, reference: Option<&[u8]>, capture: &[u8]) -> Verdict {
        let (VerifierKind::Http, Some(url)) = (self.kind, &self.settings.url) else {
            return Verdict::Review("manual verifier".into());
        };
        let Some(reference) = reference else {
            return Verdict::Review("the learner has no portrait to compare with".into());
        };
        let body = serde_json::json!({
            "request_id": uuid::Uuid::now_v7(),
            "reference": B64.encode(reference),
            "capture": B64.encode(capture),
        });
        let mut last = String::new();
        for attempt in 0..=self.settings.retries {
            match self.client.post(url).json(&body).send().await {
                Ok(res) if res.status().is_success() => match res.json::<Answer>().await {
                    Ok(a) if (0.0..=1.0).contains(&a.score) => {
                        let permille = (a.score * 1000.0).round() as i32;
                        return if a.score >= self.settings.threshold {
                            Verdict::Passed(permille)
                        } else {
                            Verdict::Failed(permille)
                        };
                    }
                    Ok(_) => last = "the score is not within 0–1".into(),
                    Err(e) => last = format!("the answer is not the protocol's JSON: {e}"),
                },
                Ok(res) => last = format!("answered {}", res.status()),
                Err(e) if e.is_timeout() => last = "timed out".into(),
                Err(e) => last = format!("unreachable: {e}"),
            }
            tracing::warn!(attempt, reason = %last, "the face verifier did not answer");
        }
        Verdict::Review(format!("the face verifier is unavailable ({last})"))
    }
}
