//! The deadline job (requirements §7): once a day, one runner across replicas gives every
//! published course the update deadline of the regulations its published version rests on
//! that took effect or were amended after that version was published (the earliest such
//! deadline), and, when `courses.suspend_overdue` is set, suspends published courses whose
//! deadline has passed. Each change bumps the course's version and goes to the change feed;
//! a suspension is kept in the course's history with the actor `system`.
use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, ExprTrait, JoinType,
    QueryFilter, QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use super::entity::{course, status_change, version};
use super::lifecycle::{bump, suspend};
use super::repo;
use super::service::to_dto;
use super::status::CourseStatus;
use crate::changes::{self, Change, Operation};
use crate::config::Settings;
use crate::crypto::DataCipher;
use crate::regulations::deadline::update_deadline;
use crate::regulations::dto::{RegulationKind, RegulationStatus};
use crate::regulations::entity::{course_regulation, regulation};

/// One regulation a published course rests on, with what the deadline needs.
type Resting = (
    Uuid,
    RegulationKind,
    NaiveDate,
    NaiveDate,
    RegulationStatus,
    Option<chrono::DateTime<Utc>>,
    Option<chrono::DateTime<Utc>>,
);

/// Whether a regulation changed under a course version published at `since`: it took effect
/// after that day and by `today`, or was amended after `since`; a repealed one never does.
fn changed_under(
    today: NaiveDate,
    since: chrono::DateTime<chrono::Utc>,
    effective_on: NaiveDate,
    amended_at: Option<chrono::DateTime<chrono::Utc>>,
    status: RegulationStatus,
) -> bool {
    let took_effect = effective_on <= today && effective_on > since.date_naive();
    let amended = amended_at.is_some_and(|at| at > since);
    status != RegulationStatus::Repealed && (took_effect || amended)
}

/// The deadline each published course is due, from the regulations that changed under it.
pub async fn due(
    db: &DatabaseConnection,
    today: NaiveDate,
) -> Result<BTreeMap<Uuid, NaiveDate>, DbErr> {
    let rows: Vec<Resting> = course::Entity::find()
        .select_only()
        .column(course::Column::Id)
        .column(regulation::Column::Kind)
        .column(regulation::Column::PublishedOn)
        .column(regulation::Column::EffectiveOn)
        .column(regulation::Column::Status)
        .column(regulation::Column::AmendedAt)
        .column(version::Column::PublishedAt)
        .join(
            JoinType::InnerJoin,
            course::Entity::belongs_to(course_regulation::Entity)
                .from(course::Column::Id)
                .to(course_regulation::Column::CourseId)
                .on_condition(|left, right| {
                    Expr::col((right, course_regulation::Column::VersionNumber))
                        .eq(Expr::col((left, course::Column::PublishedVersion)))
                        .into()
                })
                .into(),
        )
        .join(
            JoinType::InnerJoin,
            course_regulation::Entity::belongs_to(regulation::Entity)
                .from(course_regulation::Column::RegulationId)
                .to(regulation::Column::Id)
                .into(),
        )
        .join(
            JoinType::InnerJoin,
            course::Entity::belongs_to(version::Entity)
                .from(course::Column::Id)
                .to(version::Column::CourseId)
                .on_condition(|left, right| {
                    Expr::col((right, version::Column::Number))
                        .eq(Expr::col((left, course::Column::PublishedVersion)))
                        .into()
                })
                .into(),
        )
        .filter(course::Column::Status.is_in([CourseStatus::Published, CourseStatus::Suspended]))
        .into_tuple()
        .all(db)
        .await?;
    let mut due: BTreeMap<Uuid, NaiveDate> = BTreeMap::new();
    for (course, kind, published_on, effective_on, status, amended_at, version_published) in rows {
        let Some(since) = version_published else {
            continue;
        };
        if !changed_under(today, since, effective_on, amended_at, status) {
            continue;
        }
        let deadline = update_deadline(kind, published_on, effective_on);
        due.entry(course)
            .and_modify(|d| *d = Ord::min(*d, deadline))
            .or_insert(deadline);
    }
    Ok(due)
}

/// One run: sets the deadlines due and, when configured, suspends overdue courses. Answers
/// how many courses changed.
pub async fn run(
    db: &DatabaseConnection,
    settings: &Settings,
    cipher: &DataCipher,
) -> Result<usize, DbErr> {
    let today = Utc::now().date_naive();
    let mut changed = 0;
    for (id, deadline) in due(db, today).await? {
        let txn = db.begin().await?;
        let Some(c) = repo::find(&txn, &crate::auth::Scope::All, id).await? else {
            continue;
        };
        if c.update_deadline.is_some_and(|d| d <= deadline) {
            continue;
        }
        let updated = match bump(&txn, &c, |row| row.update_deadline = Set(Some(deadline))).await {
            Ok(updated) => updated,
            // Changed meanwhile: the next run sees it as it is now.
            Err(DbErr::RecordNotUpdated) => continue,
            Err(e) => return Err(e),
        };
        emit(&txn, cipher, updated, None).await?;
        txn.commit().await?;
        changed += 1;
    }
    if settings.courses.suspend_overdue {
        let overdue: Vec<Uuid> = course::Entity::find()
            .select_only()
            .column(course::Column::Id)
            .filter(course::Column::Status.eq(CourseStatus::Published))
            .filter(course::Column::UpdateDeadline.lt(today))
            .into_tuple()
            .all(db)
            .await?;
        for id in overdue {
            let txn = db.begin().await?;
            let Some(c) = repo::find(&txn, &crate::auth::Scope::All, id).await? else {
                continue;
            };
            if c.status != CourseStatus::Published {
                continue;
            }
            let reason = format!(
                "the update deadline {} has passed",
                c.update_deadline.map(|d| d.to_string()).unwrap_or_default()
            );
            let (updated, step) = match suspend(&txn, &c, reason, "deadline_job", "system").await {
                Ok(done) => done,
                Err(DbErr::RecordNotUpdated) => continue,
                Err(e) => return Err(e),
            };
            emit(&txn, cipher, updated, Some(step)).await?;
            txn.commit().await?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// Writes the change events of a course the job changed.
async fn emit<C: sea_orm::ConnectionTrait>(
    txn: &C,
    cipher: &DataCipher,
    c: course::Model,
    step: Option<status_change::Model>,
) -> Result<(), DbErr> {
    let v = repo::version(txn, c.id, c.current_version)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("course version".into()))?;
    let course = to_dto(c, &v).map_err(|e| DbErr::Custom(e.to_string()))?;
    let json = |e: serde_json::Error| DbErr::Custom(e.to_string());
    let mut events = vec![
        Change::new(
            super::service::RESOURCE,
            course.value.id,
            Operation::Updated,
            course.version,
            &course.value,
        )
        .map_err(json)?,
    ];
    if let Some(step) = step {
        let id = step.id;
        events.push(
            Change::new(
                super::lifecycle::STATUS_RESOURCE,
                id,
                Operation::Created,
                1,
                &super::lifecycle::to_status_change(step),
            )
            .map_err(json)?,
        );
    }
    changes::append(txn, cipher, &events).await
}

/// Starts the deadline job.
pub fn spawn(
    jobs: &mut crate::jobs::Jobs,
    db: &DatabaseConnection,
    settings: Arc<Settings>,
    cipher: Arc<DataCipher>,
    lease_ttl: std::time::Duration,
) {
    let job_db = db.clone();
    let interval = std::time::Duration::from_secs(settings.courses.deadline_check_secs);
    jobs.spawn_leased("course_deadlines", db.clone(), lease_ttl, interval, move || {
        let (db, settings, cipher) = (job_db.clone(), settings.clone(), cipher.clone());
        async move {
            match run(&db, &settings, &cipher).await {
                Ok(n) if n > 0 => tracing::info!(courses = n, "course deadlines updated"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error.chain = %crate::error::error_chain(&e), "the course deadline job failed"),
            }
            crate::jobs::Step::Idle
        }
    });
}

#[cfg(test)]
mod changed_under_tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_regulation_changes_under_a_version_when_it_takes_effect_or_is_amended_after_it() {
        let since = at("2026-03-01T08:00:00Z");
        let today = day("2026-06-01");
        let active = RegulationStatus::InForce;
        // Took effect after publication and by today.
        assert!(changed_under(today, since, day("2026-05-01"), None, active));
        assert!(
            changed_under(today, since, day("2026-06-01"), None, active),
            "today itself"
        );
        assert!(changed_under(today, since, day("2026-03-02"), None, active));
        // Not yet in force, or in force already when the version was published.
        assert!(!changed_under(
            today,
            since,
            day("2026-06-02"),
            None,
            active
        ));
        assert!(
            !changed_under(today, since, day("2026-03-01"), None, active),
            "the publication day"
        );
        assert!(!changed_under(
            today,
            since,
            day("2025-01-01"),
            None,
            active
        ));
        // Amended after publication, whatever its effective date; amended before: no.
        assert!(changed_under(
            today,
            since,
            day("2025-01-01"),
            Some(at("2026-03-01T08:00:01Z")),
            active
        ));
        assert!(!changed_under(
            today,
            since,
            day("2025-01-01"),
            Some(since),
            active
        ));
        assert!(!changed_under(
            today,
            since,
            day("2025-01-01"),
            Some(at("2026-02-01T00:00:00Z")),
            active
        ));
        // Repealed: never.
        assert!(!changed_under(
            today,
            since,
            day("2026-05-01"),
            Some(at("2026-05-01T00:00:00Z")),
            RegulationStatus::Repealed
        ));
    }
}
