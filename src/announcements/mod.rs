//! Announcements (信息公布, requirements capability 4): review before publication, never by
//! the author, and a public list without a token.
pub mod dto;
pub mod entity;
mod routes;
pub mod service;

use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

pub const TAG: &str = "announcements";

#[derive(OpenApi)]
#[openapi(tags(
    (name = "announcements", description = "Announcements by province and city admins (in their scope) and platform operators (platform-wide): draft → submitted (screened) → approved or returned (by someone other than the author; the author edits a draft or a returned one) → published → withdrawn, every move kept; published ones are public."),
))]
pub struct Doc;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(routes::create_announcement)
        .service(routes::list_announcements)
        .service(routes::list_public_announcements)
        .service(routes::get_announcement)
        .service(routes::update_announcement)
        .service(routes::change_announcement_status);
}
