//! Tamper evidence: records are linked into a SHA-256 hash chain by one sealer at a time,
//! in the order the sealer finds them committed, and the chain can be recomputed.
use std::time::Duration;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement, sea_query::Expr,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::entity::{self, Column, Entity};
use crate::db;

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const SEAL_BATCH: u64 = 1000;
const LEASE: &str = "audit_sealer";

/// SHA-256 over every stored field of the record except its row id and the hash columns.
/// Each field is length-prefixed (absent fields have their own marker), so no two different
/// records hash the same input.
pub fn content_hash(m: &entity::Model) -> String {
    let mut h = Sha256::new();
    let mut field = |value: Option<&[u8]>| match value {
        Some(bytes) => {
            h.update([1u8]);
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        }
        None => h.update([0u8]),
    };
    let request_id = m.request_id.to_string();
    let occurred_at = m
        .occurred_at
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let institution = m.actor_institution.map(|i| i.to_string());
    let (status, latency) = (m.status.to_string(), m.latency_us.to_string());
    field(Some(request_id.as_bytes()));
    field(Some(occurred_at.as_bytes()));
    for text in [&m.actor_subject, &m.actor_role, &m.actor_city, &institution] {
        field(text.as_deref().map(str::as_bytes));
    }
    for text in [&m.client_ip, &m.method, &m.route] {
        field(Some(text.as_bytes()));
    }
    for text in [&m.resource_type, &m.resource_id, &m.resource_city] {
        field(text.as_deref().map(str::as_bytes));
    }
    field(Some(status.as_bytes()));
    field(Some(latency.as_bytes()));
    field(m.request_body.as_deref().map(str::as_bytes));
    field(m.response_body.as_deref().map(str::as_bytes));
    hex::encode(h.finalize())
}

/// The chain hash of a record: SHA-256 of the previous chain hash and its content hash.
pub fn link(prev: &str, content: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(content.as_bytes());
    hex::encode(h.finalize())
}

/// Links up to one batch of unsealed records; returns how many it sealed.
pub async fn seal_batch(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let txn = db::begin_write(db).await?;
    let last: Option<(i64, Option<String>)> = Entity::find()
        .select_only()
        .column(Column::ChainSeq)
        .column(Column::ChainHash)
        .filter(Column::ChainSeq.is_not_null())
        .order_by_desc(Column::ChainSeq)
        .into_tuple()
        .one(&txn)
        .await?;
    let (mut seq, mut prev) = match last {
        Some((seq, hash)) => (seq, hash.unwrap_or_else(|| GENESIS.into())),
        None => (0, GENESIS.to_owned()),
    };
    let rows: Vec<(i64, String)> = Entity::find()
        .select_only()
        .column(Column::Id)
        .column(Column::ContentHash)
        .filter(Column::ChainSeq.is_null())
        .order_by_asc(Column::Id)
        .limit(SEAL_BATCH)
        .into_tuple()
        .all(&txn)
        .await?;
    if rows.is_empty() {
        txn.rollback().await?;
        return Ok(0);
    }
    let mut links = Vec::with_capacity(rows.len());
    for (id, content) in &rows {
        seq += 1;
        let hash = link(&prev, content);
        links.push((*id, seq, std::mem::replace(&mut prev, hash.clone()), hash));
    }
    if !write_links(&txn, &links).await? {
        // Another sealer got there first: leave everything to it.
        txn.rollback().await?;
        return Ok(0);
    }
    txn.commit().await?;
    Ok(rows.len() as u64)
}

/// Writes `(id, chain_seq, prev_hash, chain_hash)` into records not sealed yet; answers whether
/// every one was still unsealed. PostgreSQL gets the batch as one `UPDATE … FROM (VALUES …)`
/// (one round trip instead of a thousand); SQLite, in process, gets one primary-key update per
/// record, which its planner always answers with a rowid lookup (its plan for the joined form
/// degraded to seconds per batch under load).
async fn write_links<C: ConnectionTrait>(
    txn: &C,
    links: &[(i64, i64, String, String)],
) -> Result<bool, DbErr> {
    let backend = txn.get_database_backend();
    if backend != sea_orm::DbBackend::Postgres {
        for (id, seq, prev, hash) in links {
            let updated = Entity::update_many()
                .col_expr(Column::ChainSeq, Expr::value(*seq))
                .col_expr(Column::PrevHash, Expr::value(prev.clone()))
                .col_expr(Column::ChainHash, Expr::value(hash.clone()))
                .filter(Column::Id.eq(*id))
                .filter(Column::ChainSeq.is_null())
                .exec(txn)
                .await?;
            if updated.rows_affected != 1 {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    let mut values = Vec::with_capacity(links.len() * 4);
    let mut tuples = Vec::with_capacity(links.len());
    for (id, seq, prev, hash) in links {
        let n = values.len();
        tuples.push(format!(
            "(${}::bigint, ${}::bigint, ${}, ${})",
            n + 1,
            n + 2,
            n + 3,
            n + 4
        ));
        values.extend([
            (*id).into(),
            (*seq).into(),
            prev.clone().into(),
            hash.clone().into(),
        ]);
    }
    let sql = format!(
        "UPDATE audit_logs SET chain_seq = v.seq, prev_hash = v.prev, chain_hash = v.hash \
         FROM (VALUES {}) AS v(id, seq, prev, hash) \
         WHERE audit_logs.id = v.id AND audit_logs.chain_seq IS NULL",
        tuples.join(", ")
    );
    let updated = txn
        .execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(updated.rows_affected() == links.len() as u64)
}

/// Deletes sealed records older than the retention period, then the stored bodies only such
/// records could point at; answers how many records went.
pub async fn purge<C: ConnectionTrait>(db: &C, retention_days: u32) -> Result<u64, DbErr> {
    let cutoff = db::now() - chrono::Duration::days(retention_days.into());
    let res = Entity::delete_many()
        .filter(Column::OccurredAt.lt(cutoff))
        .filter(Column::ChainSeq.is_not_null())
        .exec(db)
        .await?;
    super::bodies::purge(db, cutoff).await?;
    Ok(res.rows_affected)
}

/// Runs the sealer while this replica holds the lease, until the process ends.
pub async fn run_sealer(
    db: DatabaseConnection,
    holder: String,
    interval: Duration,
    lease_ttl: Duration,
    retention_days: u32,
    metrics: std::sync::Arc<crate::metrics::Metrics>,
) {
    let ttl = chrono::Duration::from_std(lease_ttl).unwrap_or(chrono::Duration::seconds(15));
    let mut last_purge: Option<tokio::time::Instant> = None;
    loop {
        match db::lease::try_acquire(&db, LEASE, &holder, ttl).await {
            Ok(true) => {
                loop {
                    match seal_batch(&db).await {
                        Ok(n) => {
                            metrics.audit_sealed.inc_by(n);
                            if n < SEAL_BATCH {
                                break;
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error.chain = %crate::error::error_chain(&e), "sealing failed");
                            break;
                        }
                    }
                }
                if last_purge.is_none_or(|t| t.elapsed() > Duration::from_secs(3600)) {
                    last_purge = Some(tokio::time::Instant::now());
                    if let Err(e) = purge(&db, retention_days).await {
                        tracing::warn!(error.chain = %crate::error::error_chain(&e), "audit purge failed");
                    }
                }
            }
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error.chain = %crate::error::error_chain(&e), "sealer lease check failed")
            }
        }
        tokio::time::sleep(interval).await;
    }
}

/// The outcome of recomputing the chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChainVerification {
    /// True when every checked record matches its hashes and links to its predecessor.
    #[schema(example = true)]
    pub ok: bool,
    /// How many sealed records were recomputed.
    #[schema(example = 1200)]
    pub checked: u64,
    /// The id of the first record that does not verify, or null.
    #[schema(required = true, example = json!(null))]
    pub first_broken: Option<i64>,
    /// Records written but not yet sealed into the chain (the sealer runs every few seconds).
    #[schema(example = 3)]
    pub unsealed: u64,
}

/// Recomputes the chain over the sealed records whose time lies in `[from, to]`.
pub async fn verify<C: ConnectionTrait>(
    db: &C,
    from: Option<chrono::DateTime<chrono::Utc>>,
    to: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<ChainVerification, DbErr> {
    let unsealed = Entity::find()
        .filter(Column::ChainSeq.is_null())
        .count(db)
        .await?;
    let mut bounds = Entity::find().filter(Column::ChainSeq.is_not_null());
    if let Some(from) = from {
        bounds = bounds.filter(Column::OccurredAt.gte(from));
    }
    if let Some(to) = to {
        bounds = bounds.filter(Column::OccurredAt.lte(to));
    }
    let first = bounds
        .clone()
        .order_by_asc(Column::ChainSeq)
        .one(db)
        .await?;
    let last = bounds.order_by_desc(Column::ChainSeq).one(db).await?;
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(ChainVerification {
            ok: true,
            checked: 0,
            first_broken: None,
            unsealed,
        });
    };
    let (lo, hi) = (first.chain_seq.unwrap_or(0), last.chain_seq.unwrap_or(0));
    let predecessor = Entity::find()
        .filter(Column::ChainSeq.eq(lo - 1))
        .one(db)
        .await?;
    let mut expected_prev = predecessor.and_then(|p| p.chain_hash);
    let mut expected_seq = lo;
    let mut checked = 0;
    while expected_seq <= hi {
        let mut rows = Entity::find()
            .filter(Column::ChainSeq.gte(expected_seq))
            .filter(Column::ChainSeq.lte(hi))
            .order_by_asc(Column::ChainSeq)
            .limit(SEAL_BATCH)
            .all(db)
            .await?;
        if rows.is_empty() {
            break;
        }
        super::bodies::attach(db, &mut rows).await?;
        for row in rows {
            checked += 1;
            let prev = row.prev_hash.clone().unwrap_or_default();
            let linked = expected_prev.as_deref().is_none_or(|p| p == prev);
            let content = content_hash(&row);
            let intact = content == row.content_hash
                && row.chain_hash.as_deref() == Some(link(&prev, &content).as_str());
            if row.chain_seq != Some(expected_seq) || !linked || !intact {
                return Ok(ChainVerification {
                    ok: false,
                    checked,
                    first_broken: Some(row.id),
                    unsealed,
                });
            }
            expected_prev = row.chain_hash.clone();
            expected_seq += 1;
        }
    }
    Ok(ChainVerification {
        ok: true,
        checked,
        first_broken: None,
        unsealed,
    })
}
