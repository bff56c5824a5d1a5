//! `Idempotency-Key` on create calls: the same key and body answer the stored response without
//! a second row; the same key with another body answers 422.
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{AppError, FieldError};

pub const HEADER: &str = "Idempotency-Key";

/// The optional `Idempotency-Key` header: 1–200 visible ASCII characters.
pub struct IdempotencyKey(pub Option<String>);

impl FromRequest for IdempotencyKey {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = match req.headers().get(HEADER) {
            None => Ok(IdempotencyKey(None)),
            Some(v) => v
                .to_str()
                .ok()
                .filter(|k| {
                    !k.is_empty() && k.len() <= 200 && k.bytes().all(|b| b.is_ascii_graphic())
                })
                .map(|k| IdempotencyKey(Some(k.to_owned())))
                .ok_or_else(|| {
                    AppError::Validation(vec![FieldError::new(
                        HEADER,
                        "format",
                        "must be 1 to 200 visible ASCII characters",
                    )])
                }),
        };
        std::future::ready(result)
    }
}

/// The `Idempotency-Key` header as the contract documents it.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyHeader {
    /// 1–200 visible ASCII characters; makes the create call safe to retry.
    #[serde(default, rename = "Idempotency-Key")]
    #[param(
        min_length = 1,
        max_length = 200,
        pattern = "^[!-~]{1,200}$",
        example = "create-2026-11-29-0001"
    )]
    pub idempotency_key: String,
}

/// A response stored under a key.
pub struct Stored {
    pub status: u16,
    pub body: serde_json::Value,
    pub location: Option<String>,
}

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
        pub status_code: i32,
        pub response_body: String,
        pub location: Option<String>,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One use of a key: who sent it, on which route, with which request.
pub struct Claim<'a> {
    pub subject: &'a str,
    pub key: &'a str,
    pub route: &'a str,
    pub hash: String,
}

impl<'a> Claim<'a> {
    pub fn new<B: Serialize>(subject: &'a str, key: &'a str, route: &'a str, body: &B) -> Self {
        Self {
            subject,
            key,
            route,
            hash: request_hash(route, body),
        }
    }
}

/// A stable hash of the route and request body.
fn request_hash<B: Serialize>(route: &str, body: &B) -> String {
    let mut h = Sha256::new();
    h.update(route.as_bytes());
    h.update(serde_json::to_vec(body).unwrap_or_default());
    hex::encode(h.finalize())
}

/// The stored answer for this key, if any; 422 when the key was used for another request.
pub async fn lookup<C: ConnectionTrait>(
    db: &C,
    claim: &Claim<'_>,
) -> Result<Option<Stored>, AppError> {
    let id = (claim.subject.to_owned(), claim.key.to_owned());
    let Some(row) = entity::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    if row.request_hash != claim.hash {
        return Err(AppError::IdempotencyMismatch);
    }
    Ok(Some(Stored {
        status: u16::try_from(row.status_code).unwrap_or(200),
        body: serde_json::from_str(&row.response_body).map_err(AppError::internal)?,
        location: row.location,
    }))
}

/// Stores the answer under the key, in the caller's transaction.
pub async fn store<C: ConnectionTrait, B: Serialize>(
    db: &C,
    claim: &Claim<'_>,
    status: u16,
    body: &B,
    location: Option<String>,
) -> Result<(), DbErr> {
    entity::ActiveModel {
        subject: Set(claim.subject.to_owned()),
        key: Set(claim.key.to_owned()),
        route: Set(claim.route.to_owned()),
        request_hash: Set(claim.hash.clone()),
        status_code: Set(status.into()),
        response_body: Set(serde_json::to_string(body).map_err(|e| DbErr::Custom(e.to_string()))?),
        location: Set(location),
        created_at: Set(crate::db::now()),
    }
    .insert(db)
    .await
    .map(|_| ())
}
