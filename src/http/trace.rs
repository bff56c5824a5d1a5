//! The outermost layer: a request id, the client's address, one tracing span per request, and
//! request metrics.
use std::sync::Arc;
use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use futures_util::future::LocalBoxFuture;
use tracing::Instrument;
use uuid::Uuid;

use super::ClientIps;
use crate::metrics::Metrics;

/// The id of the current request, sent back as `X-Request-Id`.
#[derive(Debug, Clone, Copy)]
pub struct RequestId(pub Uuid);

pub const HEADER: &str = "x-request-id";

/// The layer, with what it needs given up front.
pub fn layer<B: MessageBody + 'static>(
    metrics: Arc<Metrics>,
    ips: ClientIps,
) -> impl Fn(
    ServiceRequest,
    Next<B>,
) -> LocalBoxFuture<'static, Result<ServiceResponse<BoxBody>, actix_web::Error>> {
    move |req, next| Box::pin(trace(metrics.clone(), ips.clone(), req, next))
}

async fn trace<B: MessageBody + 'static>(
    metrics: Arc<Metrics>,
    ips: ClientIps,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = Uuid::now_v7();
    let client = ips.resolve(&req);
    req.extensions_mut().insert(RequestId(id));
    req.extensions_mut().insert(client);
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let span = tracing::info_span!("request", request_id = %id, method = %method, route = %route,
        actor = tracing::field::Empty, role = tracing::field::Empty, status = tracing::field::Empty);
    let started = Instant::now();
    let outcome = next.call(req).instrument(span.clone()).await;
    let status = match &outcome {
        Ok(res) => res.status().as_u16(),
        Err(e) => e.as_response_error().status_code().as_u16(),
    };
    span.record("status", status);
    span.in_scope(|| {
        tracing::info!(
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request finished"
        )
    });
    metrics
        .http_requests
        .with_label_values(&[&method, &route, &status.to_string()])
        .inc();
    metrics
        .http_duration
        .with_label_values(&[&route])
        .observe(started.elapsed().as_secs_f64());
    let mut res = outcome?.map_into_boxed_body();
    if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
        res.headers_mut()
            .insert(HeaderName::from_static(HEADER), value);
    }
    Ok(res)
}
