//! The sealer and the purge, two background jobs: the sealer links committed records into the
//! chain in the order it finds them; the purge deletes sealed records past retention and
//! leaves a checkpoint (the last purged link), so verification can tell a purged head from a
//! deleted one.
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbErr, QueryOrder, QuerySelect,
    Statement,
};

use super::chain::{GENESIS, link};
use super::entity::{Column, Entity};
use crate::db;

/// The last link purged from the chain, kept so the chain's new head still has an anchor.
pub mod checkpoint {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_checkpoints")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub chain_seq: i64,
        pub chain_hash: String,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The chain's head: the newest sealed record, or the newest checkpoint once every sealed
/// record has been purged, or the genesis.
async fn head<C: ConnectionTrait>(db: &C) -> Result<(i64, String), DbErr> {
    let last: Option<(i64, Option<String>)> = Entity::find()
        .select_only()
        .column(Column::ChainSeq)
        .column(Column::ChainHash)
        .filter(Column::ChainSeq.is_not_null())
        .order_by_desc(Column::ChainSeq)
        .into_tuple()
        .one(db)
        .await?;
    if let Some((seq, hash)) = last {
        return Ok((seq, hash.unwrap_or_else(|| GENESIS.into())));
    }
    let checkpoint = checkpoint::Entity::find()
        .order_by_desc(checkpoint::Column::ChainSeq)
        .one(db)
        .await?;
    Ok(checkpoint.map_or((0, GENESIS.to_owned()), |c| (c.chain_seq, c.chain_hash)))
}

/// Links up to `batch` unsealed records in one transaction; answers how many it sealed.
pub async fn seal_batch(db: &DatabaseConnection, batch: u64) -> Result<u64, DbErr> {
    let txn = db::begin_write(db).await?;
    let (mut seq, mut prev) = head(&txn).await?;
    let rows: Vec<(i64, String)> = Entity::find()
        .select_only()
        .column(Column::Id)
        .column(Column::ContentHash)
        .filter(Column::ChainSeq.is_null())
        .order_by_asc(Column::Id)
        .limit(batch)
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

/// Deletes sealed records older than the retention period, after keeping the newest of their
/// links as a checkpoint, then the stored bodies only such records could point at; answers how
/// many records went.
pub async fn purge(db: &DatabaseConnection, retention_days: u32) -> Result<u64, DbErr> {
    let cutoff = db::now() - chrono::Duration::days(retention_days.into());
    let txn = db::begin_write(db).await?;
    let newest_purged: Option<(Option<i64>, Option<String>)> = Entity::find()
        .select_only()
        .column(Column::ChainSeq)
        .column(Column::ChainHash)
        .filter(Column::OccurredAt.lt(cutoff))
        .filter(Column::ChainSeq.is_not_null())
        .order_by_desc(Column::ChainSeq)
        .into_tuple()
        .one(&txn)
        .await?;
    let mut purged = 0;
    if let Some((Some(seq), Some(hash))) = newest_purged {
        checkpoint::Entity::insert(checkpoint::ActiveModel {
            chain_seq: Set(seq),
            chain_hash: Set(hash),
            created_at: Set(db::now()),
        })
        .on_conflict(
            OnConflict::column(checkpoint::Column::ChainSeq)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        // Only records up to the checkpoint go, so the chain stays one unbroken run.
        purged = Entity::delete_many()
            .filter(Column::ChainSeq.lte(seq))
            .exec(&txn)
            .await?
            .rows_affected;
    }
    super::bodies::purge(&txn, cutoff).await?;
    txn.commit().await?;
    Ok(purged)
}

/// The newest checkpoint at or below `seq`.
pub async fn checkpoint_at<C: ConnectionTrait>(
    db: &C,
    seq: i64,
) -> Result<Option<checkpoint::Model>, DbErr> {
    checkpoint::Entity::find_by_id(seq).one(db).await
}
