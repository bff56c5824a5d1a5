//! Regulations courses rest on (requirements §7), and the update deadlines their changes set.
pub mod deadline;
pub mod dto;
pub mod entity;
mod routes;
pub mod service;

use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

pub const TAG: &str = "regulations";

#[derive(OpenApi)]
#[openapi(tags(
    (name = "regulations", description = "Laws, regulations, rules and technical standards courses rest on, kept by province admins; an amendment gives the courses resting on it an update deadline."),
))]
pub struct Doc;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(routes::create_regulation)
        .service(routes::list_regulations)
        .service(routes::get_regulation)
        .service(routes::update_regulation);
}
