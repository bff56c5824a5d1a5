//! Regulation rules: province admins keep the list; everyone who files or reviews courses
//! reads it. A regulation that is amended (its status, or its dates) sets an update deadline on
//! every course whose published version rests on it.
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect,
};
use uuid::Uuid;

use super::deadline::update_deadline;
use super::dto::*;
use super::entity::{course_regulation, regulation};
use crate::auth::Role;
use crate::changes::Operation;
use crate::context::Cx;
use crate::db;
use crate::db::page::{self, Direction};
use crate::error::{AppError, AppResult};
use crate::http::etag::{IfMatch, Versioned};
use crate::http::pagination::{Cursor, Limit, Page};

pub const RESOURCE: &str = "regulation";

crate::policy!(/// Who reads regulations.
    Readers = &[Role::ProvinceAdmin, Role::CityAdmin, Role::InstitutionAdmin, Role::PlatformOperator]);
crate::policy!(/// Who keeps them.
    Keepers = &[Role::ProvinceAdmin]);

fn to_dto(m: regulation::Model) -> Versioned<Regulation> {
    let deadline = update_deadline(m.kind, m.published_on, m.effective_on);
    Versioned::new(
        Regulation {
            id: m.id,
            title: m.title,
            document_number: m.document_number,
            kind: m.kind,
            issuer: m.issuer,
            published_on: m.published_on,
            effective_on: m.effective_on,
            status: m.status,
            update_deadline: deadline,
            amended_at: m.amended_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        },
        m.version,
    )
}

async fn find<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<regulation::Model> {
    regulation::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)
}

#[tracing::instrument(skip_all)]
pub async fn create(cx: &Cx<Keepers>, body: RegulationCreate) -> AppResult<Versioned<Regulation>> {
    let mut tx = cx.begin().await?;
    let (id, now) = (Uuid::now_v7(), db::now());
    tx.touches(RESOURCE, id, None);
    let row = regulation::ActiveModel {
        id: Set(id),
        title: Set(body.title.to_string()),
        document_number: Set(body.document_number.to_string()),
        kind: Set(body.kind),
        issuer: Set(body.issuer.to_string()),
        published_on: Set(body.published_on.get()),
        effective_on: Set(body.effective_on.get()),
        status: Set(body.status),
        amended_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    let answer = to_dto(row);
    tx.changed(RESOURCE, id, Operation::Created, 1, &answer.value)?;
    tx.commit(201, &answer.value).await?;
    Ok(answer)
}

#[tracing::instrument(skip_all, fields(regulation = %id))]
pub async fn get(cx: &Cx<Readers>, id: Uuid) -> AppResult<Versioned<Regulation>> {
    cx.audit.set_resource(RESOURCE, id, None);
    Ok(to_dto(find(cx.db.get_ref(), id).await?))
}

#[tracing::instrument(skip_all)]
pub async fn list(cx: &Cx<Readers>, q: &RegulationListQuery) -> AppResult<Page<Regulation>> {
    let limit = Limit::of(q.limit);
    let mut query = regulation::Entity::find();
    if let Some(kind) = q.kind {
        query = query.filter(regulation::Column::Kind.eq(kind));
    }
    if let Some(status) = q.status {
        query = query.filter(regulation::Column::Status.eq(status));
    }
    let rows = page::after(
        cx.db.get_ref(),
        query,
        regulation::Column::Id,
        Cursor::key::<Uuid>(&q.cursor)?,
        limit,
        Direction::Ascending,
    )
    .await?;
    Ok(Page::from_rows(rows, limit, |m| m.id, |m| to_dto(m).value))
}

#[tracing::instrument(skip_all, fields(regulation = %id))]
pub async fn update(
    cx: &Cx<Keepers>,
    id: Uuid,
    if_match: &IfMatch,
    body: RegulationUpdate,
) -> AppResult<Versioned<Regulation>> {
    let mut tx = cx.begin().await?;
    tx.touches(RESOURCE, id, None);
    let current = find(tx.conn(), id).await?;
    if_match.check(current.version)?;
    if serde_json::to_value(&body).map_err(AppError::internal)? == serde_json::json!({}) {
        return Err(AppError::field(
            "body",
            "min_properties",
            "name at least one field to change",
        ));
    }
    let mut row: regulation::ActiveModel = current.clone().into();
    if let Some(v) = &body.title {
        row.title = Set(v.to_string());
    }
    if let Some(v) = &body.document_number {
        row.document_number = Set(v.to_string());
    }
    if let Some(v) = &body.issuer {
        row.issuer = Set(v.to_string());
    }
    if let Some(v) = body.published_on {
        row.published_on = Set(v.get());
    }
    if let Some(v) = body.effective_on {
        row.effective_on = Set(v.get());
    }
    if let Some(v) = body.status {
        row.status = Set(v);
    }
    let now = db::now();
    let amended = body.status == Some(RegulationStatus::Amended)
        || body
            .published_on
            .is_some_and(|d| d.get() != current.published_on)
        || body
            .effective_on
            .is_some_and(|d| d.get() != current.effective_on);
    if amended {
        // The courses resting on it get their deadlines from the course deadline job.
        row.amended_at = Set(Some(now));
    }
    row.version = Set(current.version + 1);
    row.updated_at = Set(now);
    let updated = row.update(tx.conn()).await?;
    let answer = to_dto(updated);
    tx.changed(
        RESOURCE,
        id,
        Operation::Updated,
        answer.version,
        &answer.value,
    )?;
    tx.commit(200, &answer.value).await?;
    Ok(answer)
}

/// The regulations among `ids` that exist.
pub async fn existing<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> AppResult<Vec<Uuid>> {
    Ok(regulation::Entity::find()
        .select_only()
        .column(regulation::Column::Id)
        .filter(regulation::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?)
}

/// The regulations version `number` of `course` rests on.
pub async fn of_version<C: ConnectionTrait>(
    db: &C,
    course: Uuid,
    number: i32,
) -> AppResult<Vec<Uuid>> {
    Ok(course_regulation::Entity::find()
        .select_only()
        .column(course_regulation::Column::RegulationId)
        .filter(course_regulation::Column::CourseId.eq(course))
        .filter(course_regulation::Column::VersionNumber.eq(number))
        .into_tuple()
        .all(db)
        .await?)
}

/// Makes version `number` of `course` rest on exactly `ids`.
pub async fn link<C: ConnectionTrait>(
    db: &C,
    course: Uuid,
    number: i32,
    ids: &[Uuid],
) -> AppResult<()> {
    course_regulation::Entity::delete_many()
        .filter(course_regulation::Column::CourseId.eq(course))
        .filter(course_regulation::Column::VersionNumber.eq(number))
        .exec(db)
        .await?;
    for id in ids {
        course_regulation::ActiveModel {
            course_id: Set(course),
            version_number: Set(number),
            regulation_id: Set(*id),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}
