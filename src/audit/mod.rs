//! The audit log: one record per request, written in the same transaction as the data a write
//! changes, linked into a hash chain by a background sealer.
pub mod bodies;
pub mod chain;
pub mod dto;
pub mod entity;
pub mod recorder;
mod repo;
mod routes;
pub mod sanitize;
mod service;
pub mod writer;

use utoipa_actix_web::service_config::ServiceConfig;

pub use recorder::AuditContext;
pub use writer::AuditSink;

pub const TAG: &str = "audit";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope::scope("/audit-logs")
            .service(routes::list_audit_logs)
            .service(routes::verify_audit_chain)
            .route("", crate::http::allow("GET"))
            .route("/verify", crate::http::allow("GET")),
    );
}
