//! Institution rules: who may do what, the lifecycle, and what each write changes, emits and
//! records (through the one write path of [`crate::context`]).
use sea_orm::{ActiveValue::Set, ConnectionTrait};
use uuid::Uuid;

use super::dto::*;
use super::entity::{institution, status_change};
use super::repo;
use super::status::InstitutionStatus;
use crate::audit::AuditContext;
use crate::auth::{Actor, Policy, Public, Role, Scope};
use crate::changes::Operation;
use crate::cities::Catalog;
use crate::context::{CreateSpec, Created, Cx, WriteTx};
use crate::crypto::DataCipher;
use crate::db;
use crate::domain::Phone;
use crate::error::{AppError, AppResult, Code};
use crate::http::etag::{IfMatch, Versioned};
use crate::http::idempotency::IdempotencyKey;
use crate::http::pagination::{Cursor, Limit, Page};

/// The resource types of this module, in audit records and change events.
pub const RESOURCE: &str = "institution";
pub const STATUS_RESOURCE: &str = "institution_status_change";
const CREATE_ROUTE: &str = "POST /api/v1/institutions";

crate::policy!(/// Who may read institutions.
    Readers = &[Role::ProvinceAdmin, Role::CityAdmin, Role::InstitutionAdmin, Role::PlatformOperator]);
crate::policy!(/// Who may edit an institution's profile (and see its contact phone in full).
    Editors = &[Role::ProvinceAdmin, Role::CityAdmin, Role::InstitutionAdmin]);
crate::policy!(/// Who may create institutions and change their status.
    Regulators = &[Role::ProvinceAdmin, Role::CityAdmin]);

/// An institution as `actor` sees it: the contact phone in full for editors only.
fn to_dto(
    cipher: &DataCipher,
    in_full: bool,
    m: institution::Model,
) -> AppResult<Versioned<Institution>> {
    let phone = cipher
        .decrypt(&m.contact_phone_enc)
        .map_err(AppError::bug)?;
    let institution = Institution {
        id: m.id,
        name: m.name,
        credit_code: m.credit_code,
        city_code: m.city_code,
        registered_address: m.registered_address,
        office_address: m.office_address,
        legal_representative: m.legal_representative,
        contact_name: m.contact_name,
        contact_phone: Phone::from_db(phone).shown(in_full),
        business_term_end: m.business_term_end,
        platform_url: m.platform_url,
        introduction: m.introduction,
        status: m.status,
        registered_at: m.registered_at,
        created_at: m.created_at,
        updated_at: m.updated_at,
    };
    Ok(Versioned::new(institution, m.version))
}

fn in_full(actor: &Actor) -> bool {
    actor.has_role(Editors::ROLES)
}

fn to_status_change(m: status_change::Model) -> StatusChange {
    StatusChange {
        id: m.id,
        institution_id: m.institution_id,
        from_status: m.from_status,
        to_status: m.to_status,
        reason: m.reason,
        actor_subject: m.actor_subject,
        actor_role: m.actor_role,
        occurred_at: m.occurred_at,
    }
}

/// The caller's row, or 404 for a missing row and another tenant's row alike. Either way the
/// audit record names the institution and its city, so its city bureau sees the attempt.
async fn find<C: ConnectionTrait>(
    db: &C,
    audit: &AuditContext,
    actor: &Actor,
    id: Uuid,
) -> AppResult<institution::Model> {
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

/// One institution as the caller of any policy sees it.
async fn load<P: Policy<Caller = Actor>>(
    cx: &Cx<P>,
    id: Uuid,
) -> AppResult<Versioned<Institution>> {
    let row = find(cx.db.get_ref(), &cx.audit, &cx.actor, id).await?;
    to_dto(&cx.svc.cipher, in_full(&cx.actor), row)
}

/// Records a lifecycle step, and emits it and the institution's new state.
async fn record_step(
    tx: &mut WriteTx<'_>,
    cipher: &DataCipher,
    row: institution::Model,
    from: Option<InstitutionStatus>,
    reason: &str,
) -> AppResult<Versioned<Institution>> {
    let step = repo::insert_status_change(
        tx.conn(),
        status_change::ActiveModel {
            id: Set(Uuid::now_v7()),
            institution_id: Set(row.id),
            from_status: Set(from),
            to_status: Set(row.status),
            reason: Set(reason.to_owned()),
            actor_subject: Set(tx.actor().subject.clone()),
            actor_role: Set(tx.actor().role.as_str().to_owned()),
            occurred_at: Set(db::now()),
        },
    )
    .await?;
    let (id, version) = (row.id, row.version);
    let shared = to_dto(cipher, true, row)?;
    let operation = if from.is_none() {
        Operation::Created
    } else {
        Operation::Updated
    };
    tx.changed(RESOURCE, id, operation, version, &shared.value)?;
    tx.changed(
        STATUS_RESOURCE,
        step.id,
        Operation::Created,
        1,
        &to_status_change(step),
    )?;
    Ok(shared)
}

#[tracing::instrument(skip_all, fields(city = %body.city_code))]
pub async fn create(
    cx: &Cx<Regulators>,
    key: &IdempotencyKey,
    body: InstitutionCreate,
) -> AppResult<(Created<Versioned<Institution>>, String)> {
    if let Scope::City(city) = cx.actor.scope()
        && city != body.city_code.as_str()
    {
        return Err(AppError::new(
            Code::CityOutOfScope,
            "a city admin registers institutions in its own city only",
        ));
    }
    // Checked before the write lock is taken: a bad body must not hold up other writers.
    if cx.data::<Catalog>()?.get(&body.city_code).is_none() {
        return Err(AppError::field(
            "city_code",
            "unknown_city",
            "no city module has this code",
        ));
    }
    let spec = CreateSpec {
        resource_type: RESOURCE,
        route: CREATE_ROUTE,
        key,
        body: &body,
    };
    let cipher = &cx.svc.cipher;
    cx.create(
        spec,
        async |tx: &mut WriteTx<'_>| {
            let (id, now) = (Uuid::now_v7(), db::now());
            tx.touches(RESOURCE, id, Some(&body.city_code));
            let row = institution::ActiveModel {
                id: Set(id),
                name: Set(body.name.to_string()),
                credit_code: Set(body.credit_code.to_string()),
                city_code: Set(body.city_code.to_string()),
                registered_address: Set(body.registered_address.to_string()),
                office_address: Set(body.office_address.to_string()),
                legal_representative: Set(body.legal_representative.to_string()),
                contact_name: Set(body.contact_name.to_string()),
                contact_phone_enc: Set(cipher
                    .encrypt(&body.contact_phone)
                    .map_err(AppError::bug)?),
                business_term_end: Set(body.business_term_end.map(|d| d.get())),
                platform_url: Set(body.platform_url.to_string()),
                introduction: Set(body.introduction.to_string()),
                status: Set(InstitutionStatus::Applied),
                version: Set(1),
                registered_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            };
            let row = repo::insert(tx.conn(), row).await.map_err(|e| {
                if repo::CREDIT_CODE.violated_by(&e) {
                    AppError::new(
                        Code::CreditCodeTaken,
                        "an institution with this credit code exists",
                    )
                } else {
                    e.into()
                }
            })?;
            let mut answer = record_step(tx, cipher, row, None, "created").await?;
            answer.value.contact_phone = body.contact_phone.shown(in_full(tx.actor()));
            Ok((id, answer))
        },
        async |id| load(cx, id).await,
    )
    .await
}

#[tracing::instrument(skip_all, fields(institution = %id))]
pub async fn get(cx: &Cx<Readers>, id: Uuid) -> AppResult<Versioned<Institution>> {
    load(cx, id).await
}

#[tracing::instrument(skip_all)]
pub async fn list(cx: &Cx<Readers>, q: &InstitutionListQuery) -> AppResult<Page<Institution>> {
    if let Some(city) = &q.city_code
        && cx.data::<Catalog>()?.get(city).is_none()
    {
        return Err(AppError::field(
            "city_code",
            "unknown_city",
            "no city module has this code",
        ));
    }
    let limit = Limit::of(q.limit);
    let rows = repo::list(
        cx.db.get_ref(),
        &cx.actor.scope(),
        q.city_code.as_deref(),
        q.status,
        Cursor::key(&q.cursor)?,
        limit,
    )
    .await?;
    let full = in_full(&cx.actor);
    Page::from_rows(rows, limit, |m| m.id, |m| m)
        .try_map(|m| to_dto(&cx.svc.cipher, full, m).map(|v| v.value))
}

#[tracing::instrument(skip_all, fields(institution = %id))]
pub async fn update(
    cx: &Cx<Editors>,
    id: Uuid,
    if_match: &IfMatch,
    body: InstitutionUpdate,
) -> AppResult<Versioned<Institution>> {
    let mut tx = cx.begin().await?;
    let current = find(tx.conn(), &cx.audit, &cx.actor, id).await?;
    if_match.check(current.version)?;
    if current.status == InstitutionStatus::Exited {
        return Err(AppError::new(
            Code::InstitutionExited,
            "an exited institution cannot be edited",
        ));
    }
    let mut row = institution::ActiveModel::default();
    let mut changed = false;
    macro_rules! apply {
        ($($field:ident),*) => {$(
            if let Some(v) = &body.$field { row.$field = Set(v.to_string()); changed = true; }
        )*};
    }
    apply!(
        name,
        registered_address,
        office_address,
        legal_representative,
        contact_name,
        platform_url,
        introduction
    );
    if let Some(phone) = &body.contact_phone {
        row.contact_phone_enc = Set(cx.svc.cipher.encrypt(phone).map_err(AppError::bug)?);
        changed = true;
    }
    if let Some(term) = body.business_term_end {
        row.business_term_end = Set(term.map(|d| d.get()));
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
    tx.invalidate(registry_scope(&updated.city_code)).await?;
    let shared = to_dto(&cx.svc.cipher, true, updated)?;
    tx.changed(
        RESOURCE,
        id,
        Operation::Updated,
        shared.version,
        &shared.value,
    )?;
    let mut answer = shared;
    answer.value.contact_phone = reshow(&answer.value.contact_phone, in_full(&cx.actor));
    tx.commit(200, &answer.value).await?;
    Ok(answer)
}

/// A phone shown in full, as a caller who may or may not see it in full sees it.
fn reshow(phone: &crate::domain::ShownPhone, in_full: bool) -> crate::domain::ShownPhone {
    Phone::from_db(phone.as_str().to_owned()).shown(in_full)
}

#[tracing::instrument(skip_all, fields(institution = %id, to = %body.status))]
pub async fn change_status(
    cx: &Cx<Regulators>,
    id: Uuid,
    body: StatusChangeRequest,
) -> AppResult<Versioned<Institution>> {
    let mut tx = cx.begin().await?;
    let current = find(tx.conn(), &cx.audit, &cx.actor, id).await?;
    let from = current.status;
    if !from.can_become(body.status) {
        return Err(AppError::new(
            Code::IllegalTransition,
            format!(
                "an institution that is {from} cannot become {}",
                body.status
            ),
        ));
    }
    let now = db::now();
    let mut row = institution::ActiveModel {
        status: Set(body.status),
        version: Set(current.version + 1),
        updated_at: Set(now),
        ..Default::default()
    };
    if body.status == InstitutionStatus::Registered && current.registered_at.is_none() {
        row.registered_at = Set(Some(now));
    }
    if !repo::update_if_version(tx.conn(), id, row, current.version).await? {
        return Err(AppError::new(
            Code::ConcurrentChange,
            "the institution changed meanwhile; retry",
        ));
    }
    let updated = find(tx.conn(), &cx.audit, &cx.actor, id).await?;
    tx.invalidate(registry_scope(&updated.city_code)).await?;
    let mut answer =
        record_step(&mut tx, &cx.svc.cipher, updated, Some(from), &body.reason).await?;
    answer.value.contact_phone = reshow(&answer.value.contact_phone, in_full(&cx.actor));
    tx.commit(200, &answer.value).await?;
    Ok(answer)
}

#[tracing::instrument(skip_all, fields(institution = %id))]
pub async fn status_history(
    cx: &Cx<Readers>,
    id: Uuid,
    q: &StatusChangeQuery,
) -> AppResult<Page<StatusChange>> {
    find(cx.db.get_ref(), &cx.audit, &cx.actor, id).await?;
    let limit = Limit::of(q.limit);
    let rows = repo::status_changes(cx.db.get_ref(), id, Cursor::key(&q.cursor)?, limit).await?;
    Ok(Page::from_rows(rows, limit, |m| m.id, to_status_change))
}

/// The city and status of an institution, whatever the caller's scope (for the resources an
/// institution owns, which check it themselves); `None` when there is none.
pub async fn standing<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> AppResult<Option<(String, InstitutionStatus)>> {
    Ok(repo::find(db, &Scope::All, id)
        .await?
        .map(|row| (row.city_code, row.status)))
}

/// Fails unless `actor` acts for `institution` (403 otherwise) and it has not exited (409);
/// answers its city. `what` names what the caller manages, for the message.
pub async fn acting_for<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    institution: Uuid,
    what: &str,
) -> AppResult<String> {
    if actor.institution != Some(institution) {
        return Err(AppError::new(
            Code::InstitutionOutOfScope,
            format!("an institution admin manages its own institution's {what} only"),
        ));
    }
    match standing(db, institution).await? {
        None => Err(AppError::field(
            "institution_id",
            "unknown_institution",
            "no institution has this id",
        )),
        Some((_, InstitutionStatus::Exited)) => Err(AppError::new(
            Code::InstitutionExited,
            format!("an exited institution cannot change its {what}"),
        )),
        Some((city, _)) => Ok(city),
    }
}

/// The answer-cache scope of a city's public registry: every write that can change what it
/// shows invalidates it.
pub fn registry_scope(city: &str) -> String {
    format!("registry:{city}")
}

/// Fails with 404 unless `city` is a city module.
pub fn known_city(cx: &Cx<Public>, city: &str) -> AppResult<()> {
    match cx.data::<Catalog>()?.get(city) {
        Some(_) => Ok(()),
        None => Err(AppError::not_found()),
    }
}

/// The public registry of one city: registered institutions, in registration order then name.
#[tracing::instrument(skip_all, fields(city = city))]
pub async fn registry(
    cx: &Cx<Public>,
    city: &str,
    q: &RegistryQuery,
) -> AppResult<Page<RegistryEntry>> {
    let limit = Limit::of(q.limit);
    let rows = repo::registry(cx.db.get_ref(), city, Cursor::key(&q.cursor)?, limit).await?;
    Ok(Page::from_rows(
        rows,
        limit,
        |r| RegistryKey(r.registered_at, r.name.clone(), r.id),
        |r| RegistryEntry {
            id: r.id,
            name: r.name,
            credit_code: r.credit_code,
            city_code: r.city_code,
            registered_address: r.registered_address,
            office_address: r.office_address,
            platform_url: r.platform_url,
            introduction: r.introduction,
            business_term_end: r.business_term_end,
            registered_at: r.registered_at,
        },
    ))
}
