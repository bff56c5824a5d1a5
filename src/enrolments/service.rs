//! Enrolment rules: an institution's admin enrols its own learners in a programme that fits
//! them, with its own published courses that fit the programme and together reach its hours;
//! the learner, its institution and the regulators of its city read the enrolment and its
//! progress, rolled up from the hours ledger.
use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::dto::*;
use super::entity::{enrolment, enrolment_course, ledger, quiz_attempt};
use super::programmes::{Programme, Programmes};
use crate::audit::AuditContext;
use crate::auth::{Actor, Policy, Role};
use crate::changes::Operation;
use crate::context::{CreateSpec, Created, Cx, WriteTx};
use crate::courses::dto::{CoursewareKind, Hours};
use crate::courses::entity::{course, courseware, version};
use crate::courses::status::CourseStatus;
use crate::db;
use crate::db::constraint::Unique;
use crate::db::page::{self, Direction};
use crate::error::{AppError, AppResult, Code};
use crate::http::etag::Versioned;
use crate::http::idempotency::IdempotencyKey;
use crate::http::pagination::{Cursor, Limit, Page};
use crate::learners::entity::learner;

pub const RESOURCE: &str = "enrolment";
const CREATE_ROUTE: &str = "POST /api/v1/enrolments";

crate::policy!(/// Who may read enrolments: the learner (its own), its institution, regulators.
    Readers = &[Role::ProvinceAdmin, Role::CityAdmin, Role::InstitutionAdmin, Role::PlatformOperator, Role::Learner]);
crate::policy!(/// Who may enrol learners: the institution's own admins.
    Editors = &[Role::InstitutionAdmin]);

/// One active enrolment per learner and programme.
const ACTIVE: Unique = Unique {
    name: "uq_enrolments_active",
    table: "enrolments",
    columns: &["active_key"],
};

/// Seconds in `tenths` tenths of a 学时 of `minutes_per_hour` minutes.
pub fn seconds_of(tenths: i32, minutes_per_hour: u32) -> i64 {
    i64::from(tenths) * i64::from(minutes_per_hour) * 60 / 10
}

/// The rows `actor` may read: a learner its own, others by their scope.
fn scoped(actor: &Actor) -> Option<Condition> {
    if actor.role == Role::Learner {
        return Uuid::parse_str(&actor.subject)
            .ok()
            .map(|id| Condition::all().add(enrolment::Column::LearnerId.eq(id)));
    }
    actor.scope().condition(
        enrolment::Column::CityCode,
        enrolment::Column::InstitutionId,
    )
}

/// The enrolment `actor` may read, or 404 (the audit record names it either way).
pub async fn find_in<C: ConnectionTrait>(
    db: &C,
    audit: &AuditContext,
    actor: &Actor,
    id: Uuid,
) -> AppResult<enrolment::Model> {
    let row = match scoped(actor) {
        Some(cond) => {
            enrolment::Entity::find_by_id(id)
                .filter(cond)
                .one(db)
                .await?
        }
        None => None,
    };
    match row {
        Some(row) => {
            audit.set_resource(RESOURCE, id, Some(&row.city_code));
            Ok(row)
        }
        None => {
            let city: Option<String> = enrolment::Entity::find_by_id(id)
                .select_only()
                .column(enrolment::Column::CityCode)
                .into_tuple()
                .one(db)
                .await?;
            audit.set_resource(RESOURCE, id, city.as_deref());
            Err(AppError::not_found())
        }
    }
}

/// The ledger's totals of an enrolment per course: (credited, held).
pub async fn totals<C: ConnectionTrait>(
    db: &C,
    enrolment: Uuid,
) -> Result<HashMap<Uuid, (i64, i64)>, DbErr> {
    let rows: Vec<(Uuid, String, Option<i64>)> = ledger::Entity::find()
        .select_only()
        .column(ledger::Column::CourseId)
        .column(ledger::Column::Kind)
        .column_as(
            sea_orm::sea_query::Expr::expr(sea_orm::sea_query::Func::cast_as(
                sea_orm::sea_query::Func::sum(sea_orm::sea_query::Expr::col(
                    ledger::Column::Seconds,
                )),
                sea_orm::sea_query::Alias::new("BIGINT"),
            )),
            "total",
        )
        .filter(ledger::Column::EnrolmentId.eq(enrolment))
        .group_by(ledger::Column::CourseId)
        .group_by(ledger::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    let mut out: HashMap<Uuid, (i64, i64)> = HashMap::new();
    for (course, kind, total) in rows {
        let total = total.unwrap_or(0);
        let entry = out.entry(course).or_default();
        match kind.as_str() {
            // Time that did not count is in the ledger with its reason, and counts nowhere.
            "refused" => {}
            "hold" | "void_hold" => entry.1 += total,
            "release" => {
                entry.0 += total;
                entry.1 -= total;
            }
            // credit, void (negative) and correction (either sign) count.
            _ => entry.0 += total,
        }
    }
    Ok(out)
}

/// Whether the learner has passed the quiz of `course` in `enrolment`.
pub async fn quiz_passed<C: ConnectionTrait>(
    db: &C,
    enrolment: Uuid,
    course: Uuid,
) -> Result<bool, DbErr> {
    Ok(quiz_attempt::Entity::find()
        .filter(quiz_attempt::Column::EnrolmentId.eq(enrolment))
        .filter(quiz_attempt::Column::CourseId.eq(course))
        .filter(quiz_attempt::Column::Passed.eq(true))
        .one(db)
        .await?
        .is_some())
}

/// An enrolment with its progress.
pub async fn to_dto<C: ConnectionTrait>(
    db: &C,
    programmes: &Programmes,
    minutes_per_hour: u32,
    m: enrolment::Model,
) -> AppResult<Versioned<Enrolment>> {
    let courses = enrolment_course::Entity::find()
        .filter(enrolment_course::Column::EnrolmentId.eq(m.id))
        .order_by_asc(enrolment_course::Column::Position)
        .all(db)
        .await?;
    let mut versions = Condition::any();
    for c in &courses {
        versions = versions.add(
            Condition::all()
                .add(version::Column::CourseId.eq(c.course_id))
                .add(version::Column::Number.eq(c.version_number)),
        );
    }
    let titles: HashMap<Uuid, String> = version::Entity::find()
        .filter(versions)
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.course_id, v.title))
        .collect();
    let mut quizzes = Condition::any();
    for c in &courses {
        quizzes = quizzes.add(
            Condition::all()
                .add(courseware::Column::CourseId.eq(c.course_id))
                .add(courseware::Column::VersionNumber.eq(c.version_number)),
        );
    }
    let with_quiz: std::collections::HashSet<Uuid> = courseware::Entity::find()
        .filter(quizzes)
        .filter(courseware::Column::Kind.eq(CoursewareKind::Quiz))
        .all(db)
        .await?
        .into_iter()
        .map(|w| w.course_id)
        .collect();
    let totals = totals(db, m.id).await?;
    let passed: std::collections::HashSet<Uuid> = quiz_attempt::Entity::find()
        .filter(quiz_attempt::Column::EnrolmentId.eq(m.id))
        .filter(quiz_attempt::Column::Passed.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.course_id)
        .collect();
    let mut items = Vec::with_capacity(courses.len());
    for c in courses {
        let (credited, held) = totals.get(&c.course_id).copied().unwrap_or_default();
        let required = seconds_of(c.hours_tenths, minutes_per_hour);
        items.push(EnrolmentCourse {
            course_id: c.course_id,
            version_number: c.version_number,
            title: titles.get(&c.course_id).cloned().unwrap_or_default(),
            hours: Hours::from_tenths(c.hours_tenths as u32).to_string(),
            required_seconds: required,
            credited_seconds: credited,
            held_seconds: held,
            quiz: match (
                with_quiz.contains(&c.course_id),
                passed.contains(&c.course_id),
            ) {
                (false, _) => QuizState::None,
                (true, false) => QuizState::Pending,
                (true, true) => QuizState::Passed,
            },
            remaining_seconds: (required - credited).max(0),
        });
    }
    let required = seconds_of(m.required_tenths, minutes_per_hour);
    let credited: i64 = items.iter().map(|c| c.credited_seconds).sum();
    let held: i64 = items.iter().map(|c| c.held_seconds).sum();
    let required_hours = programmes
        .get(&m.programme_code)
        .map_or_else(
            || Hours::from_tenths(m.required_tenths as u32),
            |p| p.required_hours,
        )
        .to_string();
    let status = match m.status.as_str() {
        "completed" => EnrolmentStatus::Completed,
        _ => EnrolmentStatus::Active,
    };
    Ok(Versioned::new(
        Enrolment {
            id: m.id,
            learner_id: m.learner_id,
            institution_id: m.institution_id,
            city_code: m.city_code,
            programme_code: m.programme_code,
            required_hours,
            required_seconds: required,
            credited_seconds: credited,
            held_seconds: held,
            remaining_seconds: (required - credited).max(0),
            status,
            courses: items,
            created_at: m.created_at,
            updated_at: m.updated_at,
            completed_at: m.completed_at,
        },
        m.version,
    ))
}

/// Fails unless `programme` fits `learner`: category, training type, and the industry (for
/// principals and managers) or the operation item (for special operations).
fn fits_learner(programme: &Programme, learner: &learner::Model) -> AppResult<()> {
    let fits = programme.training_category == learner.training_category
        && programme.training_type == learner.training_type
        && match (&programme.industry, &programme.operation_type) {
            (Some(industry), _) => industry.as_str() == learner.industry,
            (None, Some(op)) => learner.operation_type.as_deref() == Some(op.as_str()),
            (None, None) => false,
        };
    if fits {
        Ok(())
    } else {
        Err(AppError::field(
            "programme_code",
            "not_for_learner",
            "the programme does not fit the learner's category, industry or operation item, or training type",
        ))
    }
}

/// The published version of each course, checked to be the institution's and to fit the
/// programme; with the hours they reach together.
async fn published_versions<C: ConnectionTrait>(
    db: &C,
    institution: Uuid,
    programme: &Programme,
    ids: &[Uuid],
) -> AppResult<Vec<(Uuid, version::Model)>> {
    let mut seen = std::collections::HashSet::new();
    if !ids.iter().all(|id| seen.insert(*id)) {
        return Err(AppError::field(
            "course_ids",
            "unique",
            "names a course twice",
        ));
    }
    let courses: HashMap<Uuid, course::Model> = course::Entity::find()
        .filter(course::Column::Id.is_in(ids.iter().copied()))
        .filter(course::Column::InstitutionId.eq(institution))
        .filter(course::Column::Status.eq(CourseStatus::Published))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(published) = courses.get(id).and_then(|c| c.published_version) else {
            return Err(AppError::field(
                "course_ids",
                "unknown_course",
                "names no published course of the institution",
            ));
        };
        let v = version::Entity::find()
            .filter(version::Column::CourseId.eq(*id))
            .filter(version::Column::Number.eq(published))
            .one(db)
            .await?
            .ok_or_else(|| AppError::bug("a published course without its version"))?;
        let list = |text: &str| -> AppResult<Vec<String>> { crate::courses::service::parse(text) };
        let fits = list(&v.training_categories)?.contains(&programme.training_category)
            && list(&v.training_types)?.contains(&programme.training_type)
            && programme.operation_type.as_ref().map_or(Ok(true), |op| {
                list(&v.operation_types).map(|ops| ops.contains(op))
            })?;
        if !fits {
            return Err(AppError::field(
                "course_ids",
                "not_for_programme",
                "names a course whose categories, operation types or training types do not include the programme's",
            ));
        }
        out.push((*id, v));
    }
    let total: i64 = out.iter().map(|(_, v)| i64::from(v.hours_tenths)).sum();
    if total < i64::from(programme.required_hours.tenths()) {
        return Err(AppError::field(
            "course_ids",
            "too_few_hours",
            format!(
                "the courses come to {} 学时; the programme requires {}",
                Hours::from_tenths(total as u32),
                programme.required_hours
            ),
        ));
    }
    Ok(out)
}

#[tracing::instrument(skip_all, fields(learner = %body.learner_id))]
pub async fn create(
    cx: &Cx<Editors>,
    key: &IdempotencyKey,
    body: EnrolmentCreate,
) -> AppResult<(Created<Versioned<Enrolment>>, String)> {
    let programmes = cx.data::<Programmes>()?;
    let minutes = cx.svc.settings.courses.minutes_per_hour;
    let programme = programmes
        .get(&body.programme_code)
        .cloned()
        .ok_or_else(|| {
            AppError::field(
                "programme_code",
                "unknown_programme",
                "no programme has this code",
            )
        })?;
    let institution = cx
        .actor
        .institution
        .ok_or_else(|| AppError::bug("an institution admin without an institution"))?;
    let ids: Vec<Uuid> = body.course_ids.iter().map(|r| r.0).collect();
    let spec = CreateSpec {
        resource_type: RESOURCE,
        route: CREATE_ROUTE,
        key,
        body: &body,
    };
    cx.create(
        spec,
        async |tx: &mut WriteTx<'_>| {
            crate::institutions::service::acting_for(
                tx.conn(),
                tx.actor(),
                institution,
                "enrolments",
            )
            .await?;
            let learner = learner::Entity::find_by_id(body.learner_id)
                .filter(learner::Column::InstitutionId.eq(institution))
                .one(tx.conn())
                .await?
                .ok_or_else(|| {
                    AppError::field(
                        "learner_id",
                        "unknown_learner",
                        "names no learner of the institution",
                    )
                })?;
            fits_learner(&programme, &learner)?;
            let versions = published_versions(tx.conn(), institution, &programme, &ids).await?;
            let (id, now) = (Uuid::now_v7(), db::now());
            tx.touches(RESOURCE, id, Some(&learner.city_code));
            let row = enrolment::ActiveModel {
                id: Set(id),
                learner_id: Set(learner.id),
                institution_id: Set(institution),
                city_code: Set(learner.city_code.clone()),
                programme_code: Set(programme.code.clone()),
                required_tenths: Set(programme.required_hours.tenths() as i32),
                status: Set("active".into()),
                active_key: Set(Some(format!("{}:{}", learner.id, programme.code))),
                completed_at: Set(None),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
            };
            row.insert(tx.conn()).await.map_err(|e| {
                if ACTIVE.violated_by(&e) {
                    AppError::new(
                        Code::AlreadyEnrolled,
                        "the learner has an active enrolment in this programme",
                    )
                } else {
                    e.into()
                }
            })?;
            for (position, (course_id, v)) in versions.iter().enumerate() {
                enrolment_course::ActiveModel {
                    enrolment_id: Set(id),
                    course_id: Set(*course_id),
                    version_number: Set(v.number),
                    position: Set(position as i32 + 1),
                    hours_tenths: Set(v.hours_tenths),
                }
                .insert(tx.conn())
                .await?;
            }
            let row = enrolment::Entity::find_by_id(id)
                .one(tx.conn())
                .await?
                .ok_or_else(|| AppError::bug("the enrolment just written is gone"))?;
            let answer = to_dto(tx.conn(), &programmes, minutes, row).await?;
            tx.changed(RESOURCE, id, Operation::Created, 1, &answer.value)?;
            Ok((id, answer))
        },
        async |id| load(cx, id).await,
    )
    .await
}

async fn load<P: Policy<Caller = Actor>>(cx: &Cx<P>, id: Uuid) -> AppResult<Versioned<Enrolment>> {
    let row = find_in(cx.db.get_ref(), &cx.audit, &cx.actor, id).await?;
    to_dto(
        cx.db.get_ref(),
        &*cx.data::<Programmes>()?,
        cx.svc.settings.courses.minutes_per_hour,
        row,
    )
    .await
}

/// The enrolment the caller may read, or 404.
pub async fn find_for(cx: &Cx<Readers>, id: Uuid) -> AppResult<enrolment::Model> {
    find_in(cx.db.get_ref(), &cx.audit, &cx.actor, id).await
}

#[tracing::instrument(skip_all, fields(enrolment = %id))]
pub async fn get(cx: &Cx<Readers>, id: Uuid) -> AppResult<Versioned<Enrolment>> {
    load(cx, id).await
}

#[tracing::instrument(skip_all)]
pub async fn list(cx: &Cx<Readers>, q: &EnrolmentListQuery) -> AppResult<Page<Enrolment>> {
    let limit = Limit::of(q.limit);
    let Some(mut cond) = scoped(&cx.actor) else {
        return Ok(Page::empty());
    };
    if let Some(learner) = q.learner_id {
        cond = cond.add(enrolment::Column::LearnerId.eq(learner));
    }
    if let Some(status) = q.status {
        cond = cond.add(enrolment::Column::Status.eq(match status {
            EnrolmentStatus::Active => "active",
            EnrolmentStatus::Completed => "completed",
        }));
    }
    let rows = page::after(
        cx.db.get_ref(),
        enrolment::Entity::find().filter(cond),
        enrolment::Column::Id,
        Cursor::key::<Uuid>(&q.cursor)?,
        limit,
        Direction::Ascending,
    )
    .await?;
    let programmes = cx.data::<Programmes>()?;
    let minutes = cx.svc.settings.courses.minutes_per_hour;
    let page = Page::from_rows(rows, limit, |m| m.id, |m| m);
    let mut items = Vec::with_capacity(page.items.len());
    for m in page.items {
        items.push(
            to_dto(cx.db.get_ref(), &programmes, minutes, m)
                .await?
                .value,
        );
    }
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}
