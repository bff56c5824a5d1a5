//! Institution rules: who may do what, the lifecycle, and the transaction that writes the
//! change together with its audit record.
use sea_orm::{ActiveValue::Set, DatabaseConnection, DatabaseTransaction};
use uuid::Uuid;

use super::credit_code::CreditCode;
use super::dto::*;
use super::entity::{institution, status_change};
use super::repo;
use super::status::InstitutionStatus;
use crate::audit::AuditContext;
use crate::auth::{Actor, Role, Scope};
use crate::cities::Catalog;
use crate::crypto::{DataCipher, mask_phone};
use crate::db;
use crate::error::{AppError, AppResult, is_unique_violation};
use crate::http::etag::{IfMatch, etag};
use crate::http::idempotency::{self, Stored};
use crate::http::pagination::{Page, decode_cursor};

pub const RESOURCE: &str = "institution";
const CREATE_ROUTE: &str = "POST /api/v1/institutions";
const READERS: &[Role] = &[
    Role::ProvinceAdmin,
    Role::CityAdmin,
    Role::InstitutionAdmin,
    Role::PlatformOperator,
];
const EDITORS: &[Role] = &[Role::ProvinceAdmin, Role::CityAdmin, Role::InstitutionAdmin];
const REGULATORS: &[Role] = &[Role::ProvinceAdmin, Role::CityAdmin];

crate::policy!(/// Who may read institutions.
    Readers = READERS);
crate::policy!(/// Who may edit an institution's profile.
    Editors = EDITORS);
crate::policy!(/// Who may create institutions and change their status.
    Regulators = REGULATORS);

/// What a service call needs to know about the request.
pub struct Ctx<'a> {
    pub db: &'a DatabaseConnection,
    pub cities: &'a Catalog,
    pub cipher: &'a DataCipher,
    pub actor: &'a Actor,
    pub audit: &'a AuditContext,
}

/// An institution with its current ETag.
pub struct Tagged {
    pub institution: Institution,
    pub etag: String,
}

/// The outcome of a create call.
pub enum Created {
    New(Box<Tagged>),
    Replayed(Stored),
}

impl Ctx<'_> {
    fn to_dto(&self, m: institution::Model) -> AppResult<Institution> {
        let phone = self
            .cipher
            .decrypt(&m.contact_phone_enc)
            .map_err(|e| AppError::internal(std::io::Error::other(e)))?;
        let contact_phone = if EDITORS.contains(&self.actor.role) {
            phone
        } else {
            mask_phone(&phone)
        };
        let status = m
            .status
            .parse()
            .map_err(|e: String| AppError::internal(std::io::Error::other(e)))?;
        Ok(Institution {
            id: m.id,
            name: m.name,
            credit_code: m.credit_code,
            city_code: m.city_code,
            registered_address: m.registered_address,
            office_address: m.office_address,
            legal_representative: m.legal_representative,
            contact_name: m.contact_name,
            contact_phone,
            business_term_end: m.business_term_end,
            platform_url: m.platform_url,
            introduction: m.introduction,
            status,
            registered_at: m.registered_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }

    fn tagged(&self, m: institution::Model) -> AppResult<Tagged> {
        let etag = etag(m.version);
        Ok(Tagged {
            institution: self.to_dto(m)?,
            etag,
        })
    }

    fn encrypt(&self, plain: &str) -> AppResult<String> {
        self.cipher
            .encrypt(plain)
            .map_err(|e| AppError::internal(std::io::Error::other(e)))
    }

    /// The caller's row, or 404 for a missing row and for another tenant's row alike.
    async fn find<C: sea_orm::ConnectionTrait>(
        &self,
        db: &C,
        id: Uuid,
    ) -> AppResult<institution::Model> {
        self.audit.set_resource(RESOURCE, id, None);
        let row = repo::find(db, &self.actor.scope(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.audit.set_resource(RESOURCE, id, Some(&row.city_code));
        Ok(row)
    }

    /// Writes the audit record of a successful write and commits.
    async fn commit<B: serde::Serialize>(
        &self,
        txn: DatabaseTransaction,
        status: u16,
        body: &B,
    ) -> AppResult<()> {
        self.audit.record_in(&txn, self.actor, status, body).await?;
        txn.commit().await?;
        Ok(())
    }
}

fn status_record(
    id: Uuid,
    from: Option<InstitutionStatus>,
    to: InstitutionStatus,
    reason: &str,
    actor: &Actor,
) -> status_change::ActiveModel {
    status_change::ActiveModel {
        id: Set(Uuid::now_v7()),
        institution_id: Set(id),
        from_status: Set(from.map(|s| s.as_str().to_owned())),
        to_status: Set(to.as_str().to_owned()),
        reason: Set(reason.to_owned()),
        actor_subject: Set(actor.subject.clone()),
        actor_role: Set(actor.role.as_str().to_owned()),
        occurred_at: Set(db::now()),
    }
}

pub async fn create(
    cx: &Ctx<'_>,
    key: Option<&str>,
    body: InstitutionCreate,
) -> AppResult<Created> {
    cx.actor.require(REGULATORS)?;
    if let Scope::City(city) = cx.actor.scope()
        && city != body.city_code
    {
        return Err(AppError::Forbidden {
            code: "city_out_of_scope",
            detail: "a city admin registers institutions in its own city only".into(),
        });
    }
    // Checked before the write lock is taken: a bad body must not hold up other writers.
    if cx.cities.get(&body.city_code).is_none() {
        return Err(AppError::field(
            "city_code",
            "unknown_city",
            "no city module has this code",
        ));
    }
    let credit_code = CreditCode::parse(&body.credit_code)
        .map_err(|e| AppError::field("credit_code", e.0, e.1))?
        .to_string();
    let claim = key.map(|key| idempotency::Claim::new(&cx.actor.subject, key, CREATE_ROUTE, &body));
    let txn = db::begin_write(cx.db).await?;
    if let Some(claim) = &claim
        && let Some(stored) = idempotency::lookup(&txn, claim).await?
    {
        return Ok(Created::Replayed(stored));
    }
    let (id, now) = (Uuid::now_v7(), db::now());
    let row = institution::ActiveModel {
        id: Set(id),
        name: Set(body.name.trim().to_owned()),
        credit_code: Set(credit_code),
        city_code: Set(body.city_code.clone()),
        registered_address: Set(body.registered_address),
        office_address: Set(body.office_address),
        legal_representative: Set(body.legal_representative),
        contact_name: Set(body.contact_name),
        contact_phone_enc: Set(cx.encrypt(&body.contact_phone)?),
        business_term_end: Set(body.business_term_end),
        platform_url: Set(body.platform_url),
        introduction: Set(body.introduction),
        status: Set(InstitutionStatus::Applied.as_str().to_owned()),
        version: Set(1),
        registered_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let model = match repo::insert(&txn, row).await {
        Ok(model) => model,
        Err(e) if is_unique_violation(&e) => {
            // On PostgreSQL a concurrent retry with the same key waits on the first request's
            // row and then collides with it: the first request's answer is the one to give.
            drop(txn);
            if let Some(claim) = &claim
                && let Some(stored) = idempotency::lookup(cx.db, claim).await?
            {
                return Ok(Created::Replayed(stored));
            }
            return Err(AppError::Conflict {
                code: "credit_code_taken",
                detail: "an institution with this credit code exists".into(),
            });
        }
        Err(e) => return Err(e.into()),
    };
    repo::insert_status_change(
        &txn,
        status_record(id, None, InstitutionStatus::Applied, "created", cx.actor),
    )
    .await?;
    cx.audit.set_resource(RESOURCE, id, Some(&body.city_code));
    let tagged = cx.tagged(model)?;
    if let Some(claim) = &claim {
        let location = format!("/api/v1/institutions/{id}");
        let stored =
            idempotency::store(&txn, claim, 201, &tagged.institution, Some(location)).await;
        if let Err(e) = stored {
            if !is_unique_violation(&e) {
                return Err(e.into());
            }
            // A concurrent request with the same key won the race: answer as it did.
            drop(txn);
            return match idempotency::lookup(cx.db, claim).await? {
                Some(stored) => Ok(Created::Replayed(stored)),
                None => Err(AppError::Conflict {
                    code: "idempotency_in_progress",
                    detail: "retry the request".into(),
                }),
            };
        }
    }
    cx.commit(txn, 201, &tagged.institution).await?;
    Ok(Created::New(Box::new(tagged)))
}

pub async fn get(cx: &Ctx<'_>, id: Uuid) -> AppResult<Tagged> {
    cx.actor.require(READERS)?;
    let row = cx.find(cx.db, id).await?;
    cx.tagged(row)
}

pub async fn list(cx: &Ctx<'_>, q: &InstitutionListQuery) -> AppResult<Page<Institution>> {
    cx.actor.require(READERS)?;
    if let Some(city) = &q.city_code
        && cx.cities.get(city).is_none()
    {
        return Err(AppError::field(
            "city_code",
            "unknown_city",
            "no city module has this code",
        ));
    }
    let after = q.cursor.as_deref().map(decode_cursor::<Uuid>).transpose()?;
    let limit = page_limit(q.limit);
    let rows = repo::list(
        cx.db,
        &cx.actor.scope(),
        q.city_code.as_deref(),
        q.status,
        after,
        limit,
    )
    .await?;
    let page = Page::from_rows(rows, limit, |m| m.id, |m| m);
    let items = page
        .items
        .into_iter()
        .map(|m| cx.to_dto(m))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

pub async fn update(
    cx: &Ctx<'_>,
    id: Uuid,
    if_match: &IfMatch,
    body: InstitutionUpdate,
) -> AppResult<Tagged> {
    cx.actor.require(EDITORS)?;
    let txn = db::begin_write(cx.db).await?;
    let current = cx.find(&txn, id).await?;
    if_match.check(current.version)?;
    if current.status == InstitutionStatus::Exited.as_str() {
        return Err(AppError::Conflict {
            code: "institution_exited",
            detail: "an exited institution cannot be edited".into(),
        });
    }
    let mut row = institution::ActiveModel::default();
    let mut changed = false;
    macro_rules! apply {
        ($($field:ident),*) => {$(
            if let Some(v) = body.$field { row.$field = Set(v); changed = true; }
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
        row.contact_phone_enc = Set(cx.encrypt(phone)?);
        changed = true;
    }
    if let Some(term) = body.business_term_end {
        row.business_term_end = Set(term);
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
    if !repo::update_if_version(&txn, id, row, current.version).await? {
        return Err(AppError::PreconditionFailed);
    }
    let updated = cx.find(&txn, id).await?;
    let tagged = cx.tagged(updated)?;
    cx.commit(txn, 200, &tagged.institution).await?;
    Ok(tagged)
}

pub async fn change_status(cx: &Ctx<'_>, id: Uuid, body: StatusChangeRequest) -> AppResult<Tagged> {
    cx.actor.require(REGULATORS)?;
    let txn = db::begin_write(cx.db).await?;
    let current = cx.find(&txn, id).await?;
    let from: InstitutionStatus = current
        .status
        .parse()
        .map_err(|e: String| AppError::internal(std::io::Error::other(e)))?;
    if !from.can_become(body.status) {
        return Err(AppError::Conflict {
            code: "illegal_transition",
            detail: format!(
                "an institution that is {from} cannot become {}",
                body.status
            ),
        });
    }
    let now = db::now();
    let mut row = institution::ActiveModel {
        status: Set(body.status.as_str().to_owned()),
        version: Set(current.version + 1),
        updated_at: Set(now),
        ..Default::default()
    };
    if body.status == InstitutionStatus::Registered && current.registered_at.is_none() {
        row.registered_at = Set(Some(now));
    }
    if !repo::update_if_version(&txn, id, row, current.version).await? {
        return Err(AppError::Conflict {
            code: "concurrent_change",
            detail: "the institution changed meanwhile; retry".into(),
        });
    }
    repo::insert_status_change(
        &txn,
        status_record(id, Some(from), body.status, body.reason.trim(), cx.actor),
    )
    .await?;
    let updated = cx.find(&txn, id).await?;
    let tagged = cx.tagged(updated)?;
    cx.commit(txn, 200, &tagged.institution).await?;
    Ok(tagged)
}

pub async fn status_history(
    cx: &Ctx<'_>,
    id: Uuid,
    q: &StatusChangeQuery,
) -> AppResult<Page<StatusChange>> {
    cx.actor.require(READERS)?;
    cx.find(cx.db, id).await?;
    let after = q.cursor.as_deref().map(decode_cursor::<Uuid>).transpose()?;
    let limit = page_limit(q.limit);
    let rows = repo::status_changes(cx.db, id, after, limit).await?;
    Ok(Page::from_rows(
        rows,
        limit,
        |m| m.id,
        |m| StatusChange {
            id: m.id,
            from_status: m.from_status.and_then(|s| s.parse().ok()),
            to_status: m.to_status.parse().unwrap_or(InstitutionStatus::Applied),
            reason: m.reason,
            actor_subject: m.actor_subject,
            actor_role: m.actor_role,
            occurred_at: m.occurred_at,
        },
    ))
}

/// The public registry of one city: registered institutions, in registration order then name.
pub async fn registry(
    db: &DatabaseConnection,
    cities: &Catalog,
    city: &str,
    q: &RegistryQuery,
) -> AppResult<Page<RegistryEntry>> {
    if cities.get(city).is_none() {
        return Err(AppError::NotFound);
    }
    let after = q
        .cursor
        .as_deref()
        .map(decode_cursor::<repo::RegistryKey>)
        .transpose()?;
    let limit = page_limit(q.limit);
    let rows = repo::registry(db, city, after, limit).await?;
    Ok(Page::from_rows(
        rows,
        limit,
        |r| (r.registered_at, r.name.clone(), r.id),
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
