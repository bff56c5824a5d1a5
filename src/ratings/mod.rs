//! Learners' ratings of the courses they studied (content, settings, teacher, a screened
//! comment), and the low-satisfaction flags platform operators decide (requirements §8).
pub mod dto;
pub mod entity;
mod routes;
pub mod service;

use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

pub const TAG: &str = "ratings";

#[derive(OpenApi)]
#[openapi(components(schemas(dto::VersionNumber)), tags(
    (name = "ratings", description = "Learners' ratings of the course versions they studied, held comments, and the low-satisfaction flags a platform operator turns into a takedown or dismisses. Nothing here ranks institutions."),
))]
pub struct Doc;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(routes::create_course_rating)
        .service(routes::list_course_ratings)
        .service(routes::moderate_course_rating)
        .service(routes::list_course_flags)
        .service(routes::decide_course_flag);
}
