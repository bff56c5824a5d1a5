//! The audit log as a resource: listing records within the caller's scope, and verifying the
//! hash chain.
mod dto;
mod repo;
mod routes;
mod service;

use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

pub const TAG: &str = "audit";

#[derive(OpenApi)]
#[openapi(tags((name = "audit", description = "The audit log of every API request, with a verifiable hash chain.")))]
pub struct Doc;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(routes::list_audit_logs)
        .service(routes::verify_audit_chain);
}
