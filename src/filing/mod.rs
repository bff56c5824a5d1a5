//! The platform's own filing (requirements capability 12): its profile, its management
//! documents, and the filing report that shows the commitments are kept.
pub mod dto;
pub mod entity;
mod routes;
pub mod service;

use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

pub const TAG: &str = "filing";

#[derive(OpenApi)]
#[openapi(components(schemas(dto::FilingFormat)), tags(
    (name = "filing", description = "The platform's filing: its profile (the application form's facts; hotline, e-mail and address public), its management documents with every version kept, and the filing report."),
))]
pub struct Doc;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(routes::get_platform_profile)
        .service(routes::update_platform_profile)
        .service(routes::get_public_platform_profile)
        .service(routes::create_policy)
        .service(routes::list_policies)
        .service(routes::get_filing_report);
}
