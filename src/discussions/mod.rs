//! The course discussion space (互动交流空间, commitment §10): questions about a course and
//! its courseware, answers, reports and moderation; never public.
pub mod dto;
pub mod entity;
mod routes;
pub mod service;

use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

pub const TAG: &str = "discussions";

#[derive(OpenApi)]
#[openapi(tags(
    (name = "discussions", description = "The course discussion space: learners enrolled in a course ask about it (threads), the institution and other enrolled learners reply, and the thread's author or the institution accepts an answer. Readers: the course's enrolled learners, its institution, the regulators of its city, platform operators; never public. Every text is screened: a hit holds it for a moderator (its author sees it pending). Readers report posts; the institution (its courses) and platform operators hide and restore them from a queue with a deadline; nothing is deleted. Posting is limited per caller (`discussion.posts_per_window` in `discussion.window_minutes`). Regulators count the questions left unanswered per institution."),
))]
pub struct Doc;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(routes::create_thread)
        .service(routes::list_threads)
        .service(routes::get_thread)
        .service(routes::list_thread_posts)
        .service(routes::create_thread_post)
        .service(routes::moderate_post)
        .service(routes::report_post)
        .service(routes::accept_post)
        .service(routes::list_moderation_queue)
        .service(routes::get_discussion_report);
}
