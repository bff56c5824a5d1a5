//! The study jobs: ending sessions left without heartbeats, and counting the learners whose
//! face data the platform holds (a filing duty applies from 100,000).
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Statement,
};

use super::entity::session;
use crate::changes::{self, Change, Operation};
use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto::DataCipher;
use crate::metrics::Metrics;

/// Ends every open or paused session whose last heartbeat is older than
/// `study.end_after_idle_secs`; answers how many.
pub async fn end_idle(
    db: &DatabaseConnection,
    settings: &Settings,
    cipher: &DataCipher,
    clock: &Clock,
) -> Result<u64, DbErr> {
    let now = clock.now();
    let cutoff = now - chrono::Duration::seconds(settings.study.end_after_idle_secs.into());
    let stale = session::Entity::find()
        .filter(session::Column::Status.is_in(["open", "paused"]))
        .filter(session::Column::LastHeartbeatAt.lt(cutoff))
        .all(db)
        .await?;
    let mut ended = 0;
    for s in stale {
        let txn = crate::db::begin_write(db).await?;
        let done = session::Entity::update_many()
            .col_expr(
                session::Column::Status,
                sea_orm::sea_query::Expr::value("ended"),
            )
            .col_expr(
                session::Column::EndedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .col_expr(
                session::Column::EndReason,
                sea_orm::sea_query::Expr::value("idle"),
            )
            .col_expr(
                session::Column::Version,
                sea_orm::sea_query::Expr::value(s.version + 1),
            )
            .filter(session::Column::Id.eq(s.id))
            .filter(session::Column::Version.eq(s.version))
            .exec(&txn)
            .await?;
        if done.rows_affected != 1 {
            continue; // a heartbeat came meanwhile
        }
        let saved = session::Entity::find_by_id(s.id)
            .one(&txn)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound("study session".into()))?;
        let event = Change::new(
            super::service::RESOURCE,
            saved.id,
            Operation::Updated,
            saved.version,
            &super::service::to_dto(&settings.study, &saved),
        )
        .map_err(|e| DbErr::Custom(e.to_string()))?;
        changes::append(&txn, cipher, &[event]).await?;
        txn.commit().await?;
        ended += 1;
    }
    Ok(ended)
}

/// The number of people whose face data a platform may hold before it must file (requirements:
/// personal information of 100,000 people brings a filing duty).
pub const FACE_DATA_FILING_THRESHOLD: i64 = 100_000;

/// Learners whose face data the platform holds: a portrait, or a kept face capture.
pub async fn face_data_subjects<C: ConnectionTrait>(db: &C) -> Result<i64, DbErr> {
    let sql = "SELECT COUNT(*) AS n FROM (SELECT id AS learner FROM learners WHERE portrait_key IS NOT NULL \
               UNION SELECT learner_id AS learner FROM face_checks WHERE capture_key IS NOT NULL) AS held";
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0))
}

pub fn spawn(
    jobs: &mut crate::jobs::Jobs,
    db: &DatabaseConnection,
    settings: Arc<Settings>,
    cipher: Arc<DataCipher>,
    clock: Clock,
    metrics: Arc<Metrics>,
    lease_ttl: Duration,
) {
    let interval = Duration::from_secs(settings.study.sweep_secs.into());
    let (job_db, job_settings) = (db.clone(), settings.clone());
    jobs.spawn_leased("study_idle_sessions", db.clone(), lease_ttl, interval, move || {
        let (db, settings, cipher, clock) = (job_db.clone(), job_settings.clone(), cipher.clone(), clock.clone());
        async move {
            match end_idle(&db, &settings, &cipher, &clock).await {
                Ok(n) if n > 0 => tracing::info!(sessions = n, "idle study sessions ended"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error.chain = %crate::error::error_chain(&e), "ending idle study sessions failed"),
            }
            crate::jobs::Step::Idle
        }
    });
    // Every replica counts for its own /metrics.
    let count_db = db.clone();
    jobs.spawn_local("face_data_count", interval, move || {
        let (db, metrics) = (count_db.clone(), metrics.clone());
        async move {
            match face_data_subjects(&db).await {
                Ok(n) => metrics.face_data_subjects.set(n),
                Err(e) => tracing::warn!(error = %e, "counting the face data held failed"),
            }
        }
    });
}
