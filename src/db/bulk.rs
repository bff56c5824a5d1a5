//! One write of many rows: values given to rows that have none yet (the sealer's links, the
//! sequencer's positions), guarded so a row already given its values is never written again.
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};

/// A column of [`assign`]: its name and its PostgreSQL type (for the `VALUES` list).
pub type Column = (&'static str, &'static str);

/// Writes each row's values into `table` where `key` matches and `guard` is still null; answers
/// whether every row was written (false: another writer got there first; roll back). Each row
/// is the key's value followed by one value per column of `set`. PostgreSQL gets one
/// `UPDATE … FROM (VALUES …)` (one round trip for a batch); SQLite, in process, one
/// primary-key update per row, which its planner always answers with a rowid lookup (its plan
/// for the joined form degraded to seconds per batch under load).
pub async fn assign<C: ConnectionTrait>(
    txn: &C,
    table: &str,
    key: Column,
    guard: &str,
    set: &[Column],
    rows: Vec<Vec<Value>>,
) -> Result<bool, DbErr> {
    let backend = txn.get_database_backend();
    let count = rows.len() as u64;
    if backend != DbBackend::Postgres {
        let assignments: Vec<String> = set.iter().map(|(c, _)| format!("{c} = ?")).collect();
        let sql = format!(
            "UPDATE {table} SET {} WHERE {} = ? AND {guard} IS NULL",
            assignments.join(", "),
            key.0
        );
        for mut row in rows {
            // The key goes last, after the values it guards.
            row.rotate_left(1);
            let updated = txn
                .execute_raw(Statement::from_sql_and_values(backend, &sql, row))
                .await?;
            if updated.rows_affected() != 1 {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    let width = set.len() + 1;
    let mut values = Vec::with_capacity(rows.len() * width);
    let mut tuples = Vec::with_capacity(rows.len());
    for row in rows {
        let n = values.len();
        let cells: Vec<String> = std::iter::once(key)
            .chain(set.iter().copied())
            .enumerate()
            .map(|(i, (_, ty))| format!("${}::{ty}", n + i + 1))
            .collect();
        tuples.push(format!("({})", cells.join(", ")));
        values.extend(row);
    }
    let names: Vec<&str> = std::iter::once(key.0)
        .chain(set.iter().map(|(c, _)| *c))
        .collect();
    let assignments: Vec<String> = set.iter().map(|(c, _)| format!("{c} = v.{c}")).collect();
    let sql = format!(
        "UPDATE {table} SET {} FROM (VALUES {}) AS v({}) WHERE {table}.{k} = v.{k} AND {table}.{guard} IS NULL",
        assignments.join(", "),
        tuples.join(", "),
        names.join(", "),
        k = key.0,
    );
    let updated = txn
        .execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(updated.rows_affected() == count)
}
