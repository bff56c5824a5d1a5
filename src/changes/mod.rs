//! Change events: every committed change of a resource the province receives appends one, in
//! the same transaction as the change (through the write path of the request context). Events are
//! written without a feed position; the sequencer, one job in one replica at a time, gives
//! committed events consecutive positions in one transaction per batch. So a reader can never
//! see position N+1 while a transaction holding N may still commit: a transaction that has not
//! committed holds no position at all, and positions are handed out only to what is committed,
//! on SQLite and PostgreSQL alike. The feed has no gaps and no duplicates, in position order.
pub mod entity;
pub mod feed;
pub mod sequencer;

use sea_orm::{ConnectionTrait, DbErr, EntityTrait};
use serde::Serialize;
use uuid::Uuid;

use crate::crypto::DataCipher;

/// What happened to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Created,
    Updated,
    Deleted,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Deleted => "deleted",
        }
    }
}

/// One change to append: the resource's shared representation at `version`.
#[derive(Debug, Clone)]
pub struct Change {
    pub resource_type: &'static str,
    pub resource_id: Uuid,
    pub operation: Operation,
    pub version: i32,
    pub data: String,
}

impl Change {
    pub fn new<T: Serialize>(
        resource_type: &'static str,
        resource_id: Uuid,
        operation: Operation,
        version: i32,
        data: &T,
    ) -> Result<Self, serde_json::Error> {
        Ok(Self {
            resource_type,
            resource_id,
            operation,
            version,
            data: serde_json::to_string(data)?,
        })
    }
}

/// Appends `changes` in the caller's transaction, their data encrypted at rest (a shared
/// representation may carry personal data).
pub async fn append<C: ConnectionTrait>(
    db: &C,
    cipher: &DataCipher,
    changes: &[Change],
) -> Result<(), DbErr> {
    if changes.is_empty() {
        return Ok(());
    }
    let now = crate::db::now();
    let rows = changes
        .iter()
        .map(|c| {
            let data_enc = cipher.encrypt(&c.data).map_err(DbErr::Custom)?;
            Ok(entity::ActiveModel {
                id: sea_orm::ActiveValue::NotSet,
                position: sea_orm::ActiveValue::Set(None),
                resource_type: sea_orm::ActiveValue::Set(c.resource_type.to_owned()),
                resource_id: sea_orm::ActiveValue::Set(c.resource_id.to_string()),
                operation: sea_orm::ActiveValue::Set(c.operation.as_str().to_owned()),
                version: sea_orm::ActiveValue::Set(c.version),
                occurred_at: sea_orm::ActiveValue::Set(now),
                data_enc: sea_orm::ActiveValue::Set(data_enc),
            })
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    entity::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// Starts the sequencer.
pub fn spawn_jobs(
    jobs: &mut crate::jobs::Jobs,
    db: &sea_orm::DatabaseConnection,
    settings: &crate::config::ChangesSettings,
    lease_ttl: std::time::Duration,
    metrics: std::sync::Arc<crate::metrics::Metrics>,
) {
    jobs.spawn_batches(
        sequencer::LEASE,
        db.clone(),
        lease_ttl,
        std::time::Duration::from_millis(settings.sequence_interval_ms),
        settings.sequence_batch_size,
        metrics.changes_sequenced.clone(),
        |db, batch| async move { sequencer::sequence_batch(&db, batch).await },
    );
}
