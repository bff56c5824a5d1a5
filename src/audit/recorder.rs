//! The request recorder: every `/api/v1` request leaves one audit record, and no body is
//! buffered for it. Writes that change data record themselves inside their own transaction
//! (see [`AuditContext::record_in`]); every other answer is handed to the batch writer once it
//! has been sent. Refused (429) requests are counted per client instead (see [`super::refused`]).
//!
//! What a record keeps of the bodies:
//! - a request body its handler understood: the text its type serialises to for the audit log
//!   (sensitive values masked by their types);
//! - any other request body: SHA-256 and size of what was read, measured while it streamed;
//!   an unread body: its declared size;
//! - an answer the handler gave through the request context: its audit text; a problem
//!   answer: as sent (it carries no personal value); any other answer (files, reports,
//!   streams): SHA-256 and size, measured while it streams out.
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::bodies::Detached;
use super::refused::Refused;
use super::writer::{AuditSink, Pending};
use super::{entity, sanitize};
use crate::auth::Actor;
use crate::error::{AppError, PROBLEM_JSON};
use crate::http::body::{self, SharedMeter};
use crate::http::extract::TypedBody;
use crate::http::trace::RequestId;
use crate::http::{ClientIp, Slot};

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
    meter: SharedMeter,
    declared_size: Option<u64>,
    response: Option<String>,
    resource: Option<(String, String, Option<String>)>,
    persisted: bool,
}

/// The parts of a record known only at the end of a request.
struct Outcome<'a> {
    actor: Option<&'a Actor>,
    status: u16,
    request_body: Option<String>,
    response_body: Option<String>,
}

impl AuditContext {
    fn lock(&self) -> std::sync::MutexGuard<'_, Draft> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Names the resource the request touches (type, id, owning city). A city bureau reads the
    /// records of its city's resources, probes of ids that others cannot reach included.
    pub fn set_resource(&self, kind: &str, id: impl ToString, city: Option<&str>) {
        self.lock().resource = Some((kind.into(), id.to_string(), city.map(str::to_owned)));
    }

    /// The audit log's copy of the answer (from [`crate::domain::for_audit`]).
    pub fn set_response(&self, text: String) {
        self.lock().response = Some(text);
    }

    /// Writes the record of a successful write inside the caller's transaction.
    pub async fn record_in<C: ConnectionTrait>(
        &self,
        db: &C,
        actor: Option<&Actor>,
        status: u16,
        request: Option<String>,
        answer: String,
    ) -> Result<(), DbErr> {
        let pending = self.lock().to_record(Outcome {
            actor,
            status,
            request_body: request,
            response_body: Some(answer),
        });
        pending.bodies.store(db).await?;
        pending.record.insert(db).await?;
        self.lock().persisted = true;
        Ok(())
    }
}

impl Draft {
    /// The record to insert, with its content hash computed over the bodies it records, and
    /// the large bodies it points at.
    fn to_record(&self, o: Outcome<'_>) -> Pending {
        let (resource_type, resource_id, resource_city) = match &self.resource {
            Some((t, i, c)) => (Some(t.clone()), Some(i.clone()), c.clone()),
            None => (None, None, None),
        };
        let actor = o.actor;
        let request_body = o.request_body.or_else(|| self.request_summary());
        let mut m = entity::Model {
            id: 0,
            request_id: self.request_id,
            occurred_at: self.occurred_at,
            actor_subject: actor.map(|a| a.subject.clone()),
            actor_issuer: actor.map(|a| fit(&a.issuer, entity::ISSUER_LEN)),
            actor_role: actor.map(|a| a.role.as_str().to_owned()),
            actor_city: actor.and_then(|a| a.city.clone()),
            actor_institution: actor.and_then(|a| a.institution),
            client_ip: fit(&self.client_ip, entity::CLIENT_IP_LEN),
            method: fit(&self.method, entity::METHOD_LEN),
            route: fit(&self.route, entity::ROUTE_LEN),
            resource_type: resource_type.map(|t| fit(&t, entity::RESOURCE_LEN)),
            resource_id: resource_id.map(|i| fit(&i, entity::RESOURCE_LEN)),
            resource_city,
            status: o.status.into(),
            latency_us: self.started.elapsed().as_micros().min(i64::MAX as u128) as i64,
            request_body: request_body.map(sanitize::for_storage),
            response_body: o.response_body.map(sanitize::for_storage),
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

    /// A request body not understood as a type: what was read of it, or its declared size.
    fn request_summary(&self) -> Option<String> {
        if let Some(read) = self.meter.with(|m| m.summary()) {
            return Some(read.to_string());
        }
        self.declared_size
            .filter(|n| *n > 0)
            .map(|n| serde_json::json!({"size": n, "read": false}).to_string())
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
        std::future::ready(
            req.extensions()
                .get::<AuditContext>()
                .cloned()
                .ok_or_else(|| AppError::bug("no audit context: the recorder is not wired")),
        )
    }
}

/// What the recorder needs.
#[derive(Clone)]
pub struct Recorder {
    pub sink: AuditSink,
    pub refused: Arc<Refused>,
    /// Time a request has, from arrival, to deliver its body.
    pub body_timeout: Duration,
    /// The same for a file upload: any body that is not JSON.
    pub upload_timeout: Duration,
}

impl Recorder {
    /// The deadline of a body of this content type: JSON (or none declared) is read in
    /// `body_timeout`, any other (a file) in `upload_timeout`.
    fn deadline(&self, req: &ServiceRequest) -> Duration {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim_start().to_ascii_lowercase());
        match content_type {
            Some(t) if !t.starts_with("application/json") => self.upload_timeout,
            _ => self.body_timeout,
        }
    }
}

/// The layer, with what it needs given up front.
pub fn layer<B: MessageBody + 'static>(
    recorder: Recorder,
) -> impl Fn(
    ServiceRequest,
    Next<B>,
) -> LocalBoxFuture<'static, Result<ServiceResponse<BoxBody>, actix_web::Error>> {
    move |req, next| Box::pin(record(recorder.clone(), req, next))
}

async fn record<B: MessageBody + 'static>(
    recorder: Recorder,
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if !req.path().starts_with("/api/v1") {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let ctx = new_context(&req);
    let caller = Slot::<Actor>::default();
    req.extensions_mut().insert(caller.clone());
    let meter = ctx.lock().meter.clone();
    let payload = req.take_payload();
    let deadline = recorder.deadline(&req);
    req.set_payload(body::tap(payload, meter, deadline));
    req.extensions_mut().insert(ctx.clone());
    match next.call(req).await {
        Ok(res) => Ok(finish(&recorder, &ctx, res.map_into_boxed_body()).await),
        Err(e) => {
            // An error that escaped every inner layer: audit it from the rendered response.
            let res = e.error_response();
            let status = res.status().as_u16();
            let bytes = actix_web::body::to_bytes(res.into_body())
                .await
                .unwrap_or_default();
            let actor = caller.get();
            let pending = ctx.lock().to_record(Outcome {
                actor: actor.as_ref(),
                status,
                request_body: None,
                response_body: Some(String::from_utf8_lossy(&bytes).into_owned()),
            });
            recorder.sink.submit(pending).await;
            Err(e)
        }
    }
}

fn new_context(req: &ServiceRequest) -> AuditContext {
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0)
        .unwrap_or_else(Uuid::now_v7);
    let declared_size = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    AuditContext(Arc::new(Mutex::new(Draft {
        request_id,
        occurred_at: crate::db::now(),
        started: Instant::now(),
        client_ip: ClientIp::of(req).text(),
        method: req.method().to_string(),
        route: req.match_pattern().unwrap_or_else(|| req.path().to_owned()),
        meter: SharedMeter::default(),
        declared_size,
        response: None,
        resource: None,
        persisted: false,
    })))
}

/// Records the answer, unless the write recorded itself or it is a refusal to count.
async fn finish(
    recorder: &Recorder,
    ctx: &AuditContext,
    res: ServiceResponse<BoxBody>,
) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let actor = res.request().extensions().get::<Actor>().cloned();
    if ctx.lock().persisted && status.is_success() {
        return res;
    }
    if status.as_u16() == 429 {
        let client = ctx.lock().client_ip.clone();
        recorder.refused.count(&client, actor.as_ref());
        return res;
    }
    let request_body = res
        .request()
        .extensions()
        .get::<TypedBody>()
        .map(|b| b.0.clone());
    let answer = ctx.lock().response.take();
    if let Some(answer) = answer {
        let pending = ctx.lock().to_record(Outcome {
            actor: actor.as_ref(),
            status: status.as_u16(),
            request_body,
            response_body: Some(answer),
        });
        recorder.sink.submit(pending).await;
        return res;
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem {
        let (http, response) = res.into_parts();
        let (response, body) = response.into_parts();
        let bytes = actix_web::body::to_bytes(body).await.unwrap_or_default();
        let pending = ctx.lock().to_record(Outcome {
            actor: actor.as_ref(),
            status: status.as_u16(),
            request_body,
            response_body: Some(String::from_utf8_lossy(&bytes).into_owned()),
        });
        recorder.sink.submit(pending).await;
        return ServiceResponse::new(http, response.set_body(BoxBody::new(bytes)));
    }
    // Anything else streams out through a meter; the record goes when the stream ends.
    let sink = recorder.sink.clone();
    let ctx = ctx.clone();
    let code = status.as_u16();
    res.map_body(move |_, body| {
        BoxBody::new(Metered {
            inner: body,
            sha: Sha256::new(),
            size: 0,
            done: Some(Box::new(move |summary: String| {
                let pending = ctx.lock().to_record(Outcome {
                    actor: actor.as_ref(),
                    status: code,
                    request_body,
                    response_body: Some(summary),
                });
                sink.submit_now(pending);
            })),
        })
    })
}

type OnDone = Box<dyn FnOnce(String)>;

/// An answer body measured while it streams out; reports `{sha256, size}` once it has ended
/// (with `complete: false` when the client went away first).
struct Metered {
    inner: BoxBody,
    sha: Sha256,
    size: u64,
    done: Option<OnDone>,
}

impl Metered {
    fn report(&mut self, complete: bool) {
        if let Some(done) = self.done.take() {
            let mut summary = serde_json::json!({
                "sha256": hex::encode(std::mem::take(&mut self.sha).finalize()),
                "size": self.size,
            });
            if !complete {
                summary["complete"] = false.into();
            }
            done(summary.to_string());
        }
    }
}

impl MessageBody for Metered {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.inner.size()
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_next(cx);
        match &polled {
            Poll::Ready(Some(Ok(chunk))) => {
                let chunk = chunk.clone();
                self.sha.update(&chunk);
                self.size += chunk.len() as u64;
            }
            Poll::Ready(None) => self.report(true),
            _ => {}
        }
        polled
    }
}

impl Drop for Metered {
    fn drop(&mut self) {
        // An empty body may never be polled; one that was sent whole is complete.
        let complete = match self.inner.size() {
            BodySize::None => true,
            BodySize::Sized(n) => n == self.size,
            BodySize::Stream => false,
        };
        self.report(complete);
    }
}

/// A record that stands for several requests (aggregated refusals).
pub struct Summary<'a> {
    pub request_id: Uuid,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    pub actor: Option<&'a Actor>,
    pub client_ip: &'a str,
    pub method: &'a str,
    pub route: &'a str,
    pub status: u16,
    pub response: String,
}

pub fn summary_record(s: Summary<'_>) -> Pending {
    let draft = Draft {
        request_id: s.request_id,
        occurred_at: s.occurred_at,
        started: Instant::now(),
        client_ip: s.client_ip.to_owned(),
        method: s.method.to_owned(),
        route: s.route.to_owned(),
        meter: SharedMeter::default(),
        declared_size: None,
        response: None,
        resource: None,
        persisted: false,
    };
    draft.to_record(Outcome {
        actor: s.actor,
        status: s.status,
        request_body: None,
        response_body: Some(s.response),
    })
}
