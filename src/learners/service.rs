//! Learner rules: an institution's admin registers and edits its own learners; regulators and
//! platform operators read within their scope, with identity numbers and phones masked; a
//! learner reads itself. Personal values are stored encrypted under a key id and found by
//! their keyed hashes.
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr};
use uuid::Uuid;

use super::dto::*;
use super::entity::{consent, learner};
use super::repo;
use crate::audit::AuditContext;
use crate::auth::{Actor, Policy, Role};
use crate::changes::Operation;
use crate::cities::Catalog;
use crate::context::{CreateSpec, Created, Cx, WriteTx};
use crate::crypto::DataCipher;
use crate::db;
use crate::domain::{IdNumber, OneTimeSecret, Phone};
use crate::error::{AppError, AppResult, Code};
use crate::http::etag::{IfMatch, Versioned};
use crate::http::idempotency::IdempotencyKey;
use crate::http::pagination::{Cursor, Limit, Page};
use crate::institutions;
use crate::reference::codes::SPECIAL_OPERATION;

/// The resource type of this module, in audit records and change events.
pub const RESOURCE: &str = "learner";
pub const CONSENT_RESOURCE: &str = "learner_consent";
const CREATE_ROUTE: &str = "POST /api/v1/learners";
/// The kinds of the keyed look-up hashes.
pub const ID_NUMBER: &str = "id_number";
pub const PHONE: &str = "phone";

crate::policy!(/// Who may read learners.
    Readers = &[Role::ProvinceAdmin, Role::CityAdmin, Role::InstitutionAdmin, Role::PlatformOperator]);
crate::policy!(/// Who may register and edit learners: the institution's own admins.
    Editors = &[Role::InstitutionAdmin]);
crate::policy!(/// The learner itself.
    Selves = &[Role::Learner]);

/// Whether `actor` sees identity numbers and phones in full: the learner's institution (it
/// registers and identifies its learners) and the learner itself; regulators and operators
/// see them masked.
pub fn in_full(actor: &Actor) -> bool {
    matches!(actor.role, Role::InstitutionAdmin | Role::Learner)
}

/// A learner as a caller sees it (`full`: personal values in full).
pub fn to_dto(cipher: &DataCipher, full: bool, m: learner::Model) -> AppResult<Versioned<Learner>> {
    let id_number = cipher.decrypt(&m.id_number_enc).map_err(AppError::bug)?;
    let phone = cipher.decrypt(&m.phone_enc).map_err(AppError::bug)?;
    let industry = Industry::from_db(&m.industry)
        .ok_or_else(|| AppError::bug(format!("learner {} has industry {:?}", m.id, m.industry)))?;
    let portrait = match (
        m.portrait_media_type,
        m.portrait_size,
        m.portrait_sha256,
        m.portrait_width,
        m.portrait_height,
        m.portrait_uploaded_at,
    ) {
        (Some(media_type), Some(size), Some(sha256), Some(w), Some(h), Some(at)) => {
            Some(Portrait {
                media_type,
                size: size as u64,
                sha256,
                width: w as u32,
                height: h as u32,
                uploaded_at: at,
            })
        }
        _ => None,
    };
    let face_consent = match (m.face_consent_version, m.face_consent_at) {
        (Some(text_version), Some(granted_at)) => Some(FaceConsent {
            text_version,
            granted_at,
        }),
        _ => None,
    };
    let learner = Learner {
        id: m.id,
        institution_id: m.institution_id,
        city_code: m.city_code,
        name: m.name,
        id_number: IdNumber::from_db(id_number).shown(full),
        phone: Phone::from_db(phone).shown(full),
        employer_name: m.employer_name,
        employer_credit_code: m.employer_credit_code,
        industry,
        training_category: m.training_category,
        operation_type: m.operation_type,
        training_type: m.training_type,
        portrait,
        face_consent,
        created_at: m.created_at,
        updated_at: m.updated_at,
    };
    Ok(Versioned::new(learner, m.version))
}

/// The caller's row, or 404 for a missing row and another tenant's row alike; the audit
/// record names the learner and its city either way.
async fn find<C: ConnectionTrait>(
    db: &C,
    audit: &AuditContext,
    actor: &Actor,
    id: Uuid,
) -> AppResult<learner::Model> {
    let found = match actor.role {
        // A learner reaches itself only.
        Role::Learner if actor.subject == id.to_string() => repo::find_any(db, id).await?,
        Role::Learner => None,
        _ => repo::find(db, &actor.scope(), id).await?,
    };
    match found {
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

/// A special-operation learner names its operation item; the other categories name none.
pub fn check_operation_type(category: &str, operation_type: Option<&str>) -> AppResult<()> {
    match (category == SPECIAL_OPERATION, operation_type) {
        (true, None) => Err(AppError::field(
            "operation_type",
            "required",
            "a special-operation learner names its operation type",
        )),
        (false, Some(_)) => Err(AppError::field(
            "operation_type",
            "not_allowed",
            "only a special-operation learner names an operation type",
        )),
        _ => Ok(()),
    }
}

pub fn known_city<P: Policy>(cx: &Cx<P>, city: &str) -> AppResult<()> {
    match cx.data::<Catalog>()?.get(city) {
        Some(_) => Ok(()),
        None => Err(AppError::field(
            "city_code",
            "unknown_city",
            "no city module has this code",
        )),
    }
}

/// A unique index of identity numbers or phones, as a 409 naming which; other errors as they are.
pub fn taken(e: DbErr) -> AppError {
    if repo::ID_NUMBER_UNIQUE.violated_by(&e) {
        AppError::new(
            Code::IdNumberTaken,
            "a learner with this identity number exists",
        )
    } else if repo::PHONE_UNIQUE.violated_by(&e) {
        AppError::new(Code::PhoneTaken, "a learner with this phone number exists")
    } else {
        e.into()
    }
}

/// The row of a new learner: `body`'s values, its personal values already encrypted.
pub fn new_row(
    cipher: &DataCipher,
    id: Uuid,
    body: &LearnerCreate,
    password_hash: &str,
    id_number_enc: &str,
    phone_enc: &str,
) -> learner::ActiveModel {
    let now = db::now();
    learner::ActiveModel {
        id: Set(id),
        institution_id: Set(body.institution_id),
        city_code: Set(body.city_code.to_string()),
        name: Set(body.name.to_string()),
        id_number_enc: Set(id_number_enc.to_owned()),
        id_number_hash: Set(cipher.lookup_hash(ID_NUMBER, &body.id_number)),
        phone_enc: Set(phone_enc.to_owned()),
        phone_hash: Set(cipher.lookup_hash(PHONE, &body.phone)),
        employer_name: Set(body.employer_name.to_string()),
        employer_credit_code: Set(body.employer_credit_code.to_string()),
        industry: Set(body.industry.as_str().to_owned()),
        training_category: Set(body.training_category.to_string()),
        operation_type: Set(body.operation_type.as_ref().map(|o| o.to_string())),
        training_type: Set(body.training_type.to_string()),
        password_hash: Set(password_hash.to_owned()),
        password_set_at: Set(now),
        failed_logins: Set(0),
        locked_until: Set(None),
        portrait_key: Set(None),
        portrait_media_type: Set(None),
        portrait_size: Set(None),
        portrait_sha256: Set(None),
        portrait_width: Set(None),
        portrait_height: Set(None),
        portrait_uploaded_at: Set(None),
        face_consent_version: Set(None),
        face_consent_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// Argon2id with the configured cost, off the async threads.
pub async fn hash_password(
    local: &crate::config::LocalSignInSettings,
    password: String,
) -> AppResult<String> {
    let (memory, passes) = (local.argon2_memory_kib, local.argon2_passes);
    tokio::task::spawn_blocking(move || crate::crypto::hash_password(&password, memory, passes))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::bug)
}

/// Emits the learner's new state (in full: the change feed's consumers are the regulators'
/// systems, and the feed is encrypted at rest) and commits with the answer as the caller sees it.
async fn commit(
    mut tx: WriteTx<'_>,
    cipher: &DataCipher,
    row: learner::Model,
) -> AppResult<Versioned<Learner>> {
    let shared = to_dto(cipher, true, row.clone())?;
    tx.changed(
        RESOURCE,
        shared.value.id,
        Operation::Updated,
        shared.version,
        &shared.value,
    )?;
    let answer = to_dto(cipher, in_full(tx.actor()), row)?;
    tx.commit(200, &answer.value).await?;
    Ok(answer)
}

#[tracing::instrument(skip_all, fields(institution = %body.institution_id))]
pub async fn create(
    cx: &Cx<Editors>,
    key: &IdempotencyKey,
    body: LearnerCreate,
) -> AppResult<(Created<Versioned<NewLearner>>, String)> {
    let institution = body.institution_id;
    institutions::service::acting_for(cx.db.get_ref(), &cx.actor, institution, "learners").await?;
    known_city(cx, &body.city_code)?;
    check_operation_type(
        &body.training_category,
        body.operation_type.as_ref().map(|o| o.as_str()),
    )?;
    let cipher = &cx.svc.cipher;
    let generated = match &body.password {
        Some(_) => None,
        None => Some(crate::crypto::generate_password().map_err(AppError::bug)?),
    };
    let password = body
        .password
        .as_ref()
        .map(|p| p.expose().to_owned())
        .or_else(|| generated.clone())
        .unwrap_or_default();
    let password_hash = hash_password(&cx.svc.settings.auth.local, password).await?;
    let encrypt = |v: &str| cipher.encrypt(v).map_err(AppError::bug);
    let (id_number_enc, phone_enc) = (encrypt(&body.id_number)?, encrypt(&body.phone)?);
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
            institutions::service::acting_for(tx.conn(), tx.actor(), institution, "learners")
                .await?;
            let id = Uuid::now_v7();
            tx.touches(RESOURCE, id, Some(&body.city_code));
            let row = new_row(
                cipher,
                id,
                &body,
                &password_hash,
                &id_number_enc,
                &phone_enc,
            );
            let row = repo::insert(tx.conn(), row).await.map_err(taken)?;
            let shared = to_dto(cipher, true, row)?;
            tx.changed(RESOURCE, id, Operation::Created, 1, &shared.value)?;
            let answer = Versioned::new(
                NewLearner {
                    learner: shared.value,
                    initial_password: generated.clone().map(OneTimeSecret::new),
                },
                1,
            );
            Ok((id, answer))
        },
        async |id| {
            let learner = load(cx, id).await?;
            Ok(Versioned::new(
                NewLearner {
                    learner: learner.value,
                    initial_password: None,
                },
                learner.version,
            ))
        },
    )
    .await
}

/// One learner as the caller of any policy sees it.
async fn load<P: Policy<Caller = Actor>>(cx: &Cx<P>, id: Uuid) -> AppResult<Versioned<Learner>> {
    let row = find(cx.db.get_ref(), &cx.audit, &cx.actor, id).await?;
    to_dto(&cx.svc.cipher, in_full(&cx.actor), row)
}

#[tracing::instrument(skip_all, fields(learner = %id))]
pub async fn get(cx: &Cx<Readers>, id: Uuid) -> AppResult<Versioned<Learner>> {
    load(cx, id).await
}

/// The signed-in learner itself.
#[tracing::instrument(skip_all)]
pub async fn me(cx: &Cx<Selves>) -> AppResult<Versioned<Learner>> {
    let id = own_id(&cx.actor)?;
    load(cx, id).await
}

/// The learner id a learner's token names (its subject); 404 for a token of another kind.
pub fn own_id(actor: &Actor) -> AppResult<Uuid> {
    Uuid::parse_str(&actor.subject).map_err(|_| AppError::not_found())
}

#[tracing::instrument(skip_all)]
pub async fn list(cx: &Cx<Readers>, q: &LearnerListQuery) -> AppResult<Page<Learner>> {
    let limit = Limit::of(q.limit);
    let rows = repo::list(
        cx.db.get_ref(),
        &cx.actor.scope(),
        q.institution_id,
        Cursor::key(&q.cursor)?,
        limit,
    )
    .await?;
    let full = in_full(&cx.actor);
    Page::from_rows(rows, limit, |m| m.id, |m| m)
        .try_map(|m| to_dto(&cx.svc.cipher, full, m).map(|v| v.value))
}

#[tracing::instrument(skip_all, fields(learner = %id))]
pub async fn update(
    cx: &Cx<Editors>,
    id: Uuid,
    if_match: &IfMatch,
    body: LearnerUpdate,
) -> AppResult<Versioned<Learner>> {
    if let Some(city) = &body.city_code {
        known_city(cx, city)?;
    }
    let cipher = &cx.svc.cipher;
    let tx = cx.begin().await?;
    let current = find(tx.conn(), &cx.audit, &cx.actor, id).await?;
    if_match.check(current.version)?;
    institutions::service::acting_for(tx.conn(), &cx.actor, current.institution_id, "learners")
        .await?;
    let category = body
        .training_category
        .as_ref()
        .map_or(current.training_category.as_str(), |c| c.as_str());
    let operation_type = match &body.operation_type {
        Some(new) => new.as_ref().map(|o| o.as_str()),
        None => current.operation_type.as_deref(),
    };
    check_operation_type(category, operation_type)?;
    let mut row = learner::ActiveModel::default();
    let mut changed = false;
    macro_rules! set {
        ($field:ident, $value:expr) => {{
            row.$field = Set($value);
            changed = true;
        }};
    }
    if let Some(v) = &body.name {
        set!(name, v.to_string());
    }
    if let Some(v) = &body.id_number {
        set!(id_number_enc, cipher.encrypt(v).map_err(AppError::bug)?);
        row.id_number_hash = Set(cipher.lookup_hash(ID_NUMBER, v));
    }
    if let Some(v) = &body.phone {
        set!(phone_enc, cipher.encrypt(v).map_err(AppError::bug)?);
        row.phone_hash = Set(cipher.lookup_hash(PHONE, v));
    }
    if let Some(v) = &body.employer_name {
        set!(employer_name, v.to_string());
    }
    if let Some(v) = &body.employer_credit_code {
        set!(employer_credit_code, v.to_string());
    }
    if let Some(v) = body.industry {
        set!(industry, v.as_str().to_owned());
    }
    if let Some(v) = &body.city_code {
        set!(city_code, v.to_string());
    }
    if let Some(v) = &body.training_category {
        set!(training_category, v.to_string());
    }
    if let Some(v) = &body.operation_type {
        set!(operation_type, v.as_ref().map(|o| o.to_string()));
    }
    if let Some(v) = &body.training_type {
        set!(training_type, v.to_string());
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
    if !repo::update_if_version(tx.conn(), id, row, current.version)
        .await
        .map_err(taken)?
    {
        return Err(if_match.lost_race());
    }
    let updated = find(tx.conn(), &cx.audit, &cx.actor, id).await?;
    commit(tx, cipher, updated).await
}

/// Records the learner's own consent decision to face processing: a new record every time
/// (a withdrawal too), and the consent in force on the learner.
#[tracing::instrument(skip_all, fields(learner = %id))]
pub async fn consent(cx: &Cx<Selves>, id: Uuid, body: ConsentCreate) -> AppResult<Consent> {
    let mut tx = cx.begin().await?;
    let current = find(tx.conn(), &cx.audit, &cx.actor, id).await?;
    let now = db::now();
    let record = consent::ActiveModel {
        id: Set(Uuid::now_v7()),
        learner_id: Set(id),
        purpose: Set("face_processing".into()),
        text_version: Set(body.text_version.to_string()),
        decision: Set(match body.decision {
            ConsentDecision::Granted => "granted",
            ConsentDecision::Withdrawn => "withdrawn",
        }
        .into()),
        client_ip: Set(cx.client_ip()),
        recorded_at: Set(now),
    };
    let record = repo::insert_consent(tx.conn(), record).await?;
    let granted = body.decision == ConsentDecision::Granted;
    let row = learner::ActiveModel {
        face_consent_version: Set(granted.then(|| body.text_version.to_string())),
        face_consent_at: Set(granted.then_some(now)),
        version: Set(current.version + 1),
        updated_at: Set(now),
        ..Default::default()
    };
    if !repo::update_if_version(tx.conn(), id, row, current.version).await? {
        return Err(AppError::new(
            Code::ConcurrentChange,
            "the learner changed meanwhile; retry",
        ));
    }
    let answer = Consent {
        id: record.id,
        learner_id: id,
        purpose: body.purpose,
        text_version: record.text_version,
        decision: body.decision,
        recorded_at: now,
    };
    tx.changed(CONSENT_RESOURCE, answer.id, Operation::Created, 1, &answer)?;
    let updated = find(tx.conn(), &cx.audit, &cx.actor, id).await?;
    let shared = to_dto(&cx.svc.cipher, true, updated)?;
    tx.changed(
        RESOURCE,
        id,
        Operation::Updated,
        shared.version,
        &shared.value,
    )?;
    tx.commit(201, &answer).await?;
    Ok(answer)
}

/// Replaces the learner's reference photo: checked by its content, encrypted, kept in the blob
/// store (face images are personal data at rest too); the photo it replaces is deleted.
#[tracing::instrument(skip_all, fields(learner = %id))]
pub async fn put_portrait(
    cx: &Cx<Editors>,
    id: Uuid,
    upload: crate::http::upload::Upload,
) -> AppResult<Versioned<Learner>> {
    use crate::media::image::{self, ImageType};
    let current = find(cx.db.get_ref(), &cx.audit, &cx.actor, id).await?;
    institutions::service::acting_for(
        cx.db.get_ref(),
        &cx.actor,
        current.institution_id,
        "learners",
    )
    .await?;
    let declared = ImageType::from_media_type(&upload.media_type)
        .ok_or_else(|| AppError::bug("an upload of a type the route does not take"))?;
    let bytes = upload.read_all().await?;
    let tail = &bytes[bytes.len().saturating_sub(64)..];
    let facts = image::inspect(declared, &bytes, tail)
        .map_err(|e| AppError::new(Code::FileRejected, e.0))?;
    let sha256 = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&bytes))
    };
    let sealed = cx.svc.cipher.encrypt_bytes(&bytes).map_err(AppError::bug)?;
    let key = format!("learners/{id}/portrait/{}", Uuid::now_v7());
    let blobs = &cx.svc.blobs;
    blobs
        .put_bytes(&key, sealed.into())
        .await
        .map_err(crate::http::upload::store_failed)?;
    let written = async {
        let tx = cx.begin().await?;
        let current = find(tx.conn(), &cx.audit, &cx.actor, id).await?;
        let now = db::now();
        let row = learner::ActiveModel {
            portrait_key: Set(Some(key.clone())),
            portrait_media_type: Set(Some(facts.kind.media_type().to_owned())),
            portrait_size: Set(Some(bytes.len() as i64)),
            portrait_sha256: Set(Some(sha256.clone())),
            portrait_width: Set(Some(facts.width as i32)),
            portrait_height: Set(Some(facts.height as i32)),
            portrait_uploaded_at: Set(Some(now)),
            version: Set(current.version + 1),
            updated_at: Set(now),
            ..Default::default()
        };
        if !repo::update_if_version(tx.conn(), id, row, current.version).await? {
            return Err(AppError::new(
                Code::ConcurrentChange,
                "the learner changed meanwhile; retry",
            ));
        }
        let updated = find(tx.conn(), &cx.audit, &cx.actor, id).await?;
        let answer = commit(tx, &cx.svc.cipher, updated).await?;
        Ok::<_, AppError>((answer, current.portrait_key))
    }
    .await;
    blobs.settle(&key, written).await
}

/// The learner's portrait, decrypted, for the face verifier.
pub async fn portrait_bytes<C: ConnectionTrait>(
    db: &C,
    cipher: &DataCipher,
    blobs: &crate::blobs::Blobs,
    learner: Uuid,
) -> AppResult<Option<Vec<u8>>> {
    let Some(row) = repo::find_any(db, learner).await? else {
        return Ok(None);
    };
    let Some(key) = row.portrait_key else {
        return Ok(None);
    };
    let sealed = blobs
        .read_all(&key)
        .await
        .map_err(crate::http::upload::store_failed)?;
    cipher
        .decrypt_bytes(&sealed)
        .map(Some)
        .map_err(AppError::bug)
}
