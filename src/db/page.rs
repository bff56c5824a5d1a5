//! The one keyset paging query: rows after a key, in key order, one more than the page holds
//! (the extra row only tells that another page exists); and the rows that belong to a page's
//! rows, loaded with one query for the whole page.
use std::collections::HashMap;

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

/// The rows of `query` whose `parent` column holds one of `parents`, ordered by `order`
/// (ascending) and grouped by that parent (`parent_of` reads it back): one query for a whole
/// page instead of one per row. No parents, no query.
pub async fn children<E, C>(
    db: &C,
    query: Select<E>,
    parent: E::Column,
    parents: &[uuid::Uuid],
    parent_of: impl Fn(&E::Model) -> uuid::Uuid,
    order: E::Column,
) -> Result<HashMap<uuid::Uuid, Vec<E::Model>>, DbErr>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let mut grouped: HashMap<uuid::Uuid, Vec<E::Model>> = HashMap::new();
    if parents.is_empty() {
        return Ok(grouped);
    }
    let rows = query
        .filter(parent.is_in(parents.iter().copied()))
        .order_by_asc(order)
        .all(db)
        .await?;
    for row in rows {
        grouped.entry(parent_of(&row)).or_default().push(row);
    }
    Ok(grouped)
}
