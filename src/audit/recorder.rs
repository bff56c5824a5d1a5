//! The request recorder: every `/api/v1` request leaves one audit record. Writes that change data
//! record themselves inside their own transaction (see [`AuditContext::record_in`]); everything
//! else is handed to the batch writer after the response is built.
use std::sync::{Arc, Mutex};
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::StreamExt;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr};
use serde::Serialize;
use uuid::Uuid;

use super::bodies::Detached;
use super::entity;
use super::sanitize;
use super::writer::Pending;
use crate::auth::Actor;
use crate::error::AppError;
use crate::http::request_id::RequestId;
use crate::state::AppState;

/// What is known of the request being audited; shared by the recorder and the handler.
#[derive(Clone)]
pub struct AuditContext(Arc<Mutex<Draft>>);

struct Draft {
    request_id: Uuid,
    occurred_at: chrono::DateTime<chrono::Utc>,
    started: Instant,
    client_ip: String,
    method: String,
    route: String,
    request_body: Option<String>,
    resource: Option<(String, String, Option<String>)>,
    actor: Option<Actor>,
    persisted: bool,
}

impl AuditContext {
    fn lock(&self) -> std::sync::MutexGuard<'_, Draft> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records who is calling (set by the authentication layer).
    pub fn set_actor(&self, actor: &Actor) {
        self.lock().actor = Some(actor.clone());
    }

    /// Names the resource the request touches (type, id, owning city).
    pub fn set_resource(&self, kind: &str, id: impl ToString, city: Option<&str>) {
        self.lock().resource = Some((kind.into(), id.to_string(), city.map(str::to_owned)));
    }

    /// Writes the record of a successful write inside the caller's transaction.
    pub async fn record_in<C: ConnectionTrait, B: Serialize>(
        &self,
        db: &C,
        actor: &Actor,
        status: u16,
        response: &B,
    ) -> Result<(), DbErr> {
        let body = serde_json::to_value(response).map_err(|e| DbErr::Custom(e.to_string()))?;
        let pending = self
            .lock()
            .to_record(Some(actor), status, sanitize::value_for_audit(&body));
        pending.bodies.store(db).await?;
        pending.record.insert(db).await?;
        self.lock().persisted = true;
        Ok(())
    }
}

impl Draft {
    /// The record to insert, with its content hash computed over the bodies it records, and
    /// the large bodies it points at.
    fn to_record(
        &self,
        actor: Option<&Actor>,
        status: u16,
        response_body: Option<String>,
    ) -> Pending {
        let (resource_type, resource_id, resource_city) = match &self.resource {
            Some((t, i, c)) => (Some(t.clone()), Some(i.clone()), c.clone()),
            None => (None, None, None),
        };
        let mut m = entity::Model {
            id: 0,
            request_id: self.request_id,
            occurred_at: self.occurred_at,
            actor_subject: actor.map(|a| a.subject.clone()),
            actor_role: actor.map(|a| a.role.as_str().to_owned()),
            actor_city: actor.and_then(|a| a.city.clone()),
            actor_institution: actor.and_then(|a| a.institution),
            client_ip: fit(&self.client_ip, entity::CLIENT_IP_LEN),
            method: fit(&self.method, entity::METHOD_LEN),
            route: fit(&self.route, entity::ROUTE_LEN),
            resource_type: resource_type.map(|t| fit(&t, entity::RESOURCE_LEN)),
            resource_id: resource_id.map(|i| fit(&i, entity::RESOURCE_LEN)),
            resource_city,
            status: status.into(),
            latency_us: self.started.elapsed().as_micros().min(i64::MAX as u128) as i64,
            request_body: self.request_body.clone(),
            response_body,
            content_hash: String::new(),
            chain_seq: None,
            prev_hash: None,
            chain_hash: None,
            request_body_sha256: None,
            response_body_sha256: None,
        };
        m.content_hash = super::chain::content_hash(&m);
        let mut bodies = Detached::default();
        m.request_body_sha256 = bodies.take(&mut m.request_body);
        m.response_body_sha256 = bodies.take(&mut m.response_body);
        Pending {
            record: entity::new_record(m),
            bodies,
        }
    }
}

/// `text` cut to at most `max` characters (the column's size), marked with `…` when cut: an
/// unmatched path or an extension method can be longer than any route template, and a record
/// that does not fit its column would be refused by PostgreSQL.
fn fit(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some(_) => {
            let end = text.char_indices().nth(max - 1).map_or(0, |(i, _)| i);
            format!("{}…", &text[..end])
        }
    }
}

impl FromRequest for AuditContext {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let found = req.extensions().get::<AuditContext>().cloned();
        std::future::ready(
            found.ok_or_else(|| AppError::internal(std::io::Error::other("no audit context"))),
        )
    }
}

/// Middleware: records every request under `/api/v1`.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if !req.path().starts_with("/api/v1") {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let started = Instant::now();
    let limit = state.settings.json_limit_bytes;
    let mut req = req;
    let body = match read_body(&mut req, limit).await {
        Ok(body) => body,
        Err(e) => {
            let ctx = new_context(&req, started, None);
            let res = req.error_response(e);
            return Ok(finish(&state, &ctx, res).await);
        }
    };
    let ctx = new_context(&req, started, sanitize::for_audit(&body));
    req.extensions_mut().insert(ctx.clone());
    req.set_payload(Payload::from(body));
    match next.call(req).await {
        Ok(res) => Ok(finish(&state, &ctx, res.map_into_boxed_body()).await),
        Err(e) => {
            // An error that escaped every inner layer: audit it from the rendered response.
            let rendered = e.error_response();
            let (rendered, body) = rendered.into_parts();
            let bytes = actix_web::body::to_bytes(body).await.unwrap_or_default();
            let pending = {
                let draft = ctx.lock();
                draft.to_record(
                    draft.actor.as_ref(),
                    rendered.status().as_u16(),
                    sanitize::for_audit(&bytes),
                )
            };
            state.audit.submit(pending).await;
            Err(e)
        }
    }
}

fn new_context(
    req: &ServiceRequest,
    started: Instant,
    request_body: Option<String>,
) -> AuditContext {
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0)
        .unwrap_or_else(Uuid::now_v7);
    AuditContext(Arc::new(Mutex::new(Draft {
        request_id,
        occurred_at: crate::db::now(),
        started,
        client_ip: crate::http::client_ip(req),
        method: req.method().to_string(),
        route: req.match_pattern().unwrap_or_else(|| req.path().to_owned()),
        request_body,
        resource: None,
        actor: None,
        persisted: false,
    })))
}

async fn read_body(req: &mut ServiceRequest, limit: usize) -> Result<web::Bytes, AppError> {
    let mut payload = req.take_payload();
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest {
            code: "malformed_body",
            detail: e.to_string(),
        })?;
        if body.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Collects the response body, queues the record unless the write already holds one, and
/// hands the response on unchanged.
async fn finish(
    state: &AppState,
    ctx: &AuditContext,
    res: ServiceResponse<BoxBody>,
) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let (http, response) = res.into_parts();
    let (response, body) = response.into_parts();
    let bytes = actix_web::body::to_bytes(body).await.unwrap_or_default();
    let already = ctx.lock().persisted && status.is_success();
    if !already {
        let own_json = response
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
        let stored = if own_json {
            sanitize::for_audit_own_json(&bytes)
        } else {
            sanitize::for_audit(&bytes)
        };
        let pending = {
            let draft = ctx.lock();
            draft.to_record(draft.actor.as_ref(), status.as_u16(), stored)
        };
        state.audit.submit(pending).await;
    }
    ServiceResponse::new(http, response.set_body(BoxBody::new(bytes)))
}
