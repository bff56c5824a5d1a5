//! Screening endpoints.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, put, web};

use super::dto::*;
use super::service::{self, Checkers, ListKeepers, ListReaders};
use crate::context::Cx;
use crate::error::AppResult;
use crate::http::etag::IfMatch;
use crate::http::extract::{ValidJson, ValidQuery};
use crate::http::responses::*;

/// List the term lists
///
/// The nine categories of prohibited content, with how many terms each list holds and its
/// version (0 while it is the list shipped). Province admins and platform operators.
#[utoipa::path(tag = super::TAG, params(NoQuery), security(("bearer" = [])), responses(
    (status = 200, description = "Every category's list, in short", body = Vec<ScreeningListSummary>),
    SignedInErrors,
))]
#[get("/screening/lists")]
pub async fn list_screening_lists(
    cx: Cx<ListReaders>,
    _q: ValidQuery<NoQuery>,
) -> AppResult<HttpResponse> {
    let lists = service::lists(&cx).await?;
    Ok(cx.reply(StatusCode::OK, &lists))
}

/// Get a term list
///
/// One category's terms, with its `ETag` for a replacement.
#[utoipa::path(tag = super::TAG, params(CategoryPath), security(("bearer" = [])), responses(
    (status = 200, description = "The list", body = ScreeningList,
        headers(("ETag" = String, description = "Its version, for If-Match"))),
    (status = 404, response = NotFound),
    SignedInErrors,
))]
#[get("/screening/lists/{category}")]
pub async fn get_screening_list(
    cx: Cx<ListReaders>,
    path: web::Path<CategoryPath>,
) -> AppResult<HttpResponse> {
    let list = service::list(&cx, path.category).await?;
    Ok(cx.ok_versioned(&list))
}

/// Replace a term list
///
/// Replaces one category's terms (province admins only). `If-Match` with the list's `ETag` is
/// required (428 without it, 412 when another replacement came first). Every replica screens
/// with the new list within a second.
#[utoipa::path(tag = super::TAG,
    params(CategoryPath, crate::http::etag::IfMatchHeader),
    request_body = ScreeningListReplace, security(("bearer" = [])), responses(
    (status = 200, description = "The list as replaced", body = ScreeningList,
        headers(("ETag" = String, description = "The new version"))),
    (status = 404, response = NotFound),
    (status = 412, response = PreconditionFailed),
    (status = 428, response = PreconditionRequired),
    SignedInErrors,
    BodyErrors,
))]
#[put("/screening/lists/{category}")]
pub async fn replace_screening_list(
    cx: Cx<ListKeepers>,
    path: web::Path<CategoryPath>,
    if_match: IfMatch,
    body: ValidJson<ScreeningListReplace>,
) -> AppResult<HttpResponse> {
    let list = service::replace(&cx, path.category, &if_match, body.0).await?;
    Ok(cx.ok_versioned(&list))
}

/// Screen a text
///
/// Every place in the text where a listed term occurs, matched in the text folded from
/// full-width forms, in any case, with spaces and separators between its characters left out;
/// each hit names its category and where it stands in the text as sent. Institutions check
/// their texts before filing them; the same screening runs when they are filed.
#[utoipa::path(tag = super::TAG, request_body = ScreeningCheck, security(("bearer" = [])), responses(
    (status = 200, description = "What the screening found", body = ScreeningResult),
    SignedInErrors,
    BodyErrors,
))]
#[post("/screening/checks")]
pub async fn check_text(
    cx: Cx<Checkers>,
    body: ValidJson<ScreeningCheck>,
) -> AppResult<HttpResponse> {
    let result = service::check(&cx, &body.0).await?;
    Ok(cx.reply(StatusCode::OK, &result))
}
