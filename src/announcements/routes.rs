//! Announcement endpoints.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, patch, post, web};

use super::dto::*;
use super::service::{self, Editors};
use crate::auth::Public;
use crate::context::Cx;
use crate::error::AppResult;
use crate::http::etag::IfMatch;
use crate::http::extract::{ValidJson, ValidQuery};
use crate::http::responses::*;

/// Write an announcement
///
/// A draft in the caller's scope: a province admin for a city or the whole province
/// (`city_code` none), a city admin for its own city (another: 403 `city_out_of_scope`), a
/// platform operator platform-wide (no `city_code`).
#[utoipa::path(
    tag = super::TAG,
    request_body = AnnouncementCreate,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The draft", body = Announcement,
            headers(("ETag" = String, description = "Its version, for If-Match"))),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/announcements")]
pub async fn create_announcement(
    cx: Cx<Editors>,
    body: ValidJson<AnnouncementCreate>,
) -> AppResult<HttpResponse> {
    let created = service::create(&cx, body.0).await?;
    Ok(cx.versioned(StatusCode::CREATED, &created))
}

/// List announcements
///
/// Those the caller handles, newest first, with their review history: province admins the
/// regulators' announcements, city admins their city's, platform operators the platform's.
#[utoipa::path(
    tag = super::TAG,
    params(AnnouncementListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of announcements", body = AnnouncementPage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page exists"))),
        SignedInErrors,
    )
)]
#[get("/announcements")]
pub async fn list_announcements(
    cx: Cx<Editors>,
    query: ValidQuery<AnnouncementListQuery>,
) -> AppResult<HttpResponse> {
    let page = service::list(&cx, &query.0).await?;
    Ok(cx.page(&page))
}

/// Get an announcement
///
/// With its review history and its `ETag`. Outside the caller's scope: 404.
#[utoipa::path(
    tag = super::TAG,
    params(AnnouncementPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The announcement", body = Announcement,
            headers(("ETag" = String, description = "Its version, for If-Match"))),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/announcements/{id}")]
pub async fn get_announcement(
    cx: Cx<Editors>,
    path: web::Path<AnnouncementPath>,
) -> AppResult<HttpResponse> {
    let found = service::get(&cx, path.id).await?;
    Ok(cx.ok_versioned(&found))
}

/// Edit an announcement
///
/// Changes the title or content sent, while the announcement is a draft or has been returned
/// to its author (then submit it again: it is screened anew). Only its author edits (403
/// `not_author`); once submitted it keeps its text (409 `announcement_not_editable`). Where it
/// is published cannot change. `If-Match` with the current `ETag` is required (428 without,
/// 412 with another).
#[utoipa::path(
    tag = super::TAG,
    params(AnnouncementPath, crate::http::etag::IfMatchHeader),
    request_body = AnnouncementUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Edited", body = Announcement,
            headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 428, response = PreconditionRequired),
        SignedInErrors,
        BodyErrors,
    )
)]
#[patch("/announcements/{id}")]
pub async fn update_announcement(
    cx: Cx<Editors>,
    path: web::Path<AnnouncementPath>,
    if_match: IfMatch,
    body: ValidJson<AnnouncementUpdate>,
) -> AppResult<HttpResponse> {
    let edited = service::update(&cx, path.id, &if_match, body.0).await?;
    Ok(cx.ok_versioned(&edited))
}

/// Move an announcement through its review
///
/// The author submits a draft (or a returned one): its title and content are screened first
/// (409 `screening_hit` naming each hit; nothing changes). Someone else in scope approves it
/// or returns it with a reason; the author doing so is 403 `own_approval`, and only the author
/// submits (403 `not_author`). An approved announcement is published; a published one can be
/// withdrawn with a reason. Every move is kept with who made it, when and why; another move
/// is 409 `illegal_transition`.
#[utoipa::path(
    tag = super::TAG,
    params(AnnouncementPath),
    request_body = AnnouncementStatusRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The announcement after the move", body = Announcement,
            headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/announcements/{id}/status")]
pub async fn change_announcement_status(
    cx: Cx<Editors>,
    path: web::Path<AnnouncementPath>,
    body: ValidJson<AnnouncementStatusRequest>,
) -> AppResult<HttpResponse> {
    let moved = service::change_status(&cx, path.id, body.0).await?;
    Ok(cx.ok_versioned(&moved))
}

/// List published announcements
///
/// No token needed. Newest first; with `city`, that city's and those for the whole
/// province or platform.
#[utoipa::path(
    tag = super::TAG,
    params(PublicAnnouncementQuery),
    security(()),
    responses(
        (status = 200, description = "A page of published announcements", body = PublicAnnouncementPage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page exists"))),
        PublicErrors,
    )
)]
#[get("/public/announcements")]
pub async fn list_public_announcements(
    cx: Cx<Public>,
    query: ValidQuery<PublicAnnouncementQuery>,
) -> AppResult<HttpResponse> {
    let page = service::public(&cx, &query.0).await?;
    Ok(cx.page(&page))
}
