//! Teacher endpoints.
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, put, web};

use super::dto::*;
use super::service::{self, Editors, Readers};
use crate::context::Cx;
use crate::error::AppResult;
use crate::http::etag::IfMatch;
use crate::http::extract::{ValidJson, ValidQuery};
use crate::http::idempotency::{IdempotencyHeader, IdempotencyKey};
use crate::http::responses::*;
use crate::http::upload::Upload;
use crate::media::image::ImageType;

/// Create a teacher
///
/// An institution's admin adds a teacher to its own institution (another institution answers
/// 403; an exited one 409). Send an `Idempotency-Key` to make retries safe. The photo is
/// uploaded next, with `PUT /teachers/{id}/photo`.
#[utoipa::path(
    tag = super::TAG,
    request_body = TeacherCreate,
    params(IdempotencyHeader),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Teacher, headers(
            ("Location" = String, description = "The new teacher's URL"),
            ("ETag" = String, description = "Its version, for If-Match"),
            ("Idempotent-Replayed" = String, description = "`true` when this answer repeats the first one for the same Idempotency-Key")),
            links(
                ("GetTeacher" = (operation_id = "get_teacher", parameters(("id" = "$response.body#/id")),
                    description = "Read the teacher just created")),
                ("UpdateTeacher" = (operation_id = "update_teacher", parameters(("id" = "$response.body#/id")),
                    description = "Edit the profile (send its ETag in If-Match)")),
                ("PutTeacherPhoto" = (operation_id = "put_teacher_photo", parameters(("id" = "$response.body#/id")),
                    description = "Upload the photo")),
            )),
        (status = 409, response = Conflict),
        (status = 422, response = IdempotencyMismatch),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/teachers")]
pub async fn create_teacher(
    cx: Cx<Editors>,
    key: IdempotencyKey,
    body: ValidJson<TeacherCreate>,
) -> AppResult<HttpResponse> {
    let (created, location) = service::create(&cx, &key, body.0).await?;
    Ok(cx.created(&created, location))
}

/// List teachers
///
/// Teachers within the caller's scope, in creation order: all for province admins and
/// platform operators, one city's for a city admin, its own for an institution admin.
#[utoipa::path(
    tag = super::TAG,
    params(TeacherListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of teachers", body = TeacherPage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page exists"))),
        SignedInErrors,
    )
)]
#[get("/teachers")]
pub async fn list_teachers(
    cx: Cx<Readers>,
    query: ValidQuery<TeacherListQuery>,
) -> AppResult<HttpResponse> {
    let page = service::list(&cx, &query.0).await?;
    Ok(cx.page(&page))
}

/// Get a teacher
///
/// One teacher within the caller's scope, with its `ETag`. Another city's or institution's
/// teacher answers 404, and the attempt is audited.
#[utoipa::path(
    tag = super::TAG,
    params(TeacherPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The teacher", body = Teacher,
            headers(("ETag" = String, description = "Its version, for If-Match"))),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/teachers/{id}")]
pub async fn get_teacher(cx: Cx<Readers>, path: web::Path<TeacherPath>) -> AppResult<HttpResponse> {
    let teacher = service::get(&cx, path.id).await?;
    Ok(cx.ok_versioned(&teacher))
}

/// Update a teacher's profile
///
/// Changes the fields sent (a list sent replaces the list). `If-Match` with the current
/// `ETag` is required: 428 without it, 412 with any other tag. Only the institution's own
/// admins may; an exited institution's teachers cannot change (409).
#[utoipa::path(
    tag = super::TAG,
    params(TeacherPath, crate::http::etag::IfMatchHeader),
    request_body = TeacherUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated", body = Teacher,
            headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 428, response = PreconditionRequired),
        SignedInErrors,
        BodyErrors,
    )
)]
#[patch("/teachers/{id}")]
pub async fn update_teacher(
    cx: Cx<Editors>,
    path: web::Path<TeacherPath>,
    if_match: IfMatch,
    body: ValidJson<TeacherUpdate>,
) -> AppResult<HttpResponse> {
    let teacher = service::update(&cx, path.id, &if_match, body.0).await?;
    Ok(cx.ok_versioned(&teacher))
}

/// Upload a teacher's photo
///
/// The body is the image itself, `image/jpeg` or `image/png`, up to `blobs.max_image_mib`
/// MiB. It streams to the blob store; its type and pixel size are read from its content
/// (a file that is not a whole image of the type sent, or whose sides are outside 64–8192
/// pixels, answers 422 and nothing is kept). Replaces any earlier photo.
#[utoipa::path(
    tag = super::TAG,
    params(TeacherPath),
    request_body(description = "The photo file: its bytes, as they are", content(
        (crate::http::upload::BinaryFile = "image/jpeg"),
        (crate::http::upload::BinaryFile = "image/png"))),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The teacher with its new photo", body = Teacher,
            headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = FileRejected),
        SignedInErrors,
        BodyErrors,
    )
)]
#[put("/teachers/{id}/photo")]
pub async fn put_teacher_photo(
    cx: Cx<Editors>,
    path: web::Path<TeacherPath>,
    req: HttpRequest,
    body: web::Payload,
) -> AppResult<HttpResponse> {
    let limit = cx.svc.settings.blobs.max_image_mib * 1024 * 1024;
    let upload = Upload::accept(&req, body, ImageType::MEDIA_TYPES, limit)?;
    let teacher = service::put_photo(&cx, path.id, upload).await?;
    Ok(cx.ok_versioned(&teacher))
}

/// Get a teacher's photo
///
/// The image as uploaded, with its media type. A teacher without a photo answers 404 with
/// code `no_photo` (`not_found` when there is no such teacher in the caller's scope).
#[utoipa::path(
    tag = super::TAG,
    params(TeacherPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The photo", content(
            (crate::http::upload::BinaryFile = "image/jpeg"),
            (crate::http::upload::BinaryFile = "image/png")),
            headers(("ETag" = String, description = "The SHA-256 of the file"))),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/teachers/{id}/photo")]
pub async fn get_teacher_photo(
    cx: Cx<Readers>,
    path: web::Path<TeacherPath>,
) -> AppResult<HttpResponse> {
    let file = service::photo(&cx, path.id).await?;
    Ok(HttpResponse::Ok()
        .content_type(file.photo.media_type.as_str())
        .insert_header((header::ETAG, format!("\"{}\"", file.photo.sha256)))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .no_chunking(file.body.size)
        .streaming(file.body.body))
}
