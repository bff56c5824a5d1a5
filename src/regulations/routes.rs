//! Regulation endpoints.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, patch, post, web};

use super::dto::*;
use super::service::{self, Keepers, Readers};
use crate::context::Cx;
use crate::error::AppResult;
use crate::http::etag::IfMatch;
use crate::http::extract::{ValidJson, ValidQuery};
use crate::http::responses::*;

/// Add a regulation
///
/// A law, regulation, rule or technical standard courses may rest on (province admins).
#[utoipa::path(
    tag = super::TAG,
    request_body = RegulationCreate,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Regulation,
            links(("UpdateRegulation" = (operation_id = "update_regulation", parameters(("id" = "$response.body#/id")), description = "Amend it")))),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/regulations")]
pub async fn create_regulation(
    cx: Cx<Keepers>,
    body: ValidJson<RegulationCreate>,
) -> AppResult<HttpResponse> {
    let created = service::create(&cx, body.0).await?;
    Ok(cx.reply(StatusCode::CREATED, &created.value))
}

/// List regulations
///
/// Every regulation, in creation order; filters by kind and status.
#[utoipa::path(
    tag = super::TAG,
    params(RegulationListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of regulations", body = RegulationPage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page exists"))),
        SignedInErrors,
    )
)]
#[get("/regulations")]
pub async fn list_regulations(
    cx: Cx<Readers>,
    query: ValidQuery<RegulationListQuery>,
) -> AppResult<HttpResponse> {
    let page = service::list(&cx, &query.0).await?;
    Ok(cx.page(&page))
}

/// Get a regulation
///
/// One regulation, with the update deadline it gives the courses resting on it.
#[utoipa::path(
    tag = super::TAG,
    params(RegulationPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The regulation", body = Regulation,
            headers(("ETag" = String, description = "Its version, for If-Match"))),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/regulations/{id}")]
pub async fn get_regulation(
    cx: Cx<Readers>,
    path: web::Path<RegulationPath>,
) -> AppResult<HttpResponse> {
    let regulation = service::get(&cx, path.id).await?;
    Ok(cx.ok_versioned(&regulation))
}

/// Amend a regulation
///
/// Changes the fields sent (`If-Match` required). Marking it `amended`, or changing its
/// dates, gives every course whose published version rests on it an update deadline
/// (`effective_on` + 2 calendar months; `published_on` + 3 for a technical standard), unless
/// the course has an earlier one; publishing an updated version clears it.
#[utoipa::path(
    tag = super::TAG,
    params(RegulationPath, crate::http::etag::IfMatchHeader),
    request_body = RegulationUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated", body = Regulation,
            headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 428, response = PreconditionRequired),
        SignedInErrors,
        BodyErrors,
    )
)]
#[patch("/regulations/{id}")]
pub async fn update_regulation(
    cx: Cx<Keepers>,
    path: web::Path<RegulationPath>,
    if_match: IfMatch,
    body: ValidJson<RegulationUpdate>,
) -> AppResult<HttpResponse> {
    let regulation = service::update(&cx, path.id, &if_match, body.0).await?;
    Ok(cx.ok_versioned(&regulation))
}
