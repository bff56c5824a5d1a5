//! Rating rules: a learner rates a course version they studied, once; a comment with a listed
//! term is held for a platform operator; a version whose overall average falls below the
//! configured threshold (with enough ratings) is flagged, and a platform operator takes the
//! course down for update or dismisses the flag. Nothing here ranks institutions.
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::dto::*;
use super::entity::{evidence, flag, rating};
use crate::auth::Role;
use crate::changes::Operation;
use crate::context::{Cx, WriteTx};
use crate::courses::entity::course;
use crate::courses::status::CourseStatus;
use crate::courses::{lifecycle, service as courses};
use crate::db;
use crate::db::constraint::Unique;
use crate::db::page::{self, Direction};
use crate::error::{AppError, AppResult, Code, FieldError};
use crate::http::pagination::{Cursor, Limit, Page};

/// The resource types of this module, in audit records and change events.
pub const RATING: &str = "course_rating";
pub const FLAG: &str = "course_flag";

crate::policy!(/// Who rates: learners.
    Raters = &[Role::Learner]);
crate::policy!(/// Who reads a course's ratings: learners (published courses) and everyone who reads courses.
    RatingReaders = &[Role::Learner, Role::InstitutionAdmin, Role::CityAdmin, Role::ProvinceAdmin, Role::PlatformOperator]);
crate::policy!(/// Who decides held comments and flags: platform operators.
    Moderators = &[Role::PlatformOperator]);
crate::policy!(/// Who reads flags, within their scope.
    FlagReaders = &[Role::ProvinceAdmin, Role::CityAdmin, Role::InstitutionAdmin, Role::PlatformOperator]);

const ONE_RATING_PER_VERSION: Unique = Unique {
    name: "uq_course_ratings_learner",
    table: "course_ratings",
    columns: &["course_id", "version_number", "learner_subject"],
};

/// An average of `sum` over `count` scores, in hundredths (rounded half up).
pub fn hundredths(sum: i64, count: i64) -> i64 {
    if count <= 0 {
        return 0;
    }
    (sum * 200 + count) / (count * 2)
}

fn two_decimals(hundredths: i64) -> f64 {
    hundredths as f64 / 100.0
}

fn score(n: i16) -> AppResult<Score> {
    Score::parse(n.into()).map_err(|_| AppError::bug("a stored score out of range"))
}

/// A rating as answered; `moderator` sees held and removed comments and the hits.
fn to_rating(m: rating::Model, moderator: bool) -> AppResult<Rating> {
    let shown = moderator || m.comment_status == CommentStatus::Visible;
    let comment = (m.comment_status != CommentStatus::None && shown).then_some(m.comment);
    let screening_hits = match (&m.comment_hits, moderator) {
        (Some(hits), true) => Some(courses::parse::<Vec<FieldError>>(hits)?),
        _ => None,
    };
    Ok(Rating {
        id: m.id,
        course_id: m.course_id,
        version_number: m.version_number,
        content: score(m.content)?,
        settings: score(m.settings)?,
        teacher: score(m.teacher)?,
        comment,
        comment_status: m.comment_status,
        screening_hits,
        created_at: m.created_at,
    })
}

fn to_flag(m: flag::Model) -> CourseFlag {
    CourseFlag {
        id: m.id,
        course_id: m.course_id,
        version_number: m.version_number,
        institution_id: m.institution_id,
        city_code: m.city_code,
        average: two_decimals(m.average_hundredths.into()),
        ratings: m.ratings,
        status: m.status,
        decision_reason: m.decision_reason,
        decided_by: m.decided_by,
        decided_at: m.decided_at,
        created_at: m.created_at,
    }
}

#[tracing::instrument(skip_all, fields(course = %course_id))]
pub async fn rate(cx: &Cx<Raters>, course_id: Uuid, body: RatingCreate) -> AppResult<Rating> {
    let mut tx = cx.begin().await?;
    let c = courses::reachable(tx.conn(), &cx.audit, &cx.actor, course_id).await?;
    // Ratings of one course are taken one at a time (PostgreSQL: the course row locked; SQLite
    // writes one at a time anyway), so the flag check below sees every rating before it.
    course::Entity::find_by_id(course_id)
        .lock_exclusive()
        .one(tx.conn())
        .await?;
    let number = c
        .published_version
        .ok_or_else(|| AppError::bug("a published course without a published version"))?;
    let subject = cx.actor.subject.clone();
    let studied = evidence::Entity::find()
        .filter(evidence::Column::LearnerSubject.eq(&subject))
        .filter(evidence::Column::CourseId.eq(course_id))
        .filter(evidence::Column::VersionNumber.eq(number))
        .count(tx.conn())
        .await?;
    if studied == 0 {
        return Err(AppError::new(
            Code::NoStudyEvidence,
            format!("there is no record of you studying version {number} of this course"),
        ));
    }
    let (comment, comment_status, comment_hits) = match &body.comment {
        None => (String::new(), CommentStatus::None, None),
        Some(text) => {
            let screener = cx.data::<crate::screening::Screener>()?;
            let hits =
                courses::screen(tx.conn(), &screener, &[("comment".into(), text.as_str())]).await?;
            if hits.is_empty() {
                (text.to_string(), CommentStatus::Visible, None)
            } else {
                (
                    text.to_string(),
                    CommentStatus::Held,
                    Some(courses::json(&hits)?),
                )
            }
        }
    };
    let id = Uuid::now_v7();
    let row = rating::ActiveModel {
        id: Set(id),
        course_id: Set(course_id),
        version_number: Set(number),
        learner_subject: Set(subject),
        content: Set(body.content.get().into()),
        settings: Set(body.settings.get().into()),
        teacher: Set(body.teacher.get().into()),
        comment: Set(comment),
        comment_status: Set(comment_status),
        comment_hits: Set(comment_hits),
        moderated_at: Set(None),
        version: Set(1),
        created_at: Set(db::now()),
    };
    let row = match rating::Entity::insert(row)
        .exec_with_returning(tx.conn())
        .await
    {
        Ok(row) => row,
        Err(e) if ONE_RATING_PER_VERSION.violated_by(&e) => {
            return Err(AppError::new(
                Code::AlreadyRated,
                format!("you have rated version {number} of this course already"),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    tx.touches(RATING, id, Some(&c.city_code));
    tx.changed(
        RATING,
        id,
        Operation::Created,
        1,
        &to_rating(row.clone(), true)?,
    )?;
    flag_if_low(cx, &mut tx, &c, number).await?;
    let answer = to_rating(row, false)?;
    tx.commit(201, &answer).await?;
    Ok(answer)
}

/// The number of ratings of a version and the sum of all their scores.
async fn totals<C: ConnectionTrait>(db: &C, course_id: Uuid, number: i32) -> AppResult<(i64, i64)> {
    let (count, sum): (i64, Option<i64>) = rating::Entity::find()
        .select_only()
        .column_as(Expr::cust("COUNT(*)"), "n")
        .column_as(Expr::cust("SUM(content + settings + teacher)"), "total")
        .filter(rating::Column::CourseId.eq(course_id))
        .filter(rating::Column::VersionNumber.eq(number))
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or((0, None));
    Ok((count, sum.unwrap_or(0)))
}

/// Whether a version with `count` ratings whose scores add up to `sum` is flagged: enough
/// ratings, and the overall average (sum over three scores each) below the threshold.
pub fn is_low(sum: i64, count: i64, min_ratings: u32, below_hundredths: i64) -> bool {
    count >= i64::from(min_ratings) && sum * 100 < below_hundredths * 3 * count
}

/// Raises the flag of a version whose satisfaction is low, once per version.
async fn flag_if_low(
    cx: &Cx<Raters>,
    tx: &mut WriteTx<'_>,
    c: &course::Model,
    number: i32,
) -> AppResult<()> {
    let settings = &cx.svc.settings.courses.ratings;
    let (count, sum) = totals(tx.conn(), c.id, number).await?;
    if !is_low(
        sum,
        count,
        settings.flag_min_ratings,
        settings.flag_below_hundredths(),
    ) {
        return Ok(());
    }
    let now = db::now();
    let row = flag::ActiveModel {
        id: Set(Uuid::now_v7()),
        course_id: Set(c.id),
        version_number: Set(number),
        institution_id: Set(c.institution_id),
        city_code: Set(c.city_code.clone()),
        average_hundredths: Set(hundredths(sum, count * 3) as i32),
        ratings: Set(count as i32),
        status: Set(FlagStatus::Open),
        decision_reason: Set(None),
        decided_by: Set(None),
        decided_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let inserted = flag::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([flag::Column::CourseId, flag::Column::VersionNumber])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(tx.conn())
        .await?;
    if inserted == 1 {
        let raised = flag::Entity::find()
            .filter(flag::Column::CourseId.eq(c.id))
            .filter(flag::Column::VersionNumber.eq(number))
            .one(tx.conn())
            .await?
            .ok_or_else(|| AppError::bug("a flag vanished inside its transaction"))?;
        tx.changed(FLAG, raised.id, Operation::Created, 1, &to_flag(raised))?;
    }
    Ok(())
}

#[tracing::instrument(skip_all, fields(course = %course_id))]
pub async fn ratings(
    cx: &Cx<RatingReaders>,
    course_id: Uuid,
    q: &RatingListQuery,
) -> AppResult<CourseRatings> {
    let db = cx.db.get_ref();
    courses::reachable(db, &cx.audit, &cx.actor, course_id).await?;
    let mut sums = rating::Entity::find()
        .select_only()
        .column(rating::Column::VersionNumber)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .column_as(Expr::cust("SUM(content)"), "content")
        .column_as(Expr::cust("SUM(settings)"), "settings")
        .column_as(Expr::cust("SUM(teacher)"), "teacher")
        .filter(rating::Column::CourseId.eq(course_id))
        .group_by(rating::Column::VersionNumber)
        .order_by_desc(rating::Column::VersionNumber);
    let mut list = rating::Entity::find().filter(rating::Column::CourseId.eq(course_id));
    if let Some(n) = q.version_number {
        sums = sums.filter(rating::Column::VersionNumber.eq(n.get()));
        list = list.filter(rating::Column::VersionNumber.eq(n.get()));
    }
    let summaries = sums
        .into_tuple::<(i32, i64, i64, i64, i64)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(number, n, content, settings, teacher)| RatingSummary {
            version_number: number,
            ratings: n as u64,
            content: two_decimals(hundredths(content, n)),
            settings: two_decimals(hundredths(settings, n)),
            teacher: two_decimals(hundredths(teacher, n)),
            overall: two_decimals(hundredths(content + settings + teacher, n * 3)),
        })
        .collect();
    let limit = Limit::of(q.limit);
    let rows = page::after(
        db,
        list,
        rating::Column::Id,
        Cursor::key::<Uuid>(&q.cursor)?,
        limit,
        Direction::Ascending,
    )
    .await?;
    let moderator = cx.actor.role == Role::PlatformOperator;
    let page = Page::from_rows(rows, limit, |m| m.id, |m| m);
    Ok(CourseRatings {
        summaries,
        items: page
            .items
            .into_iter()
            .map(|m| to_rating(m, moderator))
            .collect::<AppResult<_>>()?,
        next_cursor: page.next_cursor,
    })
}

#[tracing::instrument(skip_all, fields(rating = %id))]
pub async fn moderate(cx: &Cx<Moderators>, id: Uuid, body: CommentModeration) -> AppResult<Rating> {
    let mut tx = cx.begin().await?;
    let Some(row) = rating::Entity::find_by_id(id).one(tx.conn()).await? else {
        tx.touches(RATING, id, None);
        return Err(AppError::not_found());
    };
    let c = courses::reachable(tx.conn(), &cx.audit, &cx.actor, row.course_id).await?;
    tx.touches(RATING, id, Some(&c.city_code));
    if row.comment_status != CommentStatus::Held {
        return Err(AppError::new(
            Code::AlreadyDecided,
            "the comment is not held for moderation",
        ));
    }
    let status = match body.decision {
        CommentDecision::Publish => CommentStatus::Visible,
        CommentDecision::Remove => CommentStatus::Removed,
    };
    let done = rating::Entity::update_many()
        .col_expr(rating::Column::CommentStatus, Expr::value(status))
        .col_expr(rating::Column::ModeratedAt, Expr::value(db::now()))
        .col_expr(rating::Column::Version, Expr::value(row.version + 1))
        .filter(rating::Column::Id.eq(id))
        .filter(rating::Column::Version.eq(row.version))
        .exec(tx.conn())
        .await?;
    if done.rows_affected == 0 {
        return Err(AppError::new(
            Code::ConcurrentChange,
            "the rating changed meanwhile; retry",
        ));
    }
    let row = rating::Entity::find_by_id(id)
        .one(tx.conn())
        .await?
        .ok_or_else(|| AppError::bug("a rating vanished inside its transaction"))?;
    let answer = to_rating(row.clone(), true)?;
    tx.changed(RATING, id, Operation::Updated, row.version, &answer)?;
    tx.commit(200, &answer).await?;
    Ok(answer)
}

#[tracing::instrument(skip_all)]
pub async fn flags(cx: &Cx<FlagReaders>, q: &FlagListQuery) -> AppResult<Page<CourseFlag>> {
    let limit = Limit::of(q.limit);
    let Some(scope) = cx
        .actor
        .scope()
        .condition(flag::Column::CityCode, flag::Column::InstitutionId)
    else {
        return Ok(Page::empty());
    };
    let mut query = flag::Entity::find().filter(scope);
    if let Some(status) = q.status {
        query = query.filter(flag::Column::Status.eq(status));
    }
    let rows = page::after(
        cx.db.get_ref(),
        query,
        flag::Column::Id,
        Cursor::key::<Uuid>(&q.cursor)?,
        limit,
        Direction::Ascending,
    )
    .await?;
    Ok(Page::from_rows(rows, limit, |m| m.id, to_flag))
}

#[tracing::instrument(skip_all, fields(flag = %id))]
pub async fn decide(
    cx: &Cx<Moderators>,
    id: Uuid,
    body: FlagDecisionRequest,
) -> AppResult<CourseFlag> {
    let mut tx = cx.begin().await?;
    let Some(row) = flag::Entity::find_by_id(id).one(tx.conn()).await? else {
        tx.touches(FLAG, id, None);
        return Err(AppError::not_found());
    };
    tx.touches(FLAG, id, Some(&row.city_code));
    if row.status != FlagStatus::Open {
        return Err(AppError::new(
            Code::AlreadyDecided,
            "the flag has been decided already",
        ));
    }
    let status = match body.decision {
        FlagDecision::Dismiss => FlagStatus::Dismissed,
        FlagDecision::TakeDown => {
            take_down(&mut tx, &row, &body).await?;
            FlagStatus::TakenDown
        }
    };
    let now = db::now();
    let done = flag::Entity::update_many()
        .col_expr(flag::Column::Status, Expr::value(status))
        .col_expr(
            flag::Column::DecisionReason,
            Expr::value(body.reason.to_string()),
        )
        .col_expr(
            flag::Column::DecidedBy,
            Expr::value(cx.actor.subject.clone()),
        )
        .col_expr(flag::Column::DecidedAt, Expr::value(now))
        .col_expr(flag::Column::UpdatedAt, Expr::value(now))
        .col_expr(flag::Column::Version, Expr::value(row.version + 1))
        .filter(flag::Column::Id.eq(id))
        .filter(flag::Column::Version.eq(row.version))
        .exec(tx.conn())
        .await?;
    if done.rows_affected == 0 {
        return Err(AppError::new(
            Code::ConcurrentChange,
            "the flag changed meanwhile; retry",
        ));
    }
    let row = flag::Entity::find_by_id(id)
        .one(tx.conn())
        .await?
        .ok_or_else(|| AppError::bug("a flag vanished inside its transaction"))?;
    let answer = to_flag(row.clone());
    tx.changed(FLAG, id, Operation::Updated, row.version, &answer)?;
    tx.commit(200, &answer).await?;
    Ok(answer)
}

/// Suspends the flagged course, if the flagged version is what it publishes.
async fn take_down(
    tx: &mut WriteTx<'_>,
    f: &flag::Model,
    body: &FlagDecisionRequest,
) -> AppResult<()> {
    let c = course::Entity::find_by_id(f.course_id)
        .one(tx.conn())
        .await?
        .ok_or_else(|| AppError::bug("a flag of a missing course"))?;
    if c.published_version != Some(f.version_number) {
        return Err(AppError::new(
            Code::IllegalTransition,
            format!(
                "version {} is no longer the published one; dismiss the flag",
                f.version_number
            ),
        ));
    }
    if c.status != CourseStatus::Published {
        // Already offline (suspended or retired): the decision is recorded, nothing moves.
        return Ok(());
    }
    let reason = format!("taken down for low satisfaction: {}", body.reason.as_str());
    let actor = tx.actor().clone();
    let (updated, step) =
        lifecycle::suspend(tx.conn(), &c, reason, &actor.subject, actor.role.as_str())
            .await
            .map_err(|e| match e {
                sea_orm::DbErr::RecordNotUpdated => AppError::new(
                    Code::ConcurrentChange,
                    "the course changed meanwhile; retry",
                ),
                e => e.into(),
            })?;
    let course = courses::answer(tx.conn(), updated).await?;
    tx.changed(
        courses::RESOURCE,
        c.id,
        Operation::Updated,
        course.version,
        &course.value,
    )?;
    tx.changed(
        lifecycle::STATUS_RESOURCE,
        step.id,
        Operation::Created,
        1,
        &lifecycle::to_status_change(step),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_round_half_up_to_hundredths() {
        assert_eq!(hundredths(22, 9), 244);
        assert_eq!(hundredths(7, 3), 233);
        assert_eq!(hundredths(8, 3), 267);
        assert_eq!(hundredths(1, 8), 13, "0.125 rounds up");
        assert_eq!(hundredths(9, 3), 300);
        assert_eq!(hundredths(5, 0), 0);
    }

    #[test]
    fn a_version_is_low_below_the_threshold_with_enough_ratings() {
        // Three ratings of 3, 3 and 2 on every score: an average of 2.67.
        assert!(is_low(24, 3, 3, 300));
        assert!(!is_low(24, 3, 4, 300), "too few ratings");
        assert!(
            !is_low(27, 3, 3, 300),
            "exactly the threshold is not below it"
        );
        assert!(is_low(26, 3, 3, 300), "just below");
        assert!(!is_low(24, 3, 3, 266));
        assert!(is_low(24, 3, 3, 267));
    }
}
