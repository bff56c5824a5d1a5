//! The request context every resource handler takes: the caller already admitted by the
//! operation's [`Policy`], the database, the audit context and the shared services. Through it a
//! service opens the one write path ([`WriteTx`]) and a handler answers (so the audit log keeps
//! the answer as its types mask it).
pub mod cache;
mod idempotency;
mod reply;
mod scoped;
mod write;

use std::marker::PhantomData;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use sea_orm::DatabaseConnection;

pub use idempotency::{CreateSpec, Created, purge_expired, spawn_jobs};
pub use scoped::find_in_scope;
pub use write::WriteTx;

use crate::audit::AuditContext;
use crate::auth::{Actor, Policy};
use crate::config::Settings;
use crate::crypto::DataCipher;
use crate::error::AppError;

/// What every handler may use, built once at start. A resource's own shared state (the city
/// catalogue, say) is app data of its own type, read with [`Cx::data`].
pub struct Services {
    pub cipher: DataCipher,
    pub settings: Arc<Settings>,
    pub answers: cache::AnswerCache,
    pub blobs: crate::blobs::Blobs,
    pub clock: crate::clock::Clock,
}

/// The context of one request, for an operation admitting callers by `P`.
pub struct Cx<P: Policy> {
    /// The caller: an [`Actor`], or `()` for public operations.
    pub actor: P::Caller,
    /// The database pool of this server worker.
    pub db: web::Data<DatabaseConnection>,
    pub svc: web::Data<Services>,
    pub audit: AuditContext,
    req: HttpRequest,
    _policy: PhantomData<P>,
}

impl<P: Policy> FromRequest for Cx<P> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let mut build = || {
            let actor = P::admit(req.extensions().get::<Actor>().cloned())?;
            let db = req
                .app_data::<web::Data<DatabaseConnection>>()
                .cloned()
                .ok_or_else(|| AppError::bug("no database pool: the app is not wired"))?;
            let svc = req
                .app_data::<web::Data<Services>>()
                .cloned()
                .ok_or_else(|| AppError::bug("no services: the app is not wired"))?;
            let audit = AuditContext::from_request(req, payload).into_inner()?;
            Ok(Cx {
                actor,
                db,
                svc,
                audit,
                req: req.clone(),
                _policy: PhantomData,
            })
        };
        std::future::ready(build())
    }
}

impl<P: Policy> Cx<P> {
    /// The client's address (through the trusted-proxy rule), as the audit log records it.
    pub fn client_ip(&self) -> String {
        self.req
            .extensions()
            .get::<crate::http::ClientIp>()
            .map_or_else(|| "unknown".into(), crate::http::ClientIp::text)
    }

    /// Shared state of type `T` registered at start (500 if the app was built without it).
    pub fn data<T: 'static>(&self) -> Result<web::Data<T>, AppError> {
        self.req.app_data::<web::Data<T>>().cloned().ok_or_else(|| {
            AppError::bug(format!(
                "no {}: the app is not wired",
                std::any::type_name::<T>()
            ))
        })
    }
}
