//! Liveness, readiness and metrics.
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use sea_orm::DatabaseConnection;

use super::TAG;
use crate::error::{AppError, AppResult};
use crate::http::responses::*;
use crate::metrics::Metrics;

/// The state of the process or of one dependency.
#[derive(Serialize, ToSchema)]
pub struct HealthStatus {
    /// `ok` when alive; `ready` when the database answered.
    #[schema(example = "ok")]
    pub status: String,
}

/// Liveness
///
/// Answers 200 while the process runs; it checks no dependency.
#[utoipa::path(tag = TAG, security(()), responses(
    (status = 200, description = "The process is alive", body = HealthStatus),
    (status = 429, response = TooManyRequests),
))]
#[get("/healthz")]
pub async fn healthz() -> web::Json<HealthStatus> {
    web::Json(HealthStatus {
        status: "ok".into(),
    })
}

/// Readiness
///
/// Answers 200 when a database round trip succeeds, 503 with `Retry-After` otherwise. It turns
/// ready again by itself once the database is back.
#[utoipa::path(tag = TAG, security(()), responses(
    (status = 200, description = "The database answered", body = HealthStatus),
    (status = 429, response = TooManyRequests),
    (status = 503, response = ServiceUnavailable),
))]
#[get("/readyz")]
pub async fn readyz(
    db: web::Data<DatabaseConnection>,
    registry: web::Data<Metrics>,
) -> AppResult<web::Json<HealthStatus>> {
    match crate::db::ping(&db).await {
        Ok(()) => {
            registry.db_up.set(1);
            Ok(web::Json(HealthStatus {
                status: "ready".into(),
            }))
        }
        Err(e) => {
            registry.db_up.set(0);
            tracing::warn!(error.chain = %crate::error::error_chain(&e), "readiness check failed");
            Err(AppError::unavailable())
        }
    }
}

/// Prometheus metrics
///
/// Request counts and latencies by route, audit queue depth, written, sealed and lost audit
/// records, and database reachability, in the Prometheus text format.
#[utoipa::path(tag = TAG, security(()), responses(
    (status = 200, description = "Metrics in the Prometheus text exposition format", body = String, content_type = "text/plain"),
    (status = 429, response = TooManyRequests),
))]
#[get("/metrics")]
pub async fn metrics(registry: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(registry.render())
}
