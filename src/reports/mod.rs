//! Reports regulators file: the course catalogue (materials item 5) in JSON, CSV and XLSX; the
//! face data the platform holds against its filing threshold.
pub mod catalogue;
pub mod dto;
mod routes;

use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

pub const TAG: &str = "reports";

#[derive(OpenApi)]
#[openapi(components(schemas(dto::ReportFormat)), tags(
    (name = "reports", description = "Reports as regulators file them: the catalogue of published courses with their teachers, in JSON, CSV or XLSX, streamed; the face data held against the filing threshold."),
))]
pub struct Doc;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(routes::get_course_catalogue)
        .service(routes::get_face_data);
}
