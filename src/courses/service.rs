//! Course rules: an institution's admin files its own courses; regulators and platform
//! operators read within their scope. Every content change lands on a draft version: editing a
//! course whose current version is published opens a new version, and the published one stays
//! what learners study until the new one is published.
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, IntoActiveModel};
use uuid::Uuid;

use super::dto::*;
use super::entity::{course, courseware, version};
use super::repo;
use super::status::{CourseStatus, ReviewStatus};
use crate::audit::AuditContext;
use crate::auth::{Actor, Policy, Role, Scope};
use crate::changes::Operation;
use crate::context::{CreateSpec, Created, Cx, WriteTx};
use crate::db;
use crate::error::{AppError, AppResult, Code, FieldError};
use crate::http::etag::{IfMatch, Versioned};
use crate::http::idempotency::IdempotencyKey;
use crate::http::pagination::{Cursor, Limit, Page};
use crate::institutions;
use crate::reference::codes::SPECIAL_OPERATION;

/// The resource types of this module, in audit records and change events.
pub const RESOURCE: &str = "course";
pub const COURSEWARE: &str = "courseware";
const CREATE_ROUTE: &str = "POST /api/v1/courses";

crate::policy!(/// Who may read courses and their courseware.
    Readers = &[Role::ProvinceAdmin, Role::CityAdmin, Role::InstitutionAdmin, Role::PlatformOperator]);
crate::policy!(/// Who may file and edit courses: the institution's own admins.
    Editors = &[Role::InstitutionAdmin]);

pub fn json<T: serde::Serialize>(value: &T) -> AppResult<String> {
    serde_json::to_string(value).map_err(AppError::internal)
}

pub fn parse<T: serde::de::DeserializeOwned>(text: &str) -> AppResult<T> {
    serde_json::from_str(text).map_err(AppError::internal)
}

/// A course as answered: the course row with its current version's content.
pub(super) fn to_dto(c: course::Model, v: &version::Model) -> AppResult<Versioned<Course>> {
    let course = Course {
        id: c.id,
        institution_id: c.institution_id,
        city_code: c.city_code,
        status: c.status,
        version_number: v.number,
        review_status: v.review_status,
        published_version: c.published_version,
        title: v.title.clone(),
        description: v.description.clone(),
        hours: Hours::from_tenths(v.hours_tenths as u32),
        training_categories: parse(&v.training_categories)?,
        operation_types: parse(&v.operation_types)?,
        training_types: parse(&v.training_types)?,
        teacher_ids: parse(&v.teacher_ids)?,
        regulation_ids: parse(&v.regulation_ids)?,
        update_deadline: c.update_deadline,
        published_at: c.published_at,
        created_at: c.created_at,
        updated_at: c.updated_at,
    };
    Ok(Versioned::new(course, c.version))
}

/// The caller's course, or 404 for a missing course and another tenant's alike; either way the
/// audit record names the course and its city.
pub(super) async fn find<C: ConnectionTrait>(
    db: &C,
    audit: &AuditContext,
    actor: &Actor,
    id: Uuid,
) -> AppResult<course::Model> {
    match repo::find(db, &actor.scope(), id).await? {
        Some(row) => {
            audit.set_resource(RESOURCE, id, Some(&row.city_code));
            Ok(row)
        }
        None => {
            let city = repo::city_of(db, id).await?;
            audit.set_resource(RESOURCE, id, city.as_deref());
            Err(AppError::not_found())
        }
    }
}

/// A course as a learner may reach it: published, anything else is 404 (as is a missing
/// course); other callers reach the courses of their scope. The audit record names the course.
pub async fn reachable<C: ConnectionTrait>(
    db: &C,
    audit: &AuditContext,
    actor: &Actor,
    id: Uuid,
) -> AppResult<course::Model> {
    if actor.role != Role::Learner {
        return find(db, audit, actor, id).await;
    }
    let row = repo::find(db, &Scope::All, id).await?;
    audit.set_resource(RESOURCE, id, row.as_ref().map(|c| c.city_code.as_str()));
    row.filter(|c| c.status == CourseStatus::Published)
        .ok_or_else(AppError::not_found)
}

/// A course as answered (with its current version), from its row.
pub async fn answer<C: ConnectionTrait>(db: &C, c: course::Model) -> AppResult<Versioned<Course>> {
    let v = version_of(db, c.id, c.current_version).await?;
    to_dto(c, &v)
}

/// The version `number` of a course that exists.
pub(super) async fn version_of<C: ConnectionTrait>(
    db: &C,
    course: Uuid,
    number: i32,
) -> AppResult<version::Model> {
    repo::version(db, course, number)
        .await?
        .ok_or_else(|| AppError::bug("a course without its current version"))
}

/// A course and its current version, as the caller may see them.
pub(super) async fn load<P: Policy<Caller = Actor>>(
    cx: &Cx<P>,
    id: Uuid,
) -> AppResult<Versioned<Course>> {
    let db = cx.db.get_ref();
    let c = find(db, &cx.audit, &cx.actor, id).await?;
    let v = version_of(db, id, c.current_version).await?;
    to_dto(c, &v)
}

/// Operation types belong with the special-operation category, and only there.
fn check_codes(categories: &[String], operation_types: &[String]) -> AppResult<()> {
    let special = categories.iter().any(|c| c == SPECIAL_OPERATION);
    if special && operation_types.is_empty() {
        return Err(AppError::field(
            "operation_types",
            "required",
            "a special-operation course names at least one operation type",
        ));
    }
    if !special && !operation_types.is_empty() {
        return Err(AppError::field(
            "operation_types",
            "not_allowed",
            "only a special-operation course names operation types",
        ));
    }
    unique("training_categories", categories)?;
    unique("operation_types", operation_types)?;
    Ok(())
}

/// Every teacher must be one of the institution's, each named once.
async fn check_teachers<C: ConnectionTrait>(
    db: &C,
    institution: Uuid,
    ids: &[Uuid],
) -> AppResult<()> {
    let mut seen = std::collections::HashSet::new();
    if !ids.iter().all(|id| seen.insert(*id)) {
        return Err(AppError::field(
            "teacher_ids",
            "unique",
            "names a teacher twice",
        ));
    }
    let found = repo::teachers_of(db, institution, ids).await?;
    if found.len() != ids.len() {
        return Err(AppError::field(
            "teacher_ids",
            "unknown_teacher",
            "names a teacher who is not one of the institution's",
        ));
    }
    Ok(())
}

/// 400 when `list` names a code twice (the contract says `uniqueItems`).
fn unique(field: &str, list: &[String]) -> AppResult<()> {
    let mut seen = std::collections::HashSet::new();
    if list.iter().all(|c| seen.insert(c)) {
        Ok(())
    } else {
        Err(AppError::field(field, "unique", "lists a code twice"))
    }
}

fn codes<T: ToString>(list: &[T]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

/// Every regulation must exist, each named once.
async fn check_regulations<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> AppResult<()> {
    let mut seen = std::collections::HashSet::new();
    if !ids.iter().all(|id| seen.insert(*id)) {
        return Err(AppError::field(
            "regulation_ids",
            "unique",
            "names a regulation twice",
        ));
    }
    if crate::regulations::service::existing(db, ids).await?.len() != ids.len() {
        return Err(AppError::field(
            "regulation_ids",
            "unknown_regulation",
            "names a regulation that does not exist",
        ));
    }
    Ok(())
}

fn ids(list: &[RefId]) -> Vec<Uuid> {
    list.iter().map(|t| t.0).collect()
}

/// Emits the course's new state.
pub(super) fn emit(
    tx: &mut WriteTx<'_>,
    course: &Versioned<Course>,
    operation: Operation,
) -> AppResult<()> {
    tx.changed(
        RESOURCE,
        course.value.id,
        operation,
        course.version,
        &course.value,
    )
}

#[tracing::instrument(skip_all, fields(institution = %body.institution_id))]
pub async fn create(
    cx: &Cx<Editors>,
    key: &IdempotencyKey,
    body: CourseCreate,
) -> AppResult<(Created<Versioned<Course>>, String)> {
    let (categories, operation_types) = (
        codes(&body.training_categories),
        codes(&body.operation_types),
    );
    check_codes(&categories, &operation_types)?;
    unique("training_types", &codes(&body.training_types))?;
    let teachers = ids(&body.teacher_ids);
    let city = institutions::service::acting_for(
        cx.db.get_ref(),
        &cx.actor,
        body.institution_id,
        "courses",
    )
    .await?;
    let spec = CreateSpec {
        resource_type: RESOURCE,
        route: CREATE_ROUTE,
        key,
        body: &body,
    };
    cx.create(
        spec,
        async |tx: &mut WriteTx<'_>| {
            institutions::service::acting_for(
                tx.conn(),
                tx.actor(),
                body.institution_id,
                "courses",
            )
            .await?;
            check_teachers(tx.conn(), body.institution_id, &teachers).await?;
            let regulations = ids(&body.regulation_ids);
            check_regulations(tx.conn(), &regulations).await?;
            let (id, now) = (Uuid::now_v7(), db::now());
            tx.touches(RESOURCE, id, Some(&city));
            let c = repo::insert(
                tx.conn(),
                course::ActiveModel {
                    id: Set(id),
                    institution_id: Set(body.institution_id),
                    city_code: Set(city.clone()),
                    status: Set(CourseStatus::Draft),
                    current_version: Set(1),
                    published_version: Set(None),
                    title: Set(body.title.to_string()),
                    category: Set(categories[0].clone()),
                    update_deadline: Set(None),
                    published_at: Set(None),
                    version: Set(1),
                    created_at: Set(now),
                    updated_at: Set(now),
                },
            )
            .await?;
            let v = repo::insert_version(
                tx.conn(),
                version::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    course_id: Set(id),
                    number: Set(1),
                    title: Set(body.title.to_string()),
                    description: Set(body.description.to_string()),
                    hours_tenths: Set(body.hours.tenths() as i32),
                    training_categories: Set(json(&categories)?),
                    operation_types: Set(json(&operation_types)?),
                    training_types: Set(json(&codes(&body.training_types))?),
                    teacher_ids: Set(json(&teachers)?),
                    regulation_ids: Set(json(&regulations)?),
                    review_status: Set(ReviewStatus::Draft),
                    screening_hits: Set(None),
                    created_at: Set(now),
                    published_at: Set(None),
                },
            )
            .await?;
            crate::regulations::service::link(tx.conn(), id, 1, &regulations).await?;
            let answer = to_dto(c, &v)?;
            emit(tx, &answer, Operation::Created)?;
            Ok((id, answer))
        },
        async |id| load(cx, id).await,
    )
    .await
}

#[tracing::instrument(skip_all, fields(course = %id))]
pub async fn get(cx: &Cx<Readers>, id: Uuid) -> AppResult<Versioned<Course>> {
    load(cx, id).await
}

#[tracing::instrument(skip_all)]
pub async fn list(cx: &Cx<Readers>, q: &CourseListQuery) -> AppResult<Page<Course>> {
    let limit = Limit::of(q.limit);
    let warn = cx.svc.settings.courses.overdue_warning_days;
    let filter = repo::Filter {
        institution: q.institution_id,
        status: q.status,
        category: q.category.as_ref().map(ToString::to_string),
        overdue: q.overdue.map(|o| {
            (
                o,
                chrono::Utc::now().date_naive() + chrono::Days::new(warn.into()),
            )
        }),
    };
    let db = cx.db.get_ref();
    let rows = repo::list(
        db,
        &cx.actor.scope(),
        &filter,
        q.sort,
        Cursor::key(&q.cursor)?,
        limit,
    )
    .await?;
    let sort = q.sort;
    let page = Page::from_rows(
        rows,
        limit,
        |c| match sort {
            Some(CourseSort::Title | CourseSort::TitleDesc) => {
                CourseKey(Some(c.title.clone()), None, c.id)
            }
            Some(_) => CourseKey(None, c.published_at, c.id),
            None => CourseKey(None, None, c.id),
        },
        |c| c,
    );
    // One query for the page's current versions, not one per course.
    let ids: Vec<Uuid> = page.items.iter().map(|c| c.id).collect();
    let mut versions: std::collections::HashMap<(Uuid, i32), version::Model> =
        repo::versions_of(db, &ids)
            .await?
            .into_iter()
            .map(|v| ((v.course_id, v.number), v))
            .collect();
    let mut items = Vec::with_capacity(page.items.len());
    for c in page.items {
        let v = versions
            .remove(&(c.id, c.current_version))
            .ok_or_else(|| AppError::bug("a course without its current version"))?;
        items.push(to_dto(c, &v)?.value);
    }
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// The course's current version, made a draft the caller may change: itself when it is a
/// draft, a new version copied from it (courseware included) when it is published. A version
/// under review, or a retired course, cannot change (409).
pub(super) async fn open_draft(
    tx: &mut WriteTx<'_>,
    c: &course::Model,
) -> AppResult<version::Model> {
    if c.status == CourseStatus::Retired {
        return Err(AppError::new(
            Code::CourseRetired,
            "a retired course cannot change",
        ));
    }
    let current = version_of(tx.conn(), c.id, c.current_version).await?;
    match current.review_status {
        ReviewStatus::Draft => Ok(current),
        ReviewStatus::Published => {
            let number = current.number + 1;
            let mut copy = current.clone().into_active_model();
            copy.id = Set(Uuid::now_v7());
            copy.number = Set(number);
            copy.review_status = Set(ReviewStatus::Draft);
            copy.screening_hits = Set(None);
            copy.created_at = Set(db::now());
            copy.published_at = Set(None);
            let opened = repo::insert_version(tx.conn(), copy.reset_all()).await?;
            let regulations: Vec<Uuid> = parse(&current.regulation_ids)?;
            crate::regulations::service::link(tx.conn(), c.id, number, &regulations).await?;
            for piece in repo::courseware_of(tx.conn(), c.id, current.number).await? {
                let mut copy = piece.into_active_model();
                copy.id = Set(Uuid::now_v7());
                copy.version_number = Set(number);
                repo::insert_courseware(tx.conn(), copy.reset_all()).await?;
            }
            Ok(opened)
        }
        _ => Err(AppError::new(
            Code::CourseUnderReview,
            "the course's current version is under review; move it back to draft to change it",
        )),
    }
}

/// Bumps the course row (its ETag) after a change of `v`, the version now current.
pub(super) async fn touch(
    tx: &mut WriteTx<'_>,
    c: &course::Model,
    v: &version::Model,
) -> AppResult<course::Model> {
    let categories: Vec<String> = parse(&v.training_categories)?;
    let row = course::ActiveModel {
        current_version: Set(v.number),
        title: Set(v.title.clone()),
        category: Set(categories.first().cloned().unwrap_or_default()),
        version: Set(c.version + 1),
        updated_at: Set(db::now()),
        ..Default::default()
    };
    if !repo::update_if_version(tx.conn(), c.id, row, c.version).await? {
        return Err(AppError::new(
            Code::ConcurrentChange,
            "the course changed meanwhile; read it again and retry",
        ));
    }
    repo::find(tx.conn(), &crate::auth::Scope::All, c.id)
        .await?
        .ok_or_else(|| AppError::bug("a course vanished inside its transaction"))
}

#[tracing::instrument(skip_all, fields(course = %id))]
pub async fn update(
    cx: &Cx<Editors>,
    id: Uuid,
    if_match: &IfMatch,
    body: CourseUpdate,
) -> AppResult<Versioned<Course>> {
    let mut tx = cx.begin().await?;
    let c = find(tx.conn(), &cx.audit, &cx.actor, id).await?;
    if_match.check(c.version)?;
    institutions::service::acting_for(tx.conn(), &cx.actor, c.institution_id, "courses").await?;
    if serde_json::to_value(&body).map_err(AppError::internal)? == serde_json::json!({}) {
        return Err(AppError::field(
            "body",
            "min_properties",
            "name at least one field to change",
        ));
    }
    let draft = open_draft(&mut tx, &c).await?;
    let categories = match &body.training_categories {
        Some(list) => codes(list),
        None => parse(&draft.training_categories)?,
    };
    let operation_types = match &body.operation_types {
        Some(list) => codes(list),
        None => parse(&draft.operation_types)?,
    };
    check_codes(&categories, &operation_types)?;
    if let Some(list) = &body.teacher_ids {
        check_teachers(tx.conn(), c.institution_id, &ids(list)).await?;
    }
    if let Some(list) = &body.regulation_ids {
        let list = ids(list);
        check_regulations(tx.conn(), &list).await?;
        crate::regulations::service::link(tx.conn(), c.id, draft.number, &list).await?;
    }
    let mut row = draft.clone().into_active_model();
    if let Some(v) = &body.title {
        row.title = Set(v.to_string());
    }
    if let Some(v) = &body.description {
        row.description = Set(v.to_string());
    }
    if let Some(v) = body.hours {
        row.hours_tenths = Set(v.tenths() as i32);
    }
    row.training_categories = Set(json(&categories)?);
    row.operation_types = Set(json(&operation_types)?);
    if let Some(v) = &body.training_types {
        unique("training_types", &codes(v))?;
        row.training_types = Set(json(&codes(v))?);
    }
    if let Some(v) = &body.teacher_ids {
        row.teacher_ids = Set(json(&ids(v))?);
    }
    if let Some(v) = &body.regulation_ids {
        row.regulation_ids = Set(json(&ids(v))?);
    }
    let v = repo::update_version(tx.conn(), row).await?;
    let c = touch(&mut tx, &c, &v).await?;
    let answer = to_dto(c, &v)?;
    emit(&mut tx, &answer, Operation::Updated)?;
    tx.commit(200, &answer.value).await?;
    Ok(answer)
}

#[tracing::instrument(skip_all, fields(course = %id))]
pub async fn versions(cx: &Cx<Readers>, id: Uuid) -> AppResult<Vec<CourseVersion>> {
    let db = cx.db.get_ref();
    find(db, &cx.audit, &cx.actor, id).await?;
    Ok(repo::versions(db, id)
        .await?
        .into_iter()
        .map(|v| CourseVersion {
            number: v.number,
            title: v.title,
            hours: Hours::from_tenths(v.hours_tenths as u32),
            review_status: v.review_status,
            created_at: v.created_at,
            published_at: v.published_at,
        })
        .collect())
}

/// A piece of courseware as answered.
pub(super) fn courseware_dto(m: courseware::Model) -> AppResult<Courseware> {
    let file = match (m.media_type, m.size, m.sha256, m.uploaded_at) {
        (Some(media_type), Some(size), Some(sha256), Some(uploaded_at)) => Some(CoursewareFile {
            media_type,
            size: size as u64,
            sha256,
            uploaded_at,
        }),
        _ => None,
    };
    Ok(Courseware {
        id: m.id,
        course_id: m.course_id,
        version_number: m.version_number,
        title: m.title,
        kind: m.kind,
        position: m.position,
        file,
        video: m.video_facts.as_deref().map(parse).transpose()?,
        video_format: m.format_check.as_deref().map(parse).transpose()?,
        video_quality: m.quality_check.as_deref().map(parse).transpose()?,
        created_at: m.created_at,
    })
}

/// The hits of the screening in every text of a filing, as places in the body.
pub async fn screen(
    cx_db: &impl ConnectionTrait,
    screener: &crate::screening::Screener,
    texts: &[(String, &str)],
) -> AppResult<Vec<FieldError>> {
    let mut found = Vec::new();
    for (field, text) in texts {
        for hit in screener.screen(cx_db, text).await? {
            let category = serde_json::to_value(hit.category).map_err(AppError::internal)?;
            found.push(FieldError::new(
                field.clone(),
                category.as_str().unwrap_or("prohibited"),
                format!(
                    "contains the listed term “{}” at characters {}–{}",
                    hit.term, hit.start, hit.end
                ),
            ));
        }
    }
    Ok(found)
}
