//! The sealer and the purge, two background jobs: the sealer links committed records into the
//! chain in the order it finds them; the purge deletes sealed records past retention and
//! leaves a checkpoint (the last purged link), so verification can tell a purged head from a
//! deleted one.
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbErr, QueryOrder, QuerySelect,
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
/// every one still was.
async fn write_links<C: ConnectionTrait>(
    txn: &C,
    links: &[(i64, i64, String, String)],
) -> Result<bool, DbErr> {
    let rows = links
        .iter()
        .map(|(id, seq, prev, hash)| {
            vec![
                (*id).into(),
                (*seq).into(),
                prev.clone().into(),
                hash.clone().into(),
            ]
        })
        .collect();
    db::bulk::assign(
        txn,
        "audit_logs",
        ("id", "bigint"),
        "chain_seq",
        &[
            ("chain_seq", "bigint"),
            ("prev_hash", "text"),
            ("chain_hash", "text"),
        ],
        rows,
    )
    .await
}

/// Records one purge transaction deletes at most, so a first purge of a long log never holds
/// the write lock (SQLite) or one transaction (PostgreSQL) for long.
pub const PURGE_CHUNK: i64 = 10_000;

/// Deletes the oldest sealed records past the retention period, at most `chunk` of them, after keeping the newest of their links as a checkpoint; once no such record is left,
/// the stored bodies only purged records could point at. Answers how many records went and
/// whether more wait.
pub async fn purge(
    db: &DatabaseConnection,
    retention_days: u32,
    chunk: i64,
) -> Result<(u64, bool), DbErr> {
    let cutoff = db::now() - chrono::Duration::days(retention_days.into());
    let txn = db::begin_write(db).await?;
    let newest: Option<Option<i64>> = Entity::find()
        .select_only()
        .column(Column::ChainSeq)
        .filter(Column::OccurredAt.lt(cutoff))
        .filter(Column::ChainSeq.is_not_null())
        .order_by_desc(Column::ChainSeq)
        .into_tuple()
        .one(&txn)
        .await?;
    let Some(Some(newest)) = newest else {
        super::bodies::purge(&txn, cutoff).await?;
        txn.commit().await?;
        return Ok((0, false));
    };
    let oldest: Option<Option<i64>> = Entity::find()
        .select_only()
        .column(Column::ChainSeq)
        .filter(Column::ChainSeq.is_not_null())
        .order_by_asc(Column::ChainSeq)
        .into_tuple()
        .one(&txn)
        .await?;
    let bound = newest.min(oldest.flatten().unwrap_or(newest) + chunk.max(1) - 1);
    let link: Option<Option<String>> = Entity::find()
        .select_only()
        .column(Column::ChainHash)
        .filter(Column::ChainSeq.eq(bound))
        .into_tuple()
        .one(&txn)
        .await?;
    if let Some(Some(hash)) = link {
        checkpoint::Entity::insert(checkpoint::ActiveModel {
            chain_seq: Set(bound),
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
    }
    // Only records up to the checkpoint go, so the chain stays one unbroken run.
    let purged = Entity::delete_many()
        .filter(Column::ChainSeq.lte(bound))
        .exec(&txn)
        .await?
        .rows_affected;
    let more = bound < newest;
    if !more {
        super::bodies::purge(&txn, cutoff).await?;
    }
    txn.commit().await?;
    Ok((purged, more))
}

/// The newest checkpoint at or below `seq`.
pub async fn checkpoint_at<C: ConnectionTrait>(
    db: &C,
    seq: i64,
) -> Result<Option<checkpoint::Model>, DbErr> {
    checkpoint::Entity::find_by_id(seq).one(db).await
}
