//! The sequencer: gives committed change events consecutive feed positions.
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
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
/// One statement on PostgreSQL, a primary-key update per event on SQLite (in process).
async fn write_positions<C: ConnectionTrait>(
    txn: &C,
    assigned: &[(i64, i64)],
) -> Result<bool, DbErr> {
    let backend = txn.get_database_backend();
    if backend != sea_orm::DbBackend::Postgres {
        for (id, position) in assigned {
            let updated = Entity::update_many()
                .col_expr(Column::Position, Expr::value(*position))
                .filter(Column::Id.eq(*id))
                .filter(Column::Position.is_null())
                .exec(txn)
                .await?;
            if updated.rows_affected != 1 {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    let mut values = Vec::with_capacity(assigned.len() * 2);
    let mut tuples = Vec::with_capacity(assigned.len());
    for (id, position) in assigned {
        let n = values.len();
        tuples.push(format!("(${}::bigint, ${}::bigint)", n + 1, n + 2));
        values.extend([(*id).into(), (*position).into()]);
    }
    let sql = format!(
        "UPDATE change_events SET position = v.position \
         FROM (VALUES {}) AS v(id, position) \
         WHERE change_events.id = v.id AND change_events.position IS NULL",
        tuples.join(", ")
    );
    let updated = txn
        .execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(updated.rows_affected() == assigned.len() as u64)
}
