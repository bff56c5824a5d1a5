//! Large audit bodies, stored once each under their SHA-256. A record keeps a body of up to
//! [`INLINE_MAX`] bytes in its own row and points at a larger one, so a public page read over
//! and over costs one stored body, not one copy per read. The content hash of a record is
//! computed over the body text wherever it is kept, so verification covers these rows too.
use std::collections::{BTreeMap, HashMap};

use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, QueryFilter};
use sha2::{Digest, Sha256};

use super::entity as record;

/// Bodies longer than this many bytes are stored by reference.
pub const INLINE_MAX: usize = 2048;
/// A body's `used_at` is refreshed when it is reused after this long.
const TOUCH_AFTER_HOURS: i64 = 24;
/// How long the batch writer skips sending a body it has stored itself.
const RECENT_KEEP: std::time::Duration = std::time::Duration::from_secs(3600);
const RECENT_MAX: usize = 4096;
/// A body still pointed at by a record within retention was used at most this long before
/// that record: a day before the last refresh, plus an hour skipped by [`Recent`], rounded up.
const PURGE_MARGIN_HOURS: i64 = 48;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_bodies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub sha256: String,
    pub body: String,
    pub used_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Bodies to store before the records that point at them, keyed by SHA-256.
#[derive(Default)]
pub struct Detached(BTreeMap<String, String>);

impl Detached {
    /// Moves a large body out of `text` into this set and answers its SHA-256.
    pub fn take(&mut self, text: &mut Option<String>) -> Option<String> {
        if text.as_ref().is_none_or(|t| t.len() <= INLINE_MAX) {
            return None;
        }
        let body = text.take()?;
        let sha = hex::encode(Sha256::digest(body.as_bytes()));
        self.0.entry(sha.clone()).or_insert(body);
        Some(sha)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter()
    }

    pub async fn store<C: ConnectionTrait>(&self, db: &C) -> Result<(), DbErr> {
        store(db, self.iter()).await
    }
}

/// Stores the bodies not stored yet, each once (in hash order, so concurrent writers lock rows
/// in the same order), and refreshes `used_at` of those last used over a day ago.
pub async fn store<'a, C: ConnectionTrait>(
    db: &C,
    bodies: impl Iterator<Item = (&'a String, &'a String)>,
) -> Result<(), DbErr> {
    let unique: BTreeMap<&String, &String> = bodies.collect();
    if unique.is_empty() {
        return Ok(());
    }
    let now = crate::db::now();
    let stale = now - chrono::Duration::hours(TOUCH_AFTER_HOURS);
    let rows = unique.into_iter().map(|(sha, body)| ActiveModel {
        sha256: Set(sha.clone()),
        body: Set(body.clone()),
        used_at: Set(now),
    });
    Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(Column::Sha256)
                .update_column(Column::UsedAt)
                .action_and_where(Column::UsedAt.lt(stale))
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// Puts the referenced bodies back into `rows`. A body that is missing stays absent, which
/// verification reports as a broken record.
pub async fn attach<C: ConnectionTrait>(db: &C, rows: &mut [record::Model]) -> Result<(), DbErr> {
    let wanted: Vec<String> = rows
        .iter()
        .flat_map(|r| [&r.request_body_sha256, &r.response_body_sha256])
        .flatten()
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let mut found: HashMap<String, String> = HashMap::with_capacity(wanted.len());
    for chunk in wanted.chunks(500) {
        for body in Entity::find()
            .filter(Column::Sha256.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            found.insert(body.sha256, body.body);
        }
    }
    for row in rows {
        if let Some(sha) = &row.request_body_sha256 {
            row.request_body = found.get(sha).cloned();
        }
        if let Some(sha) = &row.response_body_sha256 {
            row.response_body = found.get(sha).cloned();
        }
    }
    Ok(())
}

/// Deletes bodies no record within retention can point at: writing a record refreshes its
/// body's `used_at` (at most a day and an hour late), so a body unused for longer than
/// retention plus [`PURGE_MARGIN_HOURS`] belongs only to purged records.
pub async fn purge<C: ConnectionTrait>(
    db: &C,
    cutoff: chrono::DateTime<chrono::Utc>,
) -> Result<u64, DbErr> {
    let res = Entity::delete_many()
        .filter(Column::UsedAt.lt(cutoff - chrono::Duration::hours(PURGE_MARGIN_HOURS)))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// The bodies one batch writer stored lately. A public page read a thousand times a second
/// is then sent to the database once an hour, not with every batch.
#[derive(Default)]
pub struct Recent(HashMap<String, std::time::Instant>);

impl Recent {
    pub fn is_fresh(&self, sha: &str) -> bool {
        self.0.get(sha).is_some_and(|at| at.elapsed() < RECENT_KEEP)
    }

    pub fn remember<'a>(&mut self, shas: impl Iterator<Item = &'a String>) {
        if self.0.len() >= RECENT_MAX {
            self.0.retain(|_, at| at.elapsed() < RECENT_KEEP);
            if self.0.len() >= RECENT_MAX {
                self.0.clear();
            }
        }
        let now = std::time::Instant::now();
        for sha in shas {
            self.0.entry(sha.clone()).or_insert(now);
        }
    }
}
