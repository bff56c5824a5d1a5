//! Training institutions: the registry each city bureau keeps, and the lifecycle
//! applied → registered → suspended → exited.
pub mod credit_code;
pub mod dto;
pub mod entity;
mod repo;
pub(crate) mod routes;
pub mod service;
pub mod status;

use utoipa_actix_web::service_config::ServiceConfig;

use crate::http::allow;

pub const TAG: &str = "institutions";
pub const REGISTRY_TAG: &str = "registry";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope::scope("/institutions")
            .service(routes::create_institution)
            .service(routes::list_institutions)
            .service(routes::get_institution)
            .service(routes::update_institution)
            .service(routes::change_institution_status)
            .service(routes::list_institution_status_changes)
            .route("", allow("GET, POST"))
            .route("/{id}", allow("GET, PATCH"))
            .route("/{id}/status", allow("POST"))
            .route("/{id}/status-changes", allow("GET")),
    );
}
