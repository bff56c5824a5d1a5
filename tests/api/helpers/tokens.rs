//! Tokens for tests: platform tokens, and hand-made ones for attacks.
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use safetrain::config::Settings;
use serde_json::{Value, json};

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A token from the platform's issuer, made with the platform's own signer.
pub fn platform(
    settings: &Settings,
    role: &str,
    city: Option<&str>,
    institution: Option<&str>,
    sub: &str,
) -> String {
    let authenticator =
        safetrain::auth::Authenticator::from_settings(settings).expect("authenticator");
    let actor = safetrain::auth::Actor::new(
        settings.auth.platform.issuer.clone(),
        sub.to_owned(),
        role.parse().expect("role"),
        city.map(str::to_owned),
        institution.map(|i| i.parse().expect("uuid")),
    )
    .expect("actor");
    authenticator.issue(&actor, None).expect("token")
}

/// Platform-style claims with the given overrides applied.
pub fn platform_claims(settings: &Settings, overrides: Value) -> Value {
    let mut claims = json!({
        "iss": settings.auth.platform.issuer,
        "aud": settings.auth.platform.audience,
        "sub": "attacker",
        "role": "province_admin",
        "iat": now(),
        "nbf": now(),
        "exp": now() + 600,
        "jti": "x",
    });
    if let (Some(base), Some(extra)) = (claims.as_object_mut(), overrides.as_object()) {
        for (k, v) in extra {
            base.insert(k.clone(), v.clone());
        }
    }
    claims
}

pub fn hs256(secret: &[u8], claims: &Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret).expect("key"),
    )
    .expect("sign")
}

/// A token with `alg: none` and no signature.
pub fn unsigned(claims: &Value) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = b64.encode(claims.to_string());
    format!("{header}.{payload}.")
}
