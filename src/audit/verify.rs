//! Recomputing the chain: every record's content hash and link, the sequence without gaps, and
//! the first record anchored to the genesis or to the checkpoint the purge left.
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::chain::{GENESIS, content_hash, link};
use super::entity::{Column, Entity};

const PAGE: u64 = 1000;

/// Why a record does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Breach {
    /// The record's fields or body no longer give its content hash, or its link does not match.
    Altered,
    /// The record does not link to the record before it.
    Unlinked,
    /// A sequence number is missing: records were deleted from the middle.
    Gap,
    /// The oldest record has neither its predecessor, a checkpoint, nor the genesis before
    /// it: records were deleted from the start of the chain.
    HeadMissing,
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
    /// Why that record does not verify, or null.
    #[schema(required = true, example = json!(null))]
    pub breach: Option<Breach>,
    /// Records written but not yet sealed into the chain (the sealer runs every few seconds).
    #[schema(example = 3)]
    pub unsealed: u64,
}

/// The hash the record with sequence number `seq` must link to: its predecessor's, the
/// checkpoint's at `seq - 1`, or the genesis for the first record ever.
async fn anchor<C: ConnectionTrait>(db: &C, seq: i64) -> Result<Option<String>, DbErr> {
    if seq == 1 {
        return Ok(Some(GENESIS.to_owned()));
    }
    let before: Option<Option<String>> = Entity::find()
        .select_only()
        .column(Column::ChainHash)
        .filter(Column::ChainSeq.eq(seq - 1))
        .into_tuple()
        .one(db)
        .await?;
    if let Some(hash) = before {
        return Ok(hash);
    }
    Ok(super::seal::checkpoint_at(db, seq - 1)
        .await?
        .map(|c| c.chain_hash))
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
    let mut outcome = ChainVerification {
        ok: true,
        checked: 0,
        first_broken: None,
        breach: None,
        unsealed,
    };
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(outcome);
    };
    let (lo, hi) = (first.chain_seq.unwrap_or(0), last.chain_seq.unwrap_or(0));
    let Some(mut expected_prev) = anchor(db, lo).await? else {
        outcome.ok = false;
        outcome.first_broken = Some(first.id);
        outcome.breach = Some(Breach::HeadMissing);
        return Ok(outcome);
    };
    let mut expected_seq = lo;
    while expected_seq <= hi {
        let mut rows = Entity::find()
            .filter(Column::ChainSeq.gte(expected_seq))
            .filter(Column::ChainSeq.lte(hi))
            .order_by_asc(Column::ChainSeq)
            .limit(PAGE)
            .all(db)
            .await?;
        if rows.is_empty() {
            break;
        }
        super::bodies::attach(db, &mut rows).await?;
        for row in rows {
            outcome.checked += 1;
            let prev = row.prev_hash.clone().unwrap_or_default();
            let content = content_hash(&row);
            let breach = if row.chain_seq != Some(expected_seq) {
                Some(Breach::Gap)
            } else if prev != expected_prev {
                Some(Breach::Unlinked)
            } else if content != row.content_hash
                || row.chain_hash.as_deref() != Some(link(&prev, &content).as_str())
            {
                Some(Breach::Altered)
            } else {
                None
            };
            if breach.is_some() {
                outcome.ok = false;
                outcome.first_broken = Some(row.id);
                outcome.breach = breach;
                return Ok(outcome);
            }
            expected_prev = row.chain_hash.clone().unwrap_or_default();
            expected_seq += 1;
        }
    }
    Ok(outcome)
}
