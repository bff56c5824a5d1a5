//! Training institutions: the registry each city bureau keeps, the lifecycle
//! applied → registered ⇄ suspended → exited, and the public registry of each city.
pub mod dto;
pub mod entity;
mod repo;
mod routes;
pub mod service;
pub mod status;

use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

pub const TAG: &str = "institutions";
pub const REGISTRY_TAG: &str = "registry";

#[derive(OpenApi)]
#[openapi(tags(
    (name = "institutions", description = "Training institutions and their lifecycle, managed by city bureaus within their own city."),
    (name = "registry", description = "The public registry of registered institutions, one list per city, in neutral order. Public."),
))]
pub struct Doc;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(routes::create_institution)
        .service(routes::list_institutions)
        .service(routes::get_institution)
        .service(routes::update_institution)
        .service(routes::change_institution_status)
        .service(routes::list_institution_status_changes)
        .service(routes::list_city_registry);
}
