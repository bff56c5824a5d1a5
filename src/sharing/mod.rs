//! Data sharing with the provincial supervision platform: the change feed (every committed
//! change of a shared resource, in order, without gaps). Consumer credentials, push delivery
//! and snapshots come with the data-sharing issue.
mod dto;
mod routes;
mod service;

use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

pub const TAG: &str = "sharing";

#[derive(OpenApi)]
#[openapi(tags((name = "sharing", description = "Data sharing with the provincial supervision platform: the change feed of every shared resource, complete and in order. For the `data_consumer` role.")))]
pub struct Doc;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(routes::list_changes);
}
