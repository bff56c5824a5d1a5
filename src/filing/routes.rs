//! Filing endpoints.
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, patch, post};

use super::dto::*;
use super::service::{self, Keepers, Readers};
use crate::auth::Public;
use crate::context::Cx;
use crate::error::{AppError, AppResult};
use crate::http::etag::IfMatch;
use crate::http::extract::{ValidJson, ValidQuery};
use crate::http::responses::*;

/// Get the platform's filing profile
///
/// The facts of the application form: company, credit code, addresses, legal representative,
/// contact, business term, platform address, introduction, after-sales hotline and e-mail,
/// the complaint-handling team. Unset fields are null until filled (`ETag` `"v0"`).
#[utoipa::path(
    tag = super::TAG,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The profile", body = PlatformProfile,
            headers(("ETag" = String, description = "Its version"))),
        SignedInErrors,
    )
)]
#[get("/platform-profile")]
pub async fn get_platform_profile(cx: Cx<Readers>) -> AppResult<HttpResponse> {
    let profile = service::get(&cx).await?;
    Ok(cx.ok_versioned(&profile))
}

/// Change the platform's filing profile
///
/// Platform operators set the fields named (the credit code's check character, phones,
/// e-mail and web address are validated); the others stay. Needs `If-Match` with the
/// current `ETag` (`"v0"` before the first change). Every change is audited, phones masked.
#[utoipa::path(
    tag = super::TAG,
    params(crate::http::etag::IfMatchHeader),
    request_body = PlatformProfileUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed", body = PlatformProfile,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 428, response = PreconditionRequired),
        SignedInErrors,
        BodyErrors,
    )
)]
#[patch("/platform-profile")]
pub async fn update_platform_profile(
    cx: Cx<Keepers>,
    if_match: IfMatch,
    body: ValidJson<PlatformProfileUpdate>,
) -> AppResult<HttpResponse> {
    let profile = service::update(&cx, &if_match, body.0).await?;
    Ok(cx.ok_versioned(&profile))
}

/// The platform's after-sales contacts
///
/// No token needed: the company, the platform's address, the after-sales hotline and e-mail.
#[utoipa::path(
    tag = super::TAG,
    security(()),
    responses(
        (status = 200, description = "The public part of the profile", body = PublicPlatformProfile),
        PublicErrors,
    )
)]
#[get("/public/platform-profile")]
pub async fn get_public_platform_profile(cx: Cx<Public>) -> AppResult<HttpResponse> {
    let profile = service::public(&cx).await?;
    Ok(cx.reply(StatusCode::OK, &profile))
}

/// Record a management document's new version
///
/// Platform operators record a version of one of the documents the filing lists (operations
/// and maintenance, course review and update, emergency response, information collection
/// and publication, backups, after-sales); it is numbered after the last of its kind and in
/// force from its effective date. Versions are kept, never changed.
#[utoipa::path(
    tag = super::TAG,
    request_body = PolicyCreate,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded", body = Policy),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/policies")]
pub async fn create_policy(
    cx: Cx<Keepers>,
    body: ValidJson<PolicyCreate>,
) -> AppResult<HttpResponse> {
    let policy = service::create_policy(&cx, body.0).await?;
    Ok(cx.reply(StatusCode::CREATED, &policy))
}

/// List the management documents
///
/// Every version, by kind and version, each marked whether it is the one in force today
/// (the newest already effective).
#[utoipa::path(
    tag = super::TAG,
    params(PolicyListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The versions", body = Vec<Policy>),
        SignedInErrors,
    )
)]
#[get("/policies")]
pub async fn list_policies(
    cx: Cx<Readers>,
    query: ValidQuery<PolicyListQuery>,
) -> AppResult<HttpResponse> {
    let list = service::list_policies(&cx, &query.0).await?;
    Ok(cx.reply(StatusCode::OK, &list))
}

/// The filing report
///
/// The application form filled from the profile, the management documents in force, and the
/// counts that show the commitments are kept: institutions per city, published courses,
/// courses past their update deadline, open and overdue complaints, and the audit chain's
/// last verification (as the audit log recorded it). `json` (the default) or `xlsx` (sheets
/// 申请表, 承诺落实情况, 各市培训机构, 管理制度).
#[utoipa::path(
    tag = super::TAG,
    params(FilingQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report", content(
            (FilingReport = "application/json"),
            (crate::http::upload::BinaryFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")),
            headers(("Content-Disposition" = String, description = "`attachment; filename=…` for xlsx"))),
        SignedInErrors,
    )
)]
#[get("/reports/filing")]
pub async fn get_filing_report(
    cx: Cx<Readers>,
    query: ValidQuery<FilingQuery>,
) -> AppResult<HttpResponse> {
    let report = service::report(&cx).await?;
    match query.0.format.unwrap_or_default() {
        FilingFormat::Json => Ok(cx.reply(StatusCode::OK, &report)),
        FilingFormat::Xlsx => {
            let bytes = actix_web::web::block(move || service::workbook(&report))
                .await
                .map_err(AppError::internal)?
                .map_err(AppError::internal)?;
            let stamp = chrono::Utc::now().format("%Y%m%d");
            Ok(HttpResponse::Ok()
                .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"filing-{stamp}.xlsx\""),
                ))
                .body(bytes))
        }
    }
}
