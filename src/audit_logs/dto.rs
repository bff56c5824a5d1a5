//! API types of the audit log.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::audit::entity;
use crate::domain::Timestamp;
use crate::http::pagination::{Cursor, Limit};

/// Who made an audited request.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditActor {
    /// The token subject.
    #[schema(example = "gz-admin-01")]
    pub subject: String,
    /// The token's issuer (null in records written before issuers were kept).
    #[schema(required = true, example = "https://iam.gd.gov.cn")]
    pub issuer: Option<String>,
    /// The caller's role.
    #[schema(example = "city_admin")]
    pub role: String,
    /// The caller's city module, if bound to one.
    #[schema(required = true, example = "440100")]
    pub city: Option<String>,
    /// The caller's institution, if bound to one.
    #[schema(required = true, example = json!(null))]
    pub institution: Option<Uuid>,
}

/// One audited request.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditLog {
    /// Position in the log (ascending with write time).
    #[schema(example = 1042)]
    pub id: i64,
    /// The request id, also sent back as `X-Request-Id`.
    pub request_id: Uuid,
    /// When the request arrived (RFC 3339, UTC).
    pub occurred_at: DateTime<Utc>,
    /// The signed-in caller, or null for anonymous requests.
    #[schema(required = true)]
    pub actor: Option<AuditActor>,
    /// The client's IP address.
    #[schema(example = "203.0.113.7")]
    pub client_ip: String,
    /// The HTTP method.
    #[schema(example = "POST")]
    pub method: String,
    /// The route template that matched.
    #[schema(example = "/api/v1/institutions")]
    pub route: String,
    /// The type of resource touched, if any.
    #[schema(required = true, example = "institution")]
    pub resource_type: Option<String>,
    /// The id of the resource touched, if any.
    #[schema(required = true, example = "01938a6e-8f1c-7c3a-9a55-5c1f0c1e2d3f")]
    pub resource_id: Option<String>,
    /// The city module of the resource touched, if it belongs to one (also when the caller
    /// could not reach it).
    #[schema(required = true, example = "440100")]
    pub resource_city: Option<String>,
    /// The HTTP status answered.
    #[schema(example = 201)]
    pub status: i32,
    /// Time from arrival to answer (to commit, for audited writes), in milliseconds.
    #[schema(example = 3.2)]
    pub latency_ms: f64,
    /// The request body with secrets removed and personal fields masked, or `{sha256, size}`.
    #[schema(required = true, value_type = Value)]
    pub request_body: Option<Value>,
    /// The response body, treated the same way.
    #[schema(required = true, value_type = Value)]
    pub response_body: Option<Value>,
    /// The record's hash-chain link, or null while it waits for the sealer.
    #[schema(required = true, example = json!(null))]
    pub chain_hash: Option<String>,
}

impl From<entity::Model> for AuditLog {
    fn from(m: entity::Model) -> Self {
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        let actor = match (m.actor_subject, m.actor_role) {
            (Some(subject), Some(role)) => Some(AuditActor {
                subject,
                issuer: m.actor_issuer,
                role,
                city: m.actor_city,
                institution: m.actor_institution,
            }),
            _ => None,
        };
        Self {
            id: m.id,
            request_id: m.request_id,
            occurred_at: m.occurred_at,
            actor,
            client_ip: m.client_ip,
            method: m.method,
            route: m.route,
            resource_type: m.resource_type,
            resource_id: m.resource_id,
            resource_city: m.resource_city,
            status: m.status,
            latency_ms: m.latency_us as f64 / 1000.0,
            request_body: parse(m.request_body),
            response_body: parse(m.response_body),
            chain_hash: m.chain_hash,
        }
    }
}

/// Filters of the audit log list; newest records first.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditLogQuery {
    /// Only records at or after this time (RFC 3339, years 1900–9999).
    pub from: Option<Timestamp>,
    /// Only records at or before this time (RFC 3339, years 1900–9999).
    pub to: Option<Timestamp>,
    /// Only records of this token subject.
    #[validate(length(min = 1, max = 200))]
    #[param(pattern = "^[^\\u0000]*$", min_length = 1, max_length = 200)]
    pub actor: Option<String>,
    /// Only records touching this resource type (e.g. `institution`).
    #[validate(length(min = 1, max = 64))]
    #[param(pattern = "^[^\\u0000]*$", min_length = 1, max_length = 64)]
    pub resource_type: Option<String>,
    /// Only records touching this resource id.
    #[validate(length(min = 1, max = 64))]
    #[param(pattern = "^[^\\u0000]*$", min_length = 1, max_length = 64)]
    pub resource_id: Option<String>,
    /// Only records that answered this HTTP status.
    #[validate(range(min = 100, max = 599))]
    #[param(minimum = 100, maximum = 599)]
    pub status: Option<i32>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Cursor>,
}

/// The time range to verify; both ends optional.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    /// Verify records at or after this time (RFC 3339, years 1900–9999).
    pub from: Option<Timestamp>,
    /// Verify records at or before this time (RFC 3339, years 1900–9999).
    pub to: Option<Timestamp>,
}

crate::http::pagination::page_schema!(AuditLogPage, AuditLog);
