//! Courses: filed by institutions as versions that go through two levels of review, with
//! courseware whose video facts come from the files, and a lifecycle from draft to retired.
mod courseware;
pub mod deadlines;
pub mod dto;
pub mod entity;
pub mod lifecycle;
pub mod quiz;
mod repo;
mod routes;
pub mod service;
pub mod status;

use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

pub const TAG: &str = "courses";

#[derive(OpenApi)]
#[openapi(tags(
    (name = "courses", description = "Courses and their courseware, versions, two-level review and lifecycle: filed by the institution's own admins, reviewed by the institution and the platform, read by regulators within their scope."),
))]
pub struct Doc;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(routes::create_course)
        .service(routes::list_courses)
        .service(routes::list_overdue_courses)
        .service(routes::get_course)
        .service(routes::update_course)
        .service(routes::list_course_versions)
        .service(routes::change_course_status)
        .service(routes::list_course_status_changes)
        .service(routes::create_course_review)
        .service(routes::list_course_reviews)
        .service(routes::create_courseware)
        .service(routes::list_courseware)
        .service(routes::upload_courseware_file)
        .service(routes::get_courseware_file);
}
