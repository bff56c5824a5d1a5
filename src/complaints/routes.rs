//! Complaint endpoints.
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};

use super::dto::*;
use super::service::{self, Actors, CountReaders, Filers, Readers};
use crate::auth::Public;
use crate::context::Cx;
use crate::error::{AppError, AppResult};
use crate::http::extract::{ValidJson, ValidQuery};
use crate::http::responses::*;

/// File a complaint, appeal or suggestion
///
/// By a signed-in learner, or by anyone without a token: the answer then carries a
/// `tracking_code`, shown only here, with which (and the `number`) that person follows and
/// answers it (`POST /complaints/track`). An appeal is a learner's, about its own study
/// session or certificate. The title and content are screened: hits are kept for the handlers
/// (the filing is not refused: a complaint is never published, and may quote what it
/// complains about). The deadlines are set in Asia/Shanghai working time: the first answer
/// within `complaints.first_answer_minutes` of service time (2 hours), the resolution by the
/// close of service on the `complaints.resolve_working_days`-th working day (3). A learner's
/// token that names no learner answers 404.
#[utoipa::path(
    tag = super::TAG,
    request_body = ComplaintCreate,
    security((), ("bearer" = [])),
    responses(
        (status = 201, description = "Filed", body = ComplaintFiled),
        (status = 404, response = NotFound),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/complaints")]
pub async fn file_complaint(
    cx: Cx<Filers>,
    body: ValidJson<ComplaintCreate>,
) -> AppResult<HttpResponse> {
    let filed = service::file(&cx, body.0).await?;
    Ok(cx.reply(StatusCode::CREATED, &filed))
}

/// List complaints
///
/// In the caller's scope: a learner's own, an institution's, a city's for its bureau, all for
/// province admins and the platform's desk. `overdue=true` lists those past a deadline and
/// still waiting for their handlers.
#[utoipa::path(
    tag = super::TAG,
    params(ComplaintListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of complaints", body = ComplaintPage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page exists"))),
        SignedInErrors,
    )
)]
#[get("/complaints")]
pub async fn list_complaints(
    cx: Cx<Readers>,
    query: ValidQuery<ComplaintListQuery>,
) -> AppResult<HttpResponse> {
    let page = service::list(&cx, &query.0).await?;
    Ok(cx.page(&page))
}

/// Get a complaint
///
/// The complaint and its timeline: handlers see every step (internal notes included) and the
/// screening hits; the filer sees the public part. Outside the caller's scope: 404.
#[utoipa::path(
    tag = super::TAG,
    params(ComplaintPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The complaint", body = Complaint),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/complaints/{id}")]
pub async fn get_complaint(
    cx: Cx<Readers>,
    path: web::Path<ComplaintPath>,
) -> AppResult<HttpResponse> {
    let complaint = service::get(&cx, path.id).await?;
    Ok(cx.reply(StatusCode::OK, &complaint))
}

/// Take a step on a complaint
///
/// Handlers `accept`, `reject` (out of scope, with the reason), `start`, `answer`,
/// `escalate` (to the city bureau of the target's city, once) and add internal `note`s; the
/// institution handles its complaints until they are escalated, then the city bureau; the
/// platform's desk always (403 `not_handler` otherwise). The filer (a learner) `reply`s,
/// `close`s an answered complaint, or `reopen`s it once within `complaints.reopen_days` of the
/// answer. A move the status does not allow answers 409 `illegal_transition`.
#[utoipa::path(
    tag = super::TAG,
    params(ComplaintPath),
    request_body = ComplaintActionRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The complaint after the step", body = Complaint),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/complaints/{id}/actions")]
pub async fn complaint_action(
    cx: Cx<Actors>,
    path: web::Path<ComplaintPath>,
    body: ValidJson<ComplaintActionRequest>,
) -> AppResult<HttpResponse> {
    let complaint = service::act(&cx, path.id, body.0).await?;
    Ok(cx.reply(StatusCode::OK, &complaint))
}

/// Follow a complaint without an account
///
/// The number and the tracking code the filing answered (in the body: a code never goes in
/// a URL, where logs would keep it). A wrong number or code answers 404 and reveals nothing;
/// after `complaints.tracking_max_failures` wrong codes the number is refused for
/// `complaints.tracking_lock_minutes` (429 with `Retry-After`).
#[utoipa::path(
    tag = super::TAG,
    request_body = TrackRequest,
    security(()),
    responses(
        (status = 200, description = "The complaint as its filer sees it", body = Complaint),
        (status = 404, response = NotFound),
        PublicErrors,
        BodyErrors,
    )
)]
#[post("/complaints/track")]
pub async fn track_complaint(
    cx: Cx<Public>,
    body: ValidJson<TrackRequest>,
) -> AppResult<HttpResponse> {
    let complaint = service::track(&cx, body.0).await?;
    Ok(cx.reply(StatusCode::OK, &complaint))
}

/// Take a step on a complaint without an account
///
/// The filer's steps (`reply`, `close`, `reopen`) with the number and tracking code; the
/// same rules as for a signed-in filer.
#[utoipa::path(
    tag = super::TAG,
    request_body = TrackActionRequest,
    security(()),
    responses(
        (status = 200, description = "The complaint after the step", body = Complaint),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        PublicErrors,
        BodyErrors,
    )
)]
#[post("/complaints/track/actions")]
pub async fn track_complaint_action(
    cx: Cx<Public>,
    body: ValidJson<TrackActionRequest>,
) -> AppResult<HttpResponse> {
    let complaint = service::track_act(&cx, body.0).await?;
    Ok(cx.reply(StatusCode::OK, &complaint))
}

/// Open and overdue complaints per institution
///
/// For the regulators (a city admin: its city's) and the platform's desk: per institution
/// (none: the platform's own) and city, the complaints still waiting for their handlers and
/// how many of them are past a deadline. A service signal beside ratings; nothing here ranks.
#[utoipa::path(
    tag = super::TAG,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The counts", body = Vec<ComplaintCount>),
        SignedInErrors,
    )
)]
#[get("/reports/complaints")]
pub async fn complaint_counts(cx: Cx<CountReaders>) -> AppResult<HttpResponse> {
    let counts = service::counts(&cx).await?;
    Ok(cx.reply(StatusCode::OK, &counts))
}

/// An attachment's upload: the media types and the size cap of complaint files.
fn attachment(
    settings: &crate::config::Settings,
    req: &HttpRequest,
    body: web::Payload,
) -> AppResult<crate::http::upload::Upload> {
    let limit = settings.complaints.max_attachment_mib * 1024 * 1024;
    crate::http::upload::Upload::accept(req, body, service::ATTACHMENT_TYPES, limit)
}

/// Attach a file to a complaint
///
/// The filer (a signed-in learner) or a handler attaches an image (`image/jpeg`, `image/png`)
/// or a PDF document, checked by its content (422 `file_rejected` otherwise), at most
/// `complaints.max_attachment_mib` (10) MiB and `max_attachments` (10) per complaint (409
/// `too_many_attachments`). It is kept encrypted; the audit log keeps its size and SHA-256.
#[utoipa::path(
    tag = super::TAG,
    params(ComplaintPath),
    request_body(description = "The file: its bytes, as they are", content(
        (crate::http::upload::BinaryFile = "image/jpeg"),
        (crate::http::upload::BinaryFile = "image/png"),
        (crate::http::upload::BinaryFile = "application/pdf"))),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Attached", body = Attachment),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = FileRejected),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/complaints/{id}/attachments")]
pub async fn attach_to_complaint(
    cx: Cx<Actors>,
    path: web::Path<ComplaintPath>,
    req: HttpRequest,
    body: web::Payload,
) -> AppResult<HttpResponse> {
    let upload = attachment(&cx.svc.settings, &req, body)?;
    let attached = service::attach(&cx, path.id, upload).await?;
    Ok(cx.reply(StatusCode::CREATED, &attached))
}

/// Attach a file to a complaint filed without an account
///
/// As a signed-in filer attaches one, with the complaint's number and tracking code in the
/// `Tracking-Number` and `Tracking-Code` headers (never in the URL, where logs would keep
/// them). A wrong number or code answers 404 and counts toward the same lock as following the
/// complaint (429 with `Retry-After`); a missing header 400.
#[utoipa::path(
    tag = super::TAG,
    params(
        ("Tracking-Number" = String, Header, description = "The complaint's number", example = "TS20261206K7M2QX"),
        ("Tracking-Code" = String, Header, description = "The tracking code the filing answered"),
    ),
    request_body(description = "The file: its bytes, as they are", content(
        (crate::http::upload::BinaryFile = "image/jpeg"),
        (crate::http::upload::BinaryFile = "image/png"),
        (crate::http::upload::BinaryFile = "application/pdf"))),
    security(()),
    responses(
        (status = 201, description = "Attached", body = Attachment),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = FileRejected),
        PublicErrors,
        BodyErrors,
    )
)]
#[post("/complaints/track/attachments")]
pub async fn track_attach_to_complaint(
    cx: Cx<Public>,
    req: HttpRequest,
    body: web::Payload,
) -> AppResult<HttpResponse> {
    let header = |name: &str| -> AppResult<String> {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| {
                AppError::field(name, "required", format!("the {name} header is needed"))
            })
    };
    let (number, code) = (header("Tracking-Number")?, header("Tracking-Code")?);
    let upload = attachment(&cx.svc.settings, &req, body)?;
    let attached = service::track_attach(&cx, &number, &code, upload).await?;
    Ok(cx.reply(StatusCode::CREATED, &attached))
}

/// Get a file attached to a complaint
///
/// Decrypted, for those who may read the complaint; never cached.
#[utoipa::path(
    tag = super::TAG,
    params(AttachmentPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The file", content(
            (crate::http::upload::BinaryFile = "image/jpeg"),
            (crate::http::upload::BinaryFile = "image/png"),
            (crate::http::upload::BinaryFile = "application/pdf")),
            headers(("ETag" = String, description = "The SHA-256 of the file"))),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/complaints/{id}/attachments/{attachment_id}")]
pub async fn get_complaint_attachment(
    cx: Cx<Readers>,
    path: web::Path<AttachmentPath>,
) -> AppResult<HttpResponse> {
    let file = service::attachment_file(&cx, path.id, path.attachment_id).await?;
    Ok(HttpResponse::Ok()
        .content_type(file.media_type.as_str())
        .insert_header((header::ETAG, format!("\"{}\"", file.sha256)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(file.bytes))
}
