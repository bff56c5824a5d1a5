//! The `change_events` table.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The feed position, given by the sequencer once the event is committed.
    pub position: Option<i64>,
    pub resource_type: String,
    pub resource_id: String,
    pub operation: String,
    pub version: i32,
    pub occurred_at: ChronoDateTimeUtc,
    /// The shared representation as JSON, AES-256-GCM encrypted.
    pub data_enc: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
