//! Teachers (师资) of training institutions: profiles with qualifications and specialities,
//! and a photo kept in the blob store. An institution's admin manages its own; regulators and
//! platform operators read within their scope.
pub mod dto;
pub mod entity;
mod repo;
mod routes;
pub mod service;

use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

pub const TAG: &str = "teachers";

#[derive(OpenApi)]
#[openapi(tags(
    (name = "teachers", description = "Teachers of training institutions, with their photos: managed by the institution's own admins, read by regulators within their scope."),
))]
pub struct Doc;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(routes::create_teacher)
        .service(routes::list_teachers)
        .service(routes::get_teacher)
        .service(routes::update_teacher)
        .service(routes::put_teacher_photo)
        .service(routes::get_teacher_photo);
}
