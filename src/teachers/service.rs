//! Teacher rules: an institution's admin manages its own teachers (and their photos);
//! regulators and platform operators read within their scope.
use sea_orm::{ActiveValue::Set, ConnectionTrait};
use uuid::Uuid;

use super::dto::*;
use super::entity::teacher;
use super::repo;
use crate::audit::AuditContext;
use crate::auth::{Actor, Policy, Role};
use crate::blobs::Read;
use crate::changes::Operation;
use crate::context::{CreateSpec, Created, Cx, WriteTx};
use crate::db;
use crate::error::{AppError, AppResult, Code};
use crate::http::etag::{IfMatch, Versioned};
use crate::http::idempotency::IdempotencyKey;
use crate::http::pagination::{Cursor, Limit, Page};
use crate::http::upload::{Upload, store_failed};
use crate::institutions;
use crate::media::image::{self, Ends, ImageType};

/// The resource type of this module, in audit records and change events.
pub const RESOURCE: &str = "teacher";
const CREATE_ROUTE: &str = "POST /api/v1/teachers";

crate::policy!(/// Who may read teachers.
    Readers = &[Role::ProvinceAdmin, Role::CityAdmin, Role::InstitutionAdmin, Role::PlatformOperator]);
crate::policy!(/// Who may create and edit teachers: the institution's own admins.
    Editors = &[Role::InstitutionAdmin]);

fn to_dto(m: teacher::Model) -> AppResult<Versioned<Teacher>> {
    let qualifications: Vec<Qualification> =
        serde_json::from_str(&m.qualifications).map_err(AppError::internal)?;
    let specialities: Vec<String> =
        serde_json::from_str(&m.specialities).map_err(AppError::internal)?;
    let photo = match (
        m.photo_media_type,
        m.photo_size,
        m.photo_sha256,
        m.photo_width,
        m.photo_height,
        m.photo_uploaded_at,
    ) {
        (Some(media_type), Some(size), Some(sha256), Some(w), Some(h), Some(at)) => Some(Photo {
            media_type,
            size: size as u64,
            sha256,
            width: w as u32,
            height: h as u32,
            uploaded_at: at,
        }),
        _ => None,
    };
    let teacher = Teacher {
        id: m.id,
        institution_id: m.institution_id,
        city_code: m.city_code,
        name: m.name,
        title: m.title,
        qualifications,
        specialities,
        biography: m.biography,
        photo,
        created_at: m.created_at,
        updated_at: m.updated_at,
    };
    Ok(Versioned::new(teacher, m.version))
}

fn json<T: serde::Serialize>(value: &T) -> AppResult<String> {
    serde_json::to_string(value).map_err(AppError::internal)
}

/// The caller's row, or 404 for a missing row and another tenant's row alike. Either way the
/// audit record names the teacher and its city, so its city bureau sees the attempt.
async fn find<C: ConnectionTrait>(
    db: &C,
    audit: &AuditContext,
    actor: &Actor,
    id: Uuid,
) -> AppResult<teacher::Model> {
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

/// Fails unless the caller acts for `institution` and it has not exited; answers its city.
async fn own_institution<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    institution: Uuid,
) -> AppResult<String> {
    institutions::service::acting_for(db, actor, institution, "teachers").await
}

/// Emits the teacher's new state and commits with the answer.
async fn commit(mut tx: WriteTx<'_>, row: teacher::Model) -> AppResult<Versioned<Teacher>> {
    let answer = to_dto(row)?;
    tx.changed(
        RESOURCE,
        answer.value.id,
        Operation::Updated,
        answer.version,
        &answer.value,
    )?;
    tx.commit(200, &answer.value).await?;
    Ok(answer)
}

#[tracing::instrument(skip_all, fields(institution = %body.institution_id))]
pub async fn create(
    cx: &Cx<Editors>,
    key: &IdempotencyKey,
    body: TeacherCreate,
) -> AppResult<(Created<Versioned<Teacher>>, String)> {
    let city = own_institution(cx.db.get_ref(), &cx.actor, body.institution_id).await?;
    let (qualifications, specialities) = (json(&body.qualifications)?, json(&body.specialities)?);
    let spec = CreateSpec {
        resource_type: RESOURCE,
        route: CREATE_ROUTE,
        key,
        body: &body,
    };
    cx.create(
        spec,
        async |tx: &mut WriteTx<'_>| {
            // Checked again under the write lock: the institution may have exited meanwhile.
            own_institution(tx.conn(), tx.actor(), body.institution_id).await?;
            let (id, now) = (Uuid::now_v7(), db::now());
            tx.touches(RESOURCE, id, Some(&city));
            let row = teacher::ActiveModel {
                id: Set(id),
                institution_id: Set(body.institution_id),
                city_code: Set(city.clone()),
                name: Set(body.name.to_string()),
                title: Set(body.title.to_string()),
                qualifications: Set(qualifications),
                specialities: Set(specialities),
                biography: Set(body.biography.to_string()),
                photo_key: Set(None),
                photo_media_type: Set(None),
                photo_size: Set(None),
                photo_sha256: Set(None),
                photo_width: Set(None),
                photo_height: Set(None),
                photo_uploaded_at: Set(None),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
            };
            let answer = to_dto(repo::insert(tx.conn(), row).await?)?;
            tx.changed(RESOURCE, id, Operation::Created, 1, &answer.value)?;
            Ok((id, answer))
        },
        async |id| load(cx, id).await,
    )
    .await
}

/// One teacher as the caller of any policy sees it.
async fn load<P: Policy<Caller = Actor>>(cx: &Cx<P>, id: Uuid) -> AppResult<Versioned<Teacher>> {
    to_dto(find(cx.db.get_ref(), &cx.audit, &cx.actor, id).await?)
}

#[tracing::instrument(skip_all, fields(teacher = %id))]
pub async fn get(cx: &Cx<Readers>, id: Uuid) -> AppResult<Versioned<Teacher>> {
    load(cx, id).await
}

#[tracing::instrument(skip_all)]
pub async fn list(cx: &Cx<Readers>, q: &TeacherListQuery) -> AppResult<Page<Teacher>> {
    let limit = Limit::of(q.limit);
    let rows = repo::list(
        cx.db.get_ref(),
        &cx.actor.scope(),
        q.institution_id,
        Cursor::key(&q.cursor)?,
        limit,
    )
    .await?;
    Page::from_rows(rows, limit, |m| m.id, |m| m).try_map(|m| to_dto(m).map(|v| v.value))
}

#[tracing::instrument(skip_all, fields(teacher = %id))]
pub async fn update(
    cx: &Cx<Editors>,
    id: Uuid,
    if_match: &IfMatch,
    body: TeacherUpdate,
) -> AppResult<Versioned<Teacher>> {
    let tx = cx.begin().await?;
    let current = find(tx.conn(), &cx.audit, &cx.actor, id).await?;
    if_match.check(current.version)?;
    own_institution(tx.conn(), &cx.actor, current.institution_id).await?;
    let mut row = teacher::ActiveModel::default();
    let mut changed = false;
    if let Some(v) = &body.name {
        row.name = Set(v.to_string());
        changed = true;
    }
    if let Some(v) = &body.title {
        row.title = Set(v.to_string());
        changed = true;
    }
    if let Some(v) = &body.qualifications {
        row.qualifications = Set(json(v)?);
        changed = true;
    }
    if let Some(v) = &body.specialities {
        row.specialities = Set(json(v)?);
        changed = true;
    }
    if let Some(v) = &body.biography {
        row.biography = Set(v.to_string());
        changed = true;
    }
    if !changed {
        return Err(AppError::field(
            "body",
            "min_properties",
            "name at least one field to change",
        ));
    }
    row.version = Set(current.version + 1);
    row.updated_at = Set(db::now());
    if !repo::update_if_version(tx.conn(), id, row, current.version).await? {
        return Err(if_match.lost_race());
    }
    let updated = find(tx.conn(), &cx.audit, &cx.actor, id).await?;
    commit(tx, updated).await
}

/// Replaces a teacher's photo with `upload`: streamed to the blob store, checked by its
/// content, recorded, and the photo it replaces deleted. A file refused leaves nothing.
#[tracing::instrument(skip_all, fields(teacher = %id))]
pub async fn put_photo(
    cx: &Cx<Editors>,
    id: Uuid,
    upload: Upload,
) -> AppResult<Versioned<Teacher>> {
    // Checked before a byte is read: another tenant's teacher, or an exited institution's.
    let current = find(cx.db.get_ref(), &cx.audit, &cx.actor, id).await?;
    own_institution(cx.db.get_ref(), &cx.actor, current.institution_id).await?;
    let declared = ImageType::from_media_type(&upload.media_type)
        .ok_or_else(|| AppError::bug("an upload of a type the route does not take"))?;
    let blobs = &cx.svc.blobs;
    let key = format!("teachers/{id}/photo/{}", Uuid::now_v7());
    let mut ends = Ends::default();
    let stored = upload.store(blobs, &key, |chunk| ends.push(chunk)).await?;
    let facts = match image::inspect(declared, &ends.head, &ends.tail) {
        Ok(facts) => facts,
        Err(e) => {
            blobs.discard(&key).await;
            return Err(AppError::new(Code::FileRejected, e.0));
        }
    };
    let written = async {
        let tx = cx.begin().await?;
        let current = find(tx.conn(), &cx.audit, &cx.actor, id).await?;
        own_institution(tx.conn(), &cx.actor, current.institution_id).await?;
        let now = db::now();
        let row = teacher::ActiveModel {
            photo_key: Set(Some(key.clone())),
            photo_media_type: Set(Some(facts.kind.media_type().to_owned())),
            photo_size: Set(Some(stored.size as i64)),
            photo_sha256: Set(Some(stored.sha256.clone())),
            photo_width: Set(Some(facts.width as i32)),
            photo_height: Set(Some(facts.height as i32)),
            photo_uploaded_at: Set(Some(now)),
            version: Set(current.version + 1),
            updated_at: Set(now),
            ..Default::default()
        };
        if !repo::update_if_version(tx.conn(), id, row, current.version).await? {
            return Err(AppError::new(
                Code::ConcurrentChange,
                "the teacher changed meanwhile; retry",
            ));
        }
        let updated = find(tx.conn(), &cx.audit, &cx.actor, id).await?;
        let answer = commit(tx, updated).await?;
        Ok::<_, AppError>((answer, current.photo_key))
    }
    .await;
    blobs.settle(&key, written).await
}

/// A teacher's photo: its facts and its bytes.
pub struct PhotoFile {
    pub photo: Photo,
    pub body: Read,
}

#[tracing::instrument(skip_all, fields(teacher = %id))]
pub async fn photo(cx: &Cx<Readers>, id: Uuid) -> AppResult<PhotoFile> {
    let row = find(cx.db.get_ref(), &cx.audit, &cx.actor, id).await?;
    let key = row.photo_key.clone();
    let (Some(key), Some(photo)) = (key, to_dto(row)?.value.photo) else {
        return Err(AppError::new(
            Code::NoPhoto,
            "the teacher has no photo yet; upload one with PUT",
        ));
    };
    let body = cx.svc.blobs.get(&key, None).await.map_err(store_failed)?;
    Ok(PhotoFile { photo, body })
}
