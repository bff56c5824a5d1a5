//! The review path of a course: the two reviews, the status moves they allow, publication, and
//! the lifecycle history.
use sea_orm::{ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter};
use uuid::Uuid;

use super::dto::*;
use super::entity::{course, review, status_change, version};
use super::repo;
use super::service::{self, Readers, emit, find, json, parse, to_dto, version_of};
use super::status::{CourseStatus, Move, Refusal, ReviewStatus, plan};
use crate::auth::{Role, Scope};
use crate::changes::Operation;
use crate::config::ScreeningAction;
use crate::context::{Cx, WriteTx};
use crate::db;
use crate::error::{AppError, AppResult, Code};
use crate::http::etag::Versioned;
use crate::http::pagination::{Cursor, Limit, Page};

pub const STATUS_RESOURCE: &str = "course_status_change";
pub const REVIEW_RESOURCE: &str = "course_review";

crate::policy!(/// Who may ask for a lifecycle move (each move names its own roles).
    Movers = &[Role::InstitutionAdmin, Role::PlatformOperator, Role::ProvinceAdmin, Role::CityAdmin]);
crate::policy!(/// Who reviews: the institution's admin (first), a platform operator (second).
    Reviewers = &[Role::InstitutionAdmin, Role::PlatformOperator]);

pub fn to_status_change(m: status_change::Model) -> CourseStatusChange {
    CourseStatusChange {
        id: m.id,
        course_id: m.course_id,
        version_number: m.version_number,
        from_status: m.from_status,
        to_status: m.to_status,
        reason: m.reason,
        actor_subject: m.actor_subject,
        actor_role: m.actor_role,
        occurred_at: m.occurred_at,
    }
}

fn to_review(m: review::Model) -> AppResult<Review> {
    Ok(Review {
        id: m.id,
        course_id: m.course_id,
        version_number: m.version_number,
        level: m.level,
        items: parse(&m.items)?,
        passed: m.passed,
        reviewer_subject: m.reviewer_subject,
        reviewer_role: m.reviewer_role,
        created_at: m.created_at,
    })
}

/// The items of `level` not passed by the newest review of that level of version `number`.
async fn missing(
    db: &impl sea_orm::ConnectionTrait,
    course: Uuid,
    number: i32,
    level: ReviewLevel,
) -> AppResult<Vec<&'static str>> {
    let newest = repo::reviews(db, course, Some(number))
        .await?
        .into_iter()
        .rev()
        .find(|r| r.level == level);
    let Some(newest) = newest else {
        return Ok(ReviewItemName::ALL.map(ReviewItemName::as_str).to_vec());
    };
    let items: ReviewItems = parse(&newest.items)?;
    Ok(items
        .each()
        .into_iter()
        .filter(|(_, verdict)| !verdict.passed())
        .map(|(name, _)| name.as_str())
        .collect())
}

async fn require_passed(
    db: &impl sea_orm::ConnectionTrait,
    course: Uuid,
    number: i32,
    levels: &[ReviewLevel],
) -> AppResult<()> {
    let mut gaps = Vec::new();
    for level in levels {
        let items = missing(db, course, number, *level).await?;
        if !items.is_empty() {
            let name = match level {
                ReviewLevel::Institution => "institution",
                ReviewLevel::Platform => "platform",
            };
            gaps.push(format!("{name} review: {}", items.join(", ")));
        }
    }
    if gaps.is_empty() {
        Ok(())
    } else {
        Err(AppError::new(
            Code::ReviewIncomplete,
            format!("not passed yet — {}", gaps.join("; ")),
        ))
    }
}

/// What a submission needs: courseware with files, hours that agree with the videos, and
/// texts that pass screening (or are flagged for the reviewers, as configured).
async fn check_submission(
    cx: &Cx<Movers>,
    tx: &WriteTx<'_>,
    v: &version::Model,
) -> AppResult<Option<String>> {
    let pieces = repo::courseware_of(tx.conn(), v.course_id, v.number).await?;
    if pieces.is_empty() {
        return Err(AppError::new(
            Code::CoursewareIncomplete,
            "the course has no courseware",
        ));
    }
    if let Some(p) = pieces.iter().find(|p| p.file_key.is_none()) {
        return Err(AppError::new(
            Code::CoursewareIncomplete,
            format!("the courseware “{}” has no file yet", p.title),
        ));
    }
    let settings = &cx.svc.settings.courses;
    let mut video_ms = 0u64;
    for p in &pieces {
        if let Some(facts) = &p.video_facts {
            let facts: crate::media::video::VideoFacts = parse(facts)?;
            video_ms += facts.duration_ms;
        }
    }
    hours_agree(
        v.hours_tenths as u32,
        settings.minutes_per_hour,
        settings.hours_tolerance_minutes,
        video_ms,
    )
    .map_err(|detail| AppError::new(Code::HoursMismatch, detail))?;
    let mut texts = vec![
        ("title".to_owned(), v.title.as_str()),
        ("description".to_owned(), v.description.as_str()),
    ];
    for p in &pieces {
        texts.push((format!("courseware[{}].title", p.id), p.title.as_str()));
    }
    let screener = cx.data::<crate::screening::Screener>()?;
    let hits = service::screen(tx.conn(), &screener, &texts).await?;
    if hits.is_empty() {
        return Ok(None);
    }
    match settings.screening {
        ScreeningAction::Block => Err(AppError::new(
            Code::ScreeningHit,
            format!("the filing contains {} prohibited term(s)", hits.len()),
        )
        .with_errors(hits)),
        ScreeningAction::Review => Ok(Some(json(&hits)?)),
    }
}

#[tracing::instrument(skip_all, fields(course = %id, to = %body.status))]
pub async fn change_status(
    cx: &Cx<Movers>,
    id: Uuid,
    body: CourseStatusRequest,
) -> AppResult<Versioned<Course>> {
    let mut tx = cx.begin().await?;
    let c = find(tx.conn(), &cx.audit, &cx.actor, id).await?;
    let v = version_of(tx.conn(), id, c.current_version).await?;
    let step =
        plan(c.status, v.review_status, body.status, cx.actor.role).map_err(|r| match r {
            Refusal::Illegal(text) => AppError::new(Code::IllegalTransition, text),
            Refusal::Role(text) => AppError::new(Code::RoleNotAllowed, text),
        })?;
    if cx.actor.role == Role::InstitutionAdmin {
        crate::institutions::service::acting_for(tx.conn(), &cx.actor, c.institution_id, "courses")
            .await?;
    }
    let now = db::now();
    let mut version_row = v.clone().into_active_model();
    let (course_status, published): (CourseStatus, Option<(i32, Option<i32>)>) = match step {
        Move::Review(to) => {
            match to {
                ReviewStatus::Submitted => {
                    version_row.screening_hits = Set(check_submission(cx, &tx, &v).await?);
                }
                ReviewStatus::InstitutionApproved => {
                    require_passed(tx.conn(), id, v.number, &[ReviewLevel::Institution]).await?;
                }
                ReviewStatus::PlatformApproved => {
                    require_passed(tx.conn(), id, v.number, &[ReviewLevel::Platform]).await?;
                }
                _ => {}
            }
            version_row.review_status = Set(to);
            let status = if c.published_version.is_some() {
                c.status
            } else {
                CourseStatus::of_review(to)
            };
            (status, None)
        }
        Move::Publish => {
            require_passed(
                tx.conn(),
                id,
                v.number,
                &[ReviewLevel::Institution, ReviewLevel::Platform],
            )
            .await?;
            version_row.review_status = Set(ReviewStatus::Published);
            version_row.published_at = Set(Some(now));
            (
                CourseStatus::Published,
                Some((v.number, c.published_version)),
            )
        }
        Move::Suspend => (CourseStatus::Suspended, None),
        Move::Reinstate => (CourseStatus::Published, None),
        Move::Retire => (CourseStatus::Retired, None),
    };
    let v = repo::update_version(tx.conn(), version_row).await?;
    if let Some((_, Some(old))) = published
        && old != v.number
    {
        let mut old_row = version_of(tx.conn(), id, old).await?.into_active_model();
        old_row.review_status = Set(ReviewStatus::Superseded);
        repo::update_version(tx.conn(), old_row).await?;
    }
    let mut row = course::ActiveModel {
        status: Set(course_status),
        version: Set(c.version + 1),
        updated_at: Set(now),
        ..Default::default()
    };
    if let Some((number, _)) = published {
        row.published_version = Set(Some(number));
        // A publication that passed review clears a regulation's update deadline.
        row.update_deadline = Set(None);
        if c.published_at.is_none() {
            row.published_at = Set(Some(now));
        }
    }
    if !repo::update_if_version(tx.conn(), id, row, c.version).await? {
        return Err(AppError::new(
            Code::ConcurrentChange,
            "the course changed meanwhile; retry",
        ));
    }
    let updated = repo::find(tx.conn(), &Scope::All, id)
        .await?
        .ok_or_else(|| AppError::bug("a course vanished inside its transaction"))?;
    let step = repo::insert_status_change(
        tx.conn(),
        status_change::ActiveModel {
            id: Set(Uuid::now_v7()),
            course_id: Set(id),
            version_number: Set(v.number),
            from_status: Set(Some(c.status)),
            to_status: Set(body.status),
            reason: Set(body.reason.to_string()),
            actor_subject: Set(cx.actor.subject.clone()),
            actor_role: Set(cx.actor.role.as_str().to_owned()),
            occurred_at: Set(now),
        },
    )
    .await?;
    let answer = to_dto(updated, &v)?;
    emit(&mut tx, &answer, Operation::Updated)?;
    tx.changed(
        STATUS_RESOURCE,
        step.id,
        Operation::Created,
        1,
        &to_status_change(step),
    )?;
    tx.commit(200, &answer.value).await?;
    Ok(answer)
}

#[tracing::instrument(skip_all, fields(course = %id))]
pub async fn status_history(
    cx: &Cx<Readers>,
    id: Uuid,
    q: &PageQuery,
) -> AppResult<Page<CourseStatusChange>> {
    find(cx.db.get_ref(), &cx.audit, &cx.actor, id).await?;
    let limit = Limit::of(q.limit);
    let rows = repo::status_changes(cx.db.get_ref(), id, Cursor::key(&q.cursor)?, limit).await?;
    Ok(Page::from_rows(rows, limit, |m| m.id, to_status_change))
}

/// Fails, saying by how much, unless `tenths` tenths of a 学时 and `video_ms` of video are
/// within `tolerance_minutes` of each other (the tolerance itself included).
fn hours_agree(
    tenths: u32,
    minutes_per_hour: u32,
    tolerance_minutes: u32,
    video_ms: u64,
) -> Result<(), String> {
    let hours_ms = u64::from(tenths) * u64::from(minutes_per_hour) * 6_000;
    let tolerance_ms = u64::from(tolerance_minutes) * 60_000;
    if hours_ms.abs_diff(video_ms) > tolerance_ms {
        return Err(format!(
            "{} 学时 is {:.1} minutes, the videos last {:.1} minutes: {:.1} minutes apart, more than the {tolerance_minutes} allowed",
            Hours::from_tenths(tenths),
            hours_ms as f64 / 60_000.0,
            video_ms as f64 / 60_000.0,
            hours_ms.abs_diff(video_ms) as f64 / 60_000.0,
        ));
    }
    Ok(())
}

/// Whether every video of the version passed the automatic check of `item`.
async fn automatic(
    db: &impl sea_orm::ConnectionTrait,
    v: &version::Model,
    item: ReviewItemName,
) -> AppResult<bool> {
    for piece in repo::courseware_of(db, v.course_id, v.number).await? {
        let check = match item {
            ReviewItemName::VideoFormat => piece.format_check,
            ReviewItemName::VideoQuality => piece.quality_check,
            _ => return Ok(true),
        };
        if let Some(check) = check {
            let check: crate::media::video::CheckResult = parse(&check)?;
            if !check.passed {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

#[tracing::instrument(skip_all, fields(course = %id))]
pub async fn review(cx: &Cx<Reviewers>, id: Uuid, body: ReviewCreate) -> AppResult<Review> {
    let tx = cx.begin().await?;
    let c = find(tx.conn(), &cx.audit, &cx.actor, id).await?;
    let (level_role, due) = match body.level {
        ReviewLevel::Institution => (Role::InstitutionAdmin, ReviewStatus::Submitted),
        ReviewLevel::Platform => (Role::PlatformOperator, ReviewStatus::InstitutionApproved),
    };
    if cx.actor.role != level_role {
        return Err(AppError::new(
            Code::RoleNotAllowed,
            format!(
                "the {} role may not make a review of this level",
                cx.actor.role.as_str()
            ),
        ));
    }
    let v = version_of(tx.conn(), id, c.current_version).await?;
    if v.review_status != due {
        return Err(AppError::new(
            Code::IllegalTransition,
            format!(
                "the current version is not awaiting this level's review (it is {})",
                serde_json::to_value(v.review_status)
                    .map_err(AppError::internal)?
                    .as_str()
                    .unwrap_or("?")
            ),
        ));
    }
    for (item, verdict) in body.items.each() {
        if verdict.passed() && !automatic(tx.conn(), &v, item).await? {
            return Err(AppError::new(
                Code::AutomaticCheckFailed,
                format!(
                    "the automatic {} check failed for a video of this version; it cannot pass",
                    item.as_str()
                ),
            ));
        }
    }
    let passed = body
        .items
        .each()
        .iter()
        .all(|(_, verdict)| verdict.passed());
    let row = repo::insert_review(
        tx.conn(),
        review::ActiveModel {
            id: Set(Uuid::now_v7()),
            course_id: Set(id),
            version_number: Set(v.number),
            level: Set(body.level),
            items: Set(json(&body.items)?),
            passed: Set(passed),
            reviewer_subject: Set(cx.actor.subject.clone()),
            reviewer_role: Set(cx.actor.role.as_str().to_owned()),
            created_at: Set(db::now()),
        },
    )
    .await?;
    let answer = to_review(row)?;
    let mut tx = tx;
    tx.changed(REVIEW_RESOURCE, answer.id, Operation::Created, 1, &answer)?;
    tx.commit(201, &answer).await?;
    Ok(answer)
}

#[tracing::instrument(skip_all, fields(course = %id))]
pub async fn reviews(cx: &Cx<Readers>, id: Uuid) -> AppResult<Vec<Review>> {
    let db = cx.db.get_ref();
    find(db, &cx.audit, &cx.actor, id).await?;
    repo::reviews(db, id, None)
        .await?
        .into_iter()
        .map(to_review)
        .collect()
}

/// Applies `change` to a course with its version bumped; answers the course as stored.
pub(super) async fn bump<C: sea_orm::ConnectionTrait>(
    txn: &C,
    c: &course::Model,
    change: impl FnOnce(&mut course::ActiveModel),
) -> Result<course::Model, DbErr> {
    let mut row = course::ActiveModel {
        version: Set(c.version + 1),
        updated_at: Set(db::now()),
        ..Default::default()
    };
    change(&mut row);
    let done = course::Entity::update_many()
        .set(row)
        .filter(course::Column::Id.eq(c.id))
        .filter(course::Column::Version.eq(c.version))
        .exec(txn)
        .await?;
    if done.rows_affected == 0 {
        // Changed meanwhile: nothing was written.
        return Err(DbErr::RecordNotUpdated);
    }
    repo::find(txn, &crate::auth::Scope::All, c.id)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("course".into()))
}

/// Suspends a published course for someone other than a lifecycle request (the deadline job,
/// a low-satisfaction takedown), with its history step; answers both as stored.
pub async fn suspend<C: sea_orm::ConnectionTrait>(
    txn: &C,
    c: &course::Model,
    reason: String,
    subject: &str,
    role: &str,
) -> Result<(course::Model, status_change::Model), DbErr> {
    let updated = bump(txn, c, |row| row.status = Set(CourseStatus::Suspended)).await?;
    let step = repo::insert_status_change(
        txn,
        status_change::ActiveModel {
            id: Set(Uuid::now_v7()),
            course_id: Set(c.id),
            version_number: Set(updated.published_version.unwrap_or(updated.current_version)),
            from_status: Set(Some(c.status)),
            to_status: Set(CourseStatus::Suspended),
            reason: Set(reason),
            actor_subject: Set(subject.to_owned()),
            actor_role: Set(role.to_owned()),
            occurred_at: Set(db::now()),
        },
    )
    .await?;
    Ok((updated, step))
}

#[cfg(test)]
mod tests {
    use super::hours_agree;

    #[test]
    fn hours_and_videos_agree_within_the_tolerance_itself_included() {
        // 0.4 学时 of 45 minutes = 18 minutes = 1,080,000 ms.
        assert!(
            hours_agree(4, 45, 2, 1_200_000).is_ok(),
            "exactly 2 minutes apart"
        );
        assert!(hours_agree(4, 45, 2, 960_000).is_ok(), "2 minutes short");
        let e = hours_agree(4, 45, 2, 1_200_001).unwrap_err();
        assert!(e.starts_with("0.4 学时 is 18.0 minutes, the videos last 20.0 minutes: 2.0 minutes apart, more than the 2 allowed"), "{e}");
        assert!(hours_agree(4, 45, 2, 959_999).is_err());
        assert!(
            hours_agree(10, 60, 0, 3_600_000).is_ok(),
            "minutes per hour configurable"
        );
        assert!(hours_agree(10, 45, 0, 3_600_000).is_err());
    }
}
