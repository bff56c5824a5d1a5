//! The one keyset paging query: rows after a key, in key order, one more than the page holds
//! (the extra row only tells that another page exists).
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
    Value,
};

/// Ascending (oldest first) or descending (newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ascending,
    Descending,
}

/// `limit + 1` rows of `query` ordered by the unique column `key`, after `after`.
pub async fn after<E, C, K>(
    db: &C,
    query: Select<E>,
    key: E::Column,
    after: Option<K>,
    limit: u64,
    direction: Direction,
) -> Result<Vec<E::Model>, DbErr>
where
    E: EntityTrait,
    C: ConnectionTrait,
    K: Into<Value>,
{
    let query = match (after, direction) {
        (Some(k), Direction::Ascending) => query.filter(key.gt(k)),
        (Some(k), Direction::Descending) => query.filter(key.lt(k)),
        (None, _) => query,
    };
    let query = match direction {
        Direction::Ascending => query.order_by_asc(key),
        Direction::Descending => query.order_by_desc(key),
    };
    query.limit(limit + 1).all(db).await
}
