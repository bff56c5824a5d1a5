//! Institution endpoints and the public registry.
use actix_web::{HttpResponse, get, patch, post, web};

use super::dto::*;
use super::service::{self, Editors, Readers, Regulators};
use crate::auth::Public;
use crate::context::Cx;
use crate::error::AppResult;
use crate::http::etag::IfMatch;
use crate::http::extract::{ValidJson, ValidQuery};
use crate::http::idempotency::{IdempotencyHeader, IdempotencyKey};
use crate::http::responses::*;

/// Create an institution
///
/// A city admin files an institution in its own city (a province admin in any city). It starts
/// as `applied`. Send an `Idempotency-Key` to make retries safe: the same key and body answer
/// the institution as it is now (with `Idempotent-Replayed: true`) and create nothing.
#[utoipa::path(
    tag = super::TAG,
    request_body = InstitutionCreate,
    params(IdempotencyHeader),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Institution, headers(
            ("Location" = String, description = "The new institution's URL"),
            ("ETag" = String, description = "Its version, for If-Match"),
            ("Idempotent-Replayed" = String, description = "`true` when this answer repeats the first one for the same Idempotency-Key")),
            links(
                ("GetInstitution" = (operation_id = "get_institution", parameters(("id" = "$response.body#/id")),
                    description = "Read the institution just created")),
                ("UpdateInstitution" = (operation_id = "update_institution", parameters(("id" = "$response.body#/id")),
                    description = "Edit its profile (send its ETag in If-Match)")),
                ("ChangeInstitutionStatus" = (operation_id = "change_institution_status", parameters(("id" = "$response.body#/id")),
                    description = "Register, suspend or exit it")),
                ("ListInstitutionStatusChanges" = (operation_id = "list_institution_status_changes", parameters(("id" = "$response.body#/id")),
                    description = "Read its lifecycle history")),
            )),
        (status = 409, response = Conflict),
        (status = 422, response = IdempotencyMismatch),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/institutions")]
pub async fn create_institution(
    cx: Cx<Regulators>,
    key: IdempotencyKey,
    body: ValidJson<InstitutionCreate>,
) -> AppResult<HttpResponse> {
    let (created, location) = service::create(&cx, &key, body.0).await?;
    Ok(cx.created(&created, location))
}

/// List institutions
///
/// Institutions within the caller's scope, in creation order: all for province admins and
/// platform operators, one city for a city admin, its own for an institution admin.
#[utoipa::path(
    tag = super::TAG,
    params(InstitutionListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of institutions", body = InstitutionPage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page exists"))),
        SignedInErrors,
    )
)]
#[get("/institutions")]
pub async fn list_institutions(
    cx: Cx<Readers>,
    query: ValidQuery<InstitutionListQuery>,
) -> AppResult<HttpResponse> {
    let page = service::list(&cx, &query.0).await?;
    Ok(cx.page(&page))
}

/// Get an institution
///
/// One institution within the caller's scope, with its `ETag`. Another city's or
/// institution's id answers 404, and the attempt is audited.
#[utoipa::path(
    tag = super::TAG,
    params(InstitutionPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The institution", body = Institution,
            headers(("ETag" = String, description = "Its version, for If-Match"))),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/institutions/{id}")]
pub async fn get_institution(
    cx: Cx<Readers>,
    path: web::Path<InstitutionPath>,
) -> AppResult<HttpResponse> {
    let institution = service::get(&cx, path.id).await?;
    Ok(cx.ok_versioned(&institution))
}

/// Update an institution's profile
///
/// Changes the fields sent. `If-Match` with the current `ETag` is required: without it the
/// answer is 428, with any other entity tag 412 (tags compare strongly: `W/"v3"` never
/// matches). City admins of its city, province admins and the institution's own admins may
/// edit; an exited institution cannot be edited (409).
#[utoipa::path(
    tag = super::TAG,
    params(InstitutionPath, crate::http::etag::IfMatchHeader),
    request_body = InstitutionUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated", body = Institution,
            headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 428, response = PreconditionRequired),
        SignedInErrors,
        BodyErrors,
    )
)]
#[patch("/institutions/{id}")]
pub async fn update_institution(
    cx: Cx<Editors>,
    path: web::Path<InstitutionPath>,
    if_match: IfMatch,
    body: ValidJson<InstitutionUpdate>,
) -> AppResult<HttpResponse> {
    let institution = service::update(&cx, path.id, &if_match, body.0).await?;
    Ok(cx.ok_versioned(&institution))
}

/// Change an institution's status
///
/// Moves an institution along its lifecycle: applied → registered, registered → suspended,
/// suspended → registered, and any of them → exited (final). Other moves answer 409. Only the
/// city admin of its city or a province admin may; actor, time and reason are kept.
#[utoipa::path(
    tag = super::TAG,
    params(InstitutionPath),
    request_body = StatusChangeRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The institution after the change", body = Institution,
            headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/institutions/{id}/status")]
pub async fn change_institution_status(
    cx: Cx<Regulators>,
    path: web::Path<InstitutionPath>,
    body: ValidJson<StatusChangeRequest>,
) -> AppResult<HttpResponse> {
    let institution = service::change_status(&cx, path.id, body.0).await?;
    Ok(cx.ok_versioned(&institution))
}

/// List an institution's status changes
///
/// Every lifecycle transition of one institution, oldest first, with actor, time and reason.
#[utoipa::path(
    tag = super::TAG,
    params(InstitutionPath, StatusChangeQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of status changes", body = StatusChangePage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page exists"))),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/institutions/{id}/status-changes")]
pub async fn list_institution_status_changes(
    cx: Cx<Readers>,
    path: web::Path<InstitutionPath>,
    query: ValidQuery<StatusChangeQuery>,
) -> AppResult<HttpResponse> {
    let page = service::status_history(&cx, path.id, &query.0).await?;
    Ok(cx.page(&page))
}

/// The public registry of a city
///
/// The registered institutions of one city module, in a neutral order: registration time,
/// then name. There is no ranking and no sort parameter (any unknown parameter answers 400),
/// and this is the registry's only address. No token needed.
#[utoipa::path(
    tag = super::REGISTRY_TAG,
    params(RegistryPath, RegistryQuery),
    security(()),
    responses(
        (status = 200, description = "A page of the registry", body = RegistryEntryPage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page exists"))),
        (status = 404, response = NotFound),
        PublicErrors,
    )
)]
#[get("/cities/{code}/institutions")]
pub async fn list_city_registry(
    cx: Cx<Public>,
    path: web::Path<RegistryPath>,
    query: ValidQuery<RegistryQuery>,
) -> AppResult<HttpResponse> {
    service::known_city(&cx, &path.code)?;
    let key = format!("{:?}|{:?}", query.0.limit, query.0.cursor);
    cx.cached_page(&service::registry_scope(&path.code), &key, async || {
        service::registry(&cx, &path.code, &query.0).await
    })
    .await
}
