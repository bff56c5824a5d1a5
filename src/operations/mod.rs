//! Operations: liveness, readiness and Prometheus metrics (not audited, never rate-limited for
//! the probes). `/metrics` can be served on its own internal address (`metrics_listen`).
pub mod routes;

use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

pub const TAG: &str = "operations";

#[derive(OpenApi)]
#[openapi(tags((name = "operations", description = "Liveness, readiness and Prometheus metrics.")))]
pub struct Doc;

/// The probes; `with_metrics` adds `/metrics` (unless it has an address of its own).
pub fn configure(cfg: &mut ServiceConfig, with_metrics: bool) {
    cfg.service(routes::healthz).service(routes::readyz);
    if with_metrics {
        cfg.service(routes::metrics);
    }
}
