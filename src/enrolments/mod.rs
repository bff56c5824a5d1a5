//! Programmes and enrolments: a learner enrolled by its institution in a programme, with the
//! published course versions to study, and its progress from the hours ledger.
pub mod certificates;
pub mod dto;
pub mod entity;
pub mod ledger;
pub mod programmes;
mod routes;
pub mod service;

use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

pub const TAG: &str = "enrolments";

#[derive(OpenApi)]
#[openapi(tags(
    (name = "enrolments", description = "Training programmes with their required hours (public), and learners' enrolments with their progress: read by the learner, its institution and the regulators of its city."),
))]
pub struct Doc;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(routes::list_programmes)
        .service(routes::create_enrolment)
        .service(routes::list_enrolments)
        .service(routes::get_enrolment)
        .service(routes::get_ledger)
        .service(routes::correct_ledger)
        .service(routes::issue_certificate)
        .service(routes::get_certificate)
        .service(routes::get_certificate_pdf)
        .service(routes::verify_certificate)
        .service(routes::revoke_certificate);
}
