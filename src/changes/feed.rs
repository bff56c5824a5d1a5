//! Reading the feed: positioned events after a position, in position order.
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::entity::{Column, Entity, Model};

/// A read after a position the feed has not handed out yet.
#[derive(Debug)]
pub struct BeyondEnd {
    pub last: i64,
}

/// A page of the feed and where the next read starts.
pub struct FeedPage {
    pub events: Vec<Model>,
    /// The position to read after next: the last event's, or, when fewer than a page
    /// matched, the last position handed out (so filtered-out events are not read again).
    pub next_after: i64,
}

/// Up to `limit` events after `after` (of `types`, when given).
pub async fn read<C: ConnectionTrait>(
    db: &C,
    after: i64,
    limit: u64,
    types: &[String],
) -> Result<Result<FeedPage, BeyondEnd>, DbErr> {
    // The highest position first, then the page bounded by it: positions are handed out in
    // committed batches, so every position up to it is visible to the second query too.
    let high: Option<Option<i64>> = Entity::find()
        .select_only()
        .column(Column::Position)
        .filter(Column::Position.is_not_null())
        .order_by_desc(Column::Position)
        .into_tuple()
        .one(db)
        .await?;
    let high = high.flatten().unwrap_or(0);
    if after > high {
        return Ok(Err(BeyondEnd { last: high }));
    }
    let mut query = Entity::find()
        .filter(Column::Position.gt(after))
        .filter(Column::Position.lte(high));
    if !types.is_empty() {
        query = query.filter(Column::ResourceType.is_in(types.iter().cloned()));
    }
    let events = query
        .order_by_asc(Column::Position)
        .limit(limit)
        .all(db)
        .await?;
    let next_after = match events.last() {
        Some(last) if events.len() as u64 == limit => last.position.unwrap_or(after),
        _ => high,
    };
    Ok(Ok(FeedPage { events, next_after }))
}
