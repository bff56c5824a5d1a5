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
    pub chain_seq: Option<i64>,
    pub prev_hash: Option<String>,
    pub chain_hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
