//! Public answers cached per scope version. A scope (one city's registry, say) has a version in
//! the database, bumped in the transaction of every write that changes what it shows
//! ([`super::WriteTx::invalidate`]). A replica serves a cached answer while the version it last
//! read is current; it reads the version again at most every `http.answer_cache_check_ms`
//! (its own writes drop their scopes at once), so another replica's change shows within that
//! time. An answer is serialised once and served as it is; the audit log stores it once.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use sea_orm::sea_query::{Alias, Expr, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr, ExprTrait};

/// Answers kept per scope before the scope is emptied (cursors are many, pages few).
const MAX_PER_SCOPE: usize = 512;

/// A serialised answer and the cursor of the page after it.
pub struct Answer {
    pub body: Bytes,
    pub next_cursor: Option<String>,
}

struct Scope {
    version: i64,
    checked: Option<Instant>,
    answers: HashMap<String, Arc<Answer>>,
}

pub struct AnswerCache {
    check_every: Duration,
    scopes: Mutex<HashMap<String, Scope>>,
}

fn table() -> Alias {
    Alias::new("cache_versions")
}

/// The version of `scope` the database holds (0 before any write).
pub async fn version<C: ConnectionTrait>(db: &C, scope: &str) -> Result<i64, DbErr> {
    let select = Query::select()
        .column(Alias::new("version"))
        .from(table())
        .and_where(Expr::col(Alias::new("scope")).eq(scope))
        .to_owned();
    match db.query_one(&select).await? {
        Some(row) => row.try_get("", "version"),
        None => Ok(0),
    }
}

/// Bumps the version of `scope` (in the caller's transaction).
pub(super) async fn bump<C: ConnectionTrait>(db: &C, scope: &str) -> Result<(), DbErr> {
    let upsert = Query::insert()
        .into_table(table())
        .columns([Alias::new("scope"), Alias::new("version")])
        .values_panic([scope.into(), 1i64.into()])
        .on_conflict(
            OnConflict::column(Alias::new("scope"))
                .value(
                    Alias::new("version"),
                    Expr::col((table(), Alias::new("version"))).add(1),
                )
                .to_owned(),
        )
        .to_owned();
    db.execute(&upsert).await.map(|_| ())
}

impl AnswerCache {
    pub fn new(check_every: Duration) -> Self {
        Self {
            check_every,
            scopes: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Scope>> {
        self.scopes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The scope's current version and, if cached under it, the answer for `key`.
    pub async fn get<C: ConnectionTrait>(
        &self,
        db: &C,
        scope: &str,
        key: &str,
    ) -> Result<(i64, Option<Arc<Answer>>), DbErr> {
        {
            let scopes = self.lock();
            if let Some(s) = scopes.get(scope)
                && s.checked.is_some_and(|t| t.elapsed() < self.check_every)
            {
                return Ok((s.version, s.answers.get(key).cloned()));
            }
        }
        let current = version(db, scope).await?;
        let mut scopes = self.lock();
        let s = scopes.entry(scope.to_owned()).or_insert_with(|| Scope {
            version: current,
            checked: None,
            answers: HashMap::new(),
        });
        // Forward only: a read that began before a write committed must not take the scope
        // back to the version before it.
        if current > s.version {
            s.version = current;
            s.answers.clear();
        }
        s.checked = Some(Instant::now());
        Ok((current, s.answers.get(key).cloned()))
    }

    /// Keeps `answer` for `key` if `version` is still the scope's current one.
    pub fn put(&self, scope: &str, key: &str, version: i64, answer: Arc<Answer>) {
        let mut scopes = self.lock();
        if let Some(s) = scopes.get_mut(scope)
            && s.version == version
        {
            if s.answers.len() >= MAX_PER_SCOPE {
                s.answers.clear();
            }
            s.answers.insert(key.to_owned(), answer);
        }
    }

    /// Drops a scope this process has just changed, so its next read checks the database.
    pub fn forget(&self, scope: &str) {
        self.lock().remove(scope);
    }
}
