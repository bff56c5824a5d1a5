//! The idempotency protocol of create calls, in one place: a key is claimed per caller (issuer
//! and subject), its request fingerprinted; the same key and request answer the resource as it
//! is now (`Idempotent-Replayed: true`) and create nothing; the same key with another request
//! answers 422. Only the new resource's id is kept, never the answer, so no personal data is
//! stored with a key; keys expire after `idempotency.ttl_hours` and are purged by a job.
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, QueryFilter};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Cx, WriteTx};
use crate::auth::{Actor, Policy};
use crate::error::{AppError, AppResult, Code};
use crate::http::idempotency::IdempotencyKey;

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "idempotency_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub subject: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub route: String,
        pub request_hash: String,
        pub resource_type: String,
        pub resource_id: Uuid,
        pub status_code: i32,
        pub location: String,
        pub created_at: ChronoDateTimeUtc,
        pub expires_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{Column, Entity};

/// One use of a key: by whom, on which operation, with which request.
#[derive(Debug, Clone)]
pub(super) struct Claim {
    subject: String,
    key: String,
    route: &'static str,
    hash: String,
    ttl_hours: u32,
}

impl Claim {
    fn new<B: Serialize>(
        actor: &Actor,
        key: &str,
        route: &'static str,
        body: &B,
        ttl: u32,
    ) -> Self {
        let mut h = Sha256::new();
        h.update(route.as_bytes());
        h.update([0u8]);
        h.update(serde_json::to_vec(body).unwrap_or_default());
        Self {
            subject: actor.key(),
            key: key.to_owned(),
            route,
            hash: hex::encode(h.finalize()),
            ttl_hours: ttl,
        }
    }
}

/// The outcome of a create call.
pub enum Created<T> {
    New(T),
    /// A retry with the same `Idempotency-Key`: the resource the first call created, as it is now.
    Replayed(T),
}

/// The resource an unexpired use of the key created; 422 when the key was used for another
/// request.
async fn lookup<C: ConnectionTrait>(db: &C, claim: &Claim) -> AppResult<Option<Uuid>> {
    let row = Entity::find_by_id((claim.subject.clone(), claim.key.clone()))
        .filter(Column::ExpiresAt.gt(crate::db::now()))
        .one(db)
        .await?;
    match row {
        None => Ok(None),
        Some(row) if row.request_hash == claim.hash => Ok(Some(row.resource_id)),
        Some(_) => Err(AppError::new(
            Code::IdempotencyKeyReused,
            "this Idempotency-Key was used with a different request",
        )),
    }
}

/// Stores the key with the created resource, in the create's transaction (an expired use of
/// the same key gives way).
pub(super) async fn store<C: ConnectionTrait>(
    db: &C,
    claim: &Claim,
    resource_type: &str,
    resource_id: Uuid,
    status: u16,
    location: &str,
) -> Result<(), DbErr> {
    let now = crate::db::now();
    Entity::delete_many()
        .filter(Column::Subject.eq(claim.subject.as_str()))
        .filter(Column::Key.eq(claim.key.as_str()))
        .filter(Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    entity::ActiveModel {
        subject: Set(claim.subject.clone()),
        key: Set(claim.key.clone()),
        route: Set(claim.route.to_owned()),
        request_hash: Set(claim.hash.clone()),
        resource_type: Set(resource_type.to_owned()),
        resource_id: Set(resource_id),
        status_code: Set(status.into()),
        location: Set(location.to_owned()),
        created_at: Set(now),
        expires_at: Set(now + chrono::Duration::hours(claim.ttl_hours.into())),
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// Deletes expired keys; answers how many went.
pub async fn purge_expired<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    Ok(Entity::delete_many()
        .filter(Column::ExpiresAt.lte(crate::db::now()))
        .exec(db)
        .await?
        .rows_affected)
}

/// What a create is: the type of resource it makes, its route (`POST /api/v1/…`, the key's
/// scope and the base of the new resource's location), its key and its request.
pub struct CreateSpec<'a, B> {
    pub resource_type: &'static str,
    pub route: &'static str,
    pub key: &'a IdempotencyKey,
    pub body: &'a B,
}

impl<P: Policy<Caller = Actor>> Cx<P> {
    /// Runs a create under the idempotency protocol. `write` inserts the resource in the
    /// transaction and answers its id and the answer to send; `load` reads a resource as the
    /// caller may see it, for a replay. Answers the outcome and the new resource's location. A create that fails (on a unique
    /// constraint, say) because a concurrent retry with the same key won answers as that
    /// retry did.
    pub async fn create<B, T>(
        &self,
        spec: CreateSpec<'_, B>,
        write: impl AsyncFnOnce(&mut WriteTx<'_>) -> AppResult<(Uuid, T)>,
        load: impl AsyncFnOnce(Uuid) -> AppResult<T>,
    ) -> AppResult<(Created<T>, String)>
    where
        B: Serialize,
        T: Serialize,
    {
        let ttl = self.svc.settings.idempotency.ttl_hours;
        let claim = spec
            .key
            .0
            .as_deref()
            .map(|key| Claim::new(&self.actor, key, spec.route, spec.body, ttl));
        if let Some(claim) = &claim
            && let Some(id) = lookup(self.db.get_ref(), claim).await?
        {
            return Ok((
                Created::Replayed(load(id).await?),
                location_of(spec.route, id),
            ));
        }
        let mut tx = self.begin().await?;
        if let Some(claim) = &claim
            && let Some(id) = lookup(tx.conn(), claim).await?
        {
            drop(tx);
            return Ok((
                Created::Replayed(load(id).await?),
                location_of(spec.route, id),
            ));
        }
        tx.claim = claim.clone();
        let outcome = match write(&mut tx).await {
            Ok((id, answer)) => {
                let location = location_of(spec.route, id);
                tx.finish(201, &answer, Some((spec.resource_type, id, &location)))
                    .await
                    .map(|()| (location, answer))
            }
            Err(e) => {
                drop(tx);
                Err(e)
            }
        };
        match outcome {
            Ok((location, answer)) => Ok((Created::New(answer), location)),
            Err(e) => {
                // A concurrent retry with the same key may have won (a unique constraint of
                // the resource, or of the key itself, stopped this one): answer as it did.
                if let Some(claim) = &claim
                    && let Some(id) = lookup(self.db.get_ref(), claim).await?
                {
                    return Ok((
                        Created::Replayed(load(id).await?),
                        location_of(spec.route, id),
                    ));
                }
                Err(e)
            }
        }
    }
}

/// `/api/v1/institutions` + `/` + id: the location of a resource created on `route`.
fn location_of(route: &str, id: Uuid) -> String {
    let path = route.split_once(' ').map_or(route, |(_, p)| p);
    format!("{path}/{id}")
}

/// Starts the hourly purge of expired keys.
pub fn spawn_jobs(
    jobs: &mut crate::jobs::Jobs,
    db: &sea_orm::DatabaseConnection,
    lease_ttl: std::time::Duration,
) {
    let purge_db = db.clone();
    jobs.spawn_leased(
        "idempotency_purge",
        db.clone(),
        lease_ttl,
        std::time::Duration::from_secs(3600),
        move || {
            let db = purge_db.clone();
            async move {
                if let Err(e) = purge_expired(&db).await {
                    tracing::warn!(error.chain = %crate::error::error_chain(&e), "purging idempotency keys failed");
                }
                crate::jobs::Step::Idle
            }
        },
    );
}
