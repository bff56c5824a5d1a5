//! The `audit_logs` table.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_logs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub request_id: Uuid,
    pub occurred_at: ChronoDateTimeUtc,
    pub actor_subject: Option<String>,
    /// The issuer of the caller's token (null in records written before issuers were kept).
    pub actor_issuer: Option<String>,
    pub actor_role: Option<String>,
    pub actor_city: Option<String>,
    pub actor_institution: Option<Uuid>,
    pub client_ip: String,
    pub method: String,
    pub route: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub resource_city: Option<String>,
    pub status: i32,
    pub latency_us: i64,
    pub request_body: Option<String>,
    pub response_body: Option<String>,
    pub content_hash: String,
    pub chain_seq: Option<i64>,
    pub prev_hash: Option<String>,
    pub chain_hash: Option<String>,
    /// Set when the request body is stored once in `audit_bodies` under this SHA-256.
    pub request_body_sha256: Option<String>,
    /// Set when the response body is stored once in `audit_bodies` under this SHA-256.
    pub response_body_sha256: Option<String>,
}

/// Column sizes (characters) of the bounded text columns, as the migration creates them.
pub const CLIENT_IP_LEN: usize = 64;
pub const METHOD_LEN: usize = 16;
pub const ROUTE_LEN: usize = 200;
pub const RESOURCE_LEN: usize = 64;
pub const ISSUER_LEN: usize = 200;

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// An insertable record: every field of `m` set, the id left to the database.
pub fn new_record(m: Model) -> ActiveModel {
    use sea_orm::ActiveValue::{NotSet, Set};
    ActiveModel {
        id: NotSet,
        request_id: Set(m.request_id),
        occurred_at: Set(m.occurred_at),
        actor_subject: Set(m.actor_subject),
        actor_issuer: Set(m.actor_issuer),
        actor_role: Set(m.actor_role),
        actor_city: Set(m.actor_city),
        actor_institution: Set(m.actor_institution),
        client_ip: Set(m.client_ip),
        method: Set(m.method),
        route: Set(m.route),
        resource_type: Set(m.resource_type),
        resource_id: Set(m.resource_id),
        resource_city: Set(m.resource_city),
        status: Set(m.status),
        latency_us: Set(m.latency_us),
        request_body: Set(m.request_body),
        response_body: Set(m.response_body),
        content_hash: Set(m.content_hash),
        chain_seq: Set(None),
        prev_hash: Set(None),
        chain_hash: Set(None),
        request_body_sha256: Set(m.request_body_sha256),
        response_body_sha256: Set(m.response_body_sha256),
    }
}
