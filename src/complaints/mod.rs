//! Complaints, appeals and suggestions (requirements capability 9, "售后服务制度"): filed by
//! learners and by anyone without an account, handled on deadlines in Asia/Shanghai working
//! time, every step kept.
pub mod calendar;
pub mod dto;
pub mod entity;
mod routes;
pub mod service;
pub mod workflow;

use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

pub const TAG: &str = "complaints";

#[derive(OpenApi)]
#[openapi(tags(
    (name = "complaints", description = "Complaints, appeals and suggestions: filed by learners or by anyone without an account (followed with a one-time tracking code), handled by the target's institution, its city bureau once escalated, and the platform's complaints desk; first answer within 2 service hours and resolution within 3 working days by default, in Asia/Shanghai working time with the public holidays and the weekend days worked in exchange."),
))]
pub struct Doc;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(routes::file_complaint)
        .service(routes::list_complaints)
        .service(routes::track_complaint)
        .service(routes::track_complaint_action)
        .service(routes::track_attach_to_complaint)
        .service(routes::get_complaint)
        .service(routes::complaint_action)
        .service(routes::complaint_counts)
        .service(routes::attach_to_complaint)
        .service(routes::get_complaint_attachment);
}
