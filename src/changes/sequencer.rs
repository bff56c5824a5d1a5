//! The sequencer: gives committed change events consecutive feed positions.
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::entity::{Column, Entity};
use crate::db;

/// The lease of the sequencer.
pub const LEASE: &str = "change_sequencer";

/// Positions up to `batch` committed events in one transaction; answers how many.
pub async fn sequence_batch(db: &DatabaseConnection, batch: u64) -> Result<u64, DbErr> {
    let txn = db::begin_write(db).await?;
    let last: Option<Option<i64>> = Entity::find()
        .select_only()
        .column(Column::Position)
        .filter(Column::Position.is_not_null())
        .order_by_desc(Column::Position)
        .into_tuple()
        .one(&txn)
        .await?;
    let mut position = last.flatten().unwrap_or(0);
    let ids: Vec<i64> = Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::Position.is_null())
        .order_by_asc(Column::Id)
        .limit(batch)
        .into_tuple()
        .all(&txn)
        .await?;
    if ids.is_empty() {
        txn.rollback().await?;
        return Ok(0);
    }
    let assigned: Vec<(i64, i64)> = ids
        .iter()
        .map(|id| {
            position += 1;
            (*id, position)
        })
        .collect();
    if !write_positions(&txn, &assigned).await? {
        // Another sequencer got there first: leave everything to it.
        txn.rollback().await?;
        return Ok(0);
    }
    txn.commit().await?;
    Ok(ids.len() as u64)
}

/// Writes `(id, position)` into events not positioned yet; answers whether every one still was.
async fn write_positions<C: ConnectionTrait>(
    txn: &C,
    assigned: &[(i64, i64)],
) -> Result<bool, DbErr> {
    let rows = assigned
        .iter()
        .map(|(id, position)| vec![(*id).into(), (*position).into()])
        .collect();
    db::bulk::assign(
        txn,
        "change_events",
        ("id", "bigint"),
        "position",
        &[("position", "bigint")],
        rows,
    )
    .await
}
