//! Learners (学员): registered by their institution, with identity numbers and phones
//! encrypted at rest and masked for the roles that do not need them, their consents to face
//! processing, and their local sign-in (password, rotating refresh tokens, one sign-in at a
//! time, lockout after repeated failures).
pub mod dto;
pub mod entity;
pub mod import;
mod repo;
mod routes;
pub mod service;
pub mod sign_in;

use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

pub const TAG: &str = "learners";
pub const SIGN_IN_TAG: &str = "sign-in";

#[derive(OpenApi)]
#[openapi(tags(
    (name = "learners", description = "Learners registered by their institutions: identity numbers and phones encrypted at rest, in full for the institution and the learner, masked for regulators; consents to face processing."),
    (name = "sign-in", description = "Learners' local sign-in: password, short-lived access token, rotating refresh token; one sign-in at a time; lockout after repeated failures."),
))]
pub struct Doc;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(routes::create_learner)
        .service(routes::import_learners)
        .service(routes::list_learners)
        .service(routes::get_learner)
        .service(routes::update_learner)
        .service(routes::put_portrait)
        .service(routes::create_consent)
        .service(routes::get_me)
        .service(routes::change_password)
        .service(routes::login)
        .service(routes::refresh)
        .service(routes::logout);
}
