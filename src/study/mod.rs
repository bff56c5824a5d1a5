//! Study sessions: heartbeats whose credit the server alone decides, face checks at random
//! times, and every second in the append-only hours ledger with its reason.
pub mod captures;
pub mod dto;
pub mod entity;
pub mod jobs;
pub mod quiz;
mod routes;
pub mod rules;
pub mod service;
pub mod verifier;

use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

pub const TAG: &str = "study";

#[derive(OpenApi)]
#[openapi(tags(
    (name = "study", description = "Study sessions: one at a time per learner, heartbeats whose credit the server decides (no fast-forward, no idling, daily cap, content counts once), face checks at random times."),
))]
pub struct Doc;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(routes::start_session)
        .service(routes::get_session)
        .service(routes::heartbeat)
        .service(routes::face_check)
        .service(routes::end_session)
        .service(routes::review_session)
        .service(routes::list_face_checks)
        .service(routes::get_capture)
        .service(routes::decide_face_check)
        .service(routes::quiz_questions)
        .service(routes::quiz_attempt);
}
