//! Token verification for both issuers, and signing for the platform's own issuer.
use std::collections::HashSet;
use std::path::Path;

use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::jwks::JwksCache;
use super::{Actor, Role};
use crate::config::{AuthSettings, ProvincialIssuerSettings, Settings};
use crate::error::{AppError, Code};

/// Claims of a platform-issued token.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub institution_id: Option<Uuid>,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    /// The local sign-in this token belongs to (learners signed in with a password).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
}

/// Verifies bearer tokens and signs platform tokens.
pub struct Authenticator {
    leeway: u64,
    platform_issuer: String,
    platform_audience: String,
    default_ttl: u64,
    encoding: EncodingKey,
    decoding: DecodingKey,
    provincial: Option<Provincial>,
}

struct Provincial {
    settings: ProvincialIssuerSettings,
    jwks: JwksCache,
}

fn unauthorized(code: Code, detail: impl Into<String>) -> AppError {
    AppError::unauthorized(code, detail.into())
}

impl Authenticator {
    pub fn from_settings(settings: &Settings) -> Result<Self, String> {
        let secret = platform_secret(settings)?;
        let auth: &AuthSettings = &settings.auth;
        let provincial = match &auth.provincial {
            Some(p) => Some(Provincial {
                jwks: JwksCache::new(p)?,
                settings: p.clone(),
            }),
            None => None,
        };
        Ok(Self {
            leeway: auth.leeway_secs,
            platform_issuer: auth.platform.issuer.clone(),
            platform_audience: auth.platform.audience.clone(),
            default_ttl: auth.platform.default_ttl_secs,
            encoding: EncodingKey::from_secret(&secret).map_err(|e| e.to_string())?,
            decoding: DecodingKey::from_secret(&secret).map_err(|e| e.to_string())?,
            provincial,
        })
    }

    /// Signs a platform token for `actor`, valid for `ttl` seconds (the configured default if none).
    pub fn issue(&self, actor: &Actor, ttl: Option<u64>) -> Result<String, String> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: self.platform_issuer.clone(),
            aud: self.platform_audience.clone(),
            sub: actor.subject.clone(),
            role: actor.role.as_str().into(),
            city_code: actor.city.clone(),
            institution_id: actor.institution,
            iat: now,
            nbf: now,
            exp: now + ttl.unwrap_or(self.default_ttl) as i64,
            jti: Uuid::now_v7().to_string(),
            sid: actor.sign_in,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| e.to_string())
    }

    /// Verifies `token` and maps its claims to an actor; every failure is a 401.
    pub async fn verify(&self, token: &str) -> Result<Actor, AppError> {
        let header = decode_header(token).map_err(|_| {
            unauthorized(Code::TokenMalformed, "the token is not a well-formed JWT")
        })?;
        let issuer = unverified_issuer(token)?;
        if issuer == self.platform_issuer {
            if header.alg != Algorithm::HS256 {
                return Err(unauthorized(
                    Code::TokenAlgorithm,
                    "platform tokens are HS256",
                ));
            }
            let validation = self.validation(
                Algorithm::HS256,
                &self.platform_issuer,
                &self.platform_audience,
            );
            let claims = decode::<Value>(token, &self.decoding, &validation)
                .map_err(token_error)?
                .claims;
            return platform_actor(&self.platform_issuer, &claims);
        }
        match &self.provincial {
            Some(p) if p.settings.issuer == issuer => {
                self.verify_provincial(p, &header, token).await
            }
            _ => Err(unauthorized(
                Code::TokenIssuer,
                "the token's issuer is not trusted",
            )),
        }
    }

    async fn verify_provincial(
        &self,
        p: &Provincial,
        header: &Header,
        token: &str,
    ) -> Result<Actor, AppError> {
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(unauthorized(
                Code::TokenAlgorithm,
                "provincial tokens are RS256 or ES256",
            ));
        }
        let kid = header
            .kid
            .as_deref()
            .ok_or_else(|| unauthorized(Code::TokenKid, "the token has no kid"))?;
        let key = p.jwks.key(kid, header.alg).await?;
        let validation = self.validation(header.alg, &p.settings.issuer, &p.settings.audience);
        let claims = decode::<Value>(token, &key, &validation)
            .map_err(token_error)?
            .claims;
        provincial_actor(&p.settings, &claims)
    }

    fn validation(&self, alg: Algorithm, iss: &str, aud: &str) -> Validation {
        let mut v = Validation::new(alg);
        v.leeway = self.leeway;
        v.validate_nbf = true;
        v.set_issuer(&[iss]);
        v.set_audience(&[aud]);
        v.required_spec_claims = HashSet::from(["exp", "iss", "aud", "sub"].map(String::from));
        v
    }
}

fn token_error(e: jsonwebtoken::errors::Error) -> AppError {
    use jsonwebtoken::errors::ErrorKind;
    let (code, detail): (Code, &str) = match e.kind() {
        ErrorKind::ExpiredSignature => (Code::TokenExpired, "the token has expired"),
        ErrorKind::ImmatureSignature => {
            (Code::TokenNotYetValid, "the token is not valid yet (nbf)")
        }
        ErrorKind::InvalidIssuer => (Code::TokenIssuer, "the token's issuer is not trusted"),
        ErrorKind::InvalidAudience => (
            Code::TokenAudience,
            "the token is not meant for this API (aud)",
        ),
        ErrorKind::InvalidSignature => (
            Code::TokenSignature,
            "the token's signature does not verify",
        ),
        ErrorKind::MissingRequiredClaim(_) => {
            (Code::TokenClaims, "the token lacks exp, iss, aud or sub")
        }
        ErrorKind::InvalidAlgorithm => (
            Code::TokenAlgorithm,
            "the token's algorithm is not accepted",
        ),
        _ => (Code::TokenInvalid, "the token cannot be verified"),
    };
    unauthorized(code, detail)
}

/// Reads `iss` before verification, only to choose which issuer's keys verify the token.
fn unverified_issuer(token: &str) -> Result<String, AppError> {
    let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(token)
        .map_err(|_| unauthorized(Code::TokenMalformed, "the token's claims are not readable"))?;
    claims
        .get("iss")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| unauthorized(Code::TokenIssuer, "the token has no iss"))
}

fn claim_str(claims: &Value, name: &str) -> Option<String> {
    match claims.get(name) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn parse_institution(raw: Option<String>) -> Result<Option<Uuid>, AppError> {
    raw.map(|s| Uuid::parse_str(&s))
        .transpose()
        .map_err(|_| unauthorized(Code::TokenClaims, "the institution claim is not a UUID"))
}

fn platform_actor(issuer: &str, claims: &Value) -> Result<Actor, AppError> {
    let role: Role = claim_str(claims, "role")
        .ok_or_else(|| unauthorized(Code::TokenClaims, "the token has no role"))?
        .parse()
        .map_err(|e: String| unauthorized(Code::TokenClaims, e))?;
    let sub = claim_str(claims, "sub").unwrap_or_default();
    let institution = parse_institution(claim_str(claims, "institution_id"))?;
    let sign_in = claim_str(claims, "sid")
        .map(|s| Uuid::parse_str(&s))
        .transpose()
        .map_err(|_| unauthorized(Code::TokenClaims, "the sid claim is not a UUID"))?;
    let mut actor = Actor::new(
        issuer.to_owned(),
        sub,
        role,
        claim_str(claims, "city_code"),
        institution,
    )
    .map_err(|e| unauthorized(Code::TokenClaims, e))?;
    actor.sign_in = sign_in;
    Ok(actor)
}

fn provincial_actor(s: &ProvincialIssuerSettings, claims: &Value) -> Result<Actor, AppError> {
    let raw_role = claim_str(claims, &s.role_claim).ok_or_else(|| {
        unauthorized(
            Code::TokenClaims,
            format!("the token has no {} claim", s.role_claim),
        )
    })?;
    let role: Role = s
        .role_map
        .get(&raw_role)
        .ok_or_else(|| unauthorized(Code::TokenRole, format!("role {raw_role:?} is not mapped")))?
        .parse()
        .map_err(|e: String| unauthorized(Code::TokenRole, e))?;
    let sub = claim_str(claims, "sub").unwrap_or_default();
    let institution = parse_institution(claim_str(claims, &s.institution_claim))?;
    Actor::new(
        s.issuer.clone(),
        sub,
        role,
        claim_str(claims, &s.city_claim),
        institution,
    )
    .map_err(|e| unauthorized(Code::TokenClaims, e))
}

/// The platform's HS256 key: from settings, or generated once into the data dir.
fn platform_secret(settings: &Settings) -> Result<Vec<u8>, String> {
    if let Some(secret) = &settings.auth.platform.secret {
        return Ok(secret.expose_secret().as_bytes().to_vec());
    }
    crate::crypto::key_file(&settings.data_path("platform-jwt.key"), 32).map_err(|e| {
        format!(
            "platform signing key in {}: {e}",
            Path::new(&settings.data_dir).display()
        )
    })
}
