//! Course endpoints: courses, their versions and lifecycle, reviews and courseware.
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, patch, post, put, web};

use super::courseware;
use super::dto::*;
use super::lifecycle::{self, Movers, Reviewers};
use super::service::{self, Editors, Readers};
use crate::context::Cx;
use crate::error::AppResult;
use crate::http::etag::IfMatch;
use crate::http::extract::{ValidJson, ValidQuery};
use crate::http::idempotency::{IdempotencyHeader, IdempotencyKey};
use crate::http::responses::*;
use crate::http::upload::{BinaryFile, Upload};

/// Create a course
///
/// An institution's admin files a course of its own institution as a draft (version 1). Its
/// teachers must be the institution's. Send an `Idempotency-Key` to make retries safe.
#[utoipa::path(
    tag = super::TAG,
    request_body = CourseCreate,
    params(IdempotencyHeader),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Course, headers(
            ("Location" = String, description = "The new course's URL"),
            ("ETag" = String, description = "Its version, for If-Match"),
            ("Idempotent-Replayed" = String, description = "`true` when this answer repeats the first one for the same Idempotency-Key")),
            links(
                ("GetCourse" = (operation_id = "get_course", parameters(("id" = "$response.body#/id")), description = "Read the course")),
                ("UpdateCourse" = (operation_id = "update_course", parameters(("id" = "$response.body#/id")), description = "Edit it (send its ETag in If-Match)")),
                ("CreateCourseware" = (operation_id = "create_courseware", parameters(("id" = "$response.body#/id")), description = "Add courseware")),
                ("ChangeCourseStatus" = (operation_id = "change_course_status", parameters(("id" = "$response.body#/id")), description = "Submit it for review")),
            )),
        (status = 409, response = Conflict),
        (status = 422, response = IdempotencyMismatch),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/courses")]
pub async fn create_course(
    cx: Cx<Editors>,
    key: IdempotencyKey,
    body: ValidJson<CourseCreate>,
) -> AppResult<HttpResponse> {
    let (created, location) = service::create(&cx, &key, body.0).await?;
    Ok(cx.created(&created, location))
}

/// List courses
///
/// Courses within the caller's scope, each with its current version's content: all for
/// province admins and platform operators, one city's for a city admin, its own for an
/// institution admin. Filters by institution, status, training category and `overdue`;
/// ordered by creation, or by title or first publication (`sort`).
#[utoipa::path(
    tag = super::TAG,
    params(CourseListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of courses", body = CoursePage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page exists"))),
        SignedInErrors,
    )
)]
#[get("/courses")]
pub async fn list_courses(
    cx: Cx<Readers>,
    query: ValidQuery<CourseListQuery>,
) -> AppResult<HttpResponse> {
    let page = service::list(&cx, &query.0).await?;
    Ok(cx.page(&page))
}

/// List overdue courses
///
/// Courses within the caller's scope whose update deadline (set when a regulation they rest on
/// takes effect or is amended) has passed or falls within `courses.overdue_warning_days`, in
/// creation order. The same as `GET /courses?overdue=true`.
#[utoipa::path(
    tag = super::TAG,
    params(OverdueQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of overdue courses", body = CoursePage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page exists"))),
        SignedInErrors,
    )
)]
#[get("/courses/overdue")]
pub async fn list_overdue_courses(
    cx: Cx<Readers>,
    query: ValidQuery<OverdueQuery>,
) -> AppResult<HttpResponse> {
    let q = query.0;
    let list = CourseListQuery {
        institution_id: q.institution_id,
        status: None,
        category: None,
        overdue: Some(true),
        sort: None,
        limit: q.limit,
        cursor: q.cursor,
    };
    let page = service::list(&cx, &list).await?;
    Ok(cx.page(&page))
}

/// Get a course
///
/// One course within the caller's scope, with its current version's content and its `ETag`.
#[utoipa::path(
    tag = super::TAG,
    params(CoursePath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The course", body = Course,
            headers(("ETag" = String, description = "Its version, for If-Match"))),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/courses/{id}")]
pub async fn get_course(cx: Cx<Readers>, path: web::Path<CoursePath>) -> AppResult<HttpResponse> {
    let course = service::get(&cx, path.id).await?;
    Ok(cx.ok_versioned(&course))
}

/// Update a course
///
/// Changes the fields sent, on the course's draft version. When the current version is
/// published, the change opens a new version (a draft, courseware copied) that goes through
/// review again while the published one stays what learners study. A version under review
/// cannot change (409 `course_under_review`: move it back to draft first). `If-Match` required.
#[utoipa::path(
    tag = super::TAG,
    params(CoursePath, crate::http::etag::IfMatchHeader),
    request_body = CourseUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated", body = Course,
            headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 428, response = PreconditionRequired),
        SignedInErrors,
        BodyErrors,
    )
)]
#[patch("/courses/{id}")]
pub async fn update_course(
    cx: Cx<Editors>,
    path: web::Path<CoursePath>,
    if_match: IfMatch,
    body: ValidJson<CourseUpdate>,
) -> AppResult<HttpResponse> {
    let course = service::update(&cx, path.id, &if_match, body.0).await?;
    Ok(cx.ok_versioned(&course))
}

/// List a course's versions
///
/// Every version, oldest first, with its review status (`published` for the one learners
/// study, `superseded` for those it replaced).
#[utoipa::path(
    tag = super::TAG,
    params(CoursePath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The versions", body = Vec<CourseVersion>),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/courses/{id}/versions")]
pub async fn list_course_versions(
    cx: Cx<Readers>,
    path: web::Path<CoursePath>,
) -> AppResult<HttpResponse> {
    let versions = service::versions(&cx, path.id).await?;
    Ok(cx.reply(StatusCode::OK, &versions))
}

/// Change a course's status
///
/// One lifecycle move. Review moves act on the current version: `submitted` (the institution;
/// needs courseware with files, hours that agree with the videos within
/// `courses.hours_tolerance_minutes`, and texts that pass screening), `institution_approved`
/// (the institution, after its review passed every item), `platform_approved` (a platform
/// operator, after the platform review passed every item), `published` (the institution or a
/// platform operator; both reviews passed), `draft` (taking a version back from review).
/// `suspended` (regulators and platform operators) and `published` again (reinstating) act on
/// the course; `retired` (the institution or a platform operator) is final. Each move is kept
/// with actor, time and reason.
#[utoipa::path(
    tag = super::TAG,
    params(CoursePath),
    request_body = CourseStatusRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The course after the move", body = Course,
            headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/courses/{id}/status")]
pub async fn change_course_status(
    cx: Cx<Movers>,
    path: web::Path<CoursePath>,
    body: ValidJson<CourseStatusRequest>,
) -> AppResult<HttpResponse> {
    let course = lifecycle::change_status(&cx, path.id, body.0).await?;
    Ok(cx.ok_versioned(&course))
}

/// List a course's status changes
///
/// Every lifecycle move of one course, oldest first, with actor, time, reason and version.
#[utoipa::path(
    tag = super::TAG,
    params(CoursePath, PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of status changes", body = CourseStatusChangePage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page exists"))),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/courses/{id}/status-changes")]
pub async fn list_course_status_changes(
    cx: Cx<Readers>,
    path: web::Path<CoursePath>,
    query: ValidQuery<PageQuery>,
) -> AppResult<HttpResponse> {
    let page = lifecycle::status_history(&cx, path.id, &query.0).await?;
    Ok(cx.page(&page))
}

/// Review a course
///
/// A verdict on each of the six items (`content`, `form`, `ideology`, `video_format`,
/// `video_quality`, `copyright`) of the current version: level `institution` by the
/// institution's admin while it is `submitted`, level `platform` by a platform operator while it
/// is `institution_approved`. `video_format` and `video_quality` start from the automatic
/// checks: passing one a video failed answers 409 `automatic_check_failed`. A failed item needs a
/// comment.
#[utoipa::path(
    tag = super::TAG,
    params(CoursePath),
    request_body = ReviewCreate,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The review as recorded", body = Review),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/courses/{id}/reviews")]
pub async fn create_course_review(
    cx: Cx<Reviewers>,
    path: web::Path<CoursePath>,
    body: ValidJson<ReviewCreate>,
) -> AppResult<HttpResponse> {
    let review = lifecycle::review(&cx, path.id, body.0).await?;
    Ok(cx.reply(StatusCode::CREATED, &review))
}

/// List a course's reviews
///
/// Every review of every version, oldest first.
#[utoipa::path(
    tag = super::TAG,
    params(CoursePath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The reviews", body = Vec<Review>),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/courses/{id}/reviews")]
pub async fn list_course_reviews(
    cx: Cx<Readers>,
    path: web::Path<CoursePath>,
) -> AppResult<HttpResponse> {
    let reviews = lifecycle::reviews(&cx, path.id).await?;
    Ok(cx.reply(StatusCode::OK, &reviews))
}

/// Add courseware
///
/// A new piece (video, document or quiz) of the course's draft version (opening a new version
/// when the current one is published); its file is uploaded next with
/// `PUT /courseware/{id}/file`.
#[utoipa::path(
    tag = super::TAG,
    params(CoursePath),
    request_body = CoursewareCreate,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The courseware", body = Courseware,
            links(("UploadCoursewareFile" = (operation_id = "upload_courseware_file", parameters(("id" = "$response.body#/id")), description = "Upload its file")))),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/courses/{id}/courseware")]
pub async fn create_courseware(
    cx: Cx<Editors>,
    path: web::Path<CoursePath>,
    body: ValidJson<CoursewareCreate>,
) -> AppResult<HttpResponse> {
    let piece = courseware::create(&cx, path.id, body.0).await?;
    Ok(cx.reply(StatusCode::CREATED, &piece))
}

/// List a course's courseware
///
/// The pieces of the current version, in position order, with their files' facts and, for
/// videos, the automatic checks.
#[utoipa::path(
    tag = super::TAG,
    params(CoursePath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The courseware", body = Vec<Courseware>),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/courses/{id}/courseware")]
pub async fn list_courseware(
    cx: Cx<Readers>,
    path: web::Path<CoursePath>,
) -> AppResult<HttpResponse> {
    let pieces = courseware::list(&cx, path.id).await?;
    Ok(cx.reply(StatusCode::OK, &pieces))
}

/// Upload a courseware file
///
/// The body is the file: `video/mp4` for a video, `application/pdf` for a document,
/// `application/json` in the quiz format (questions with their kind, options and answers; up to 512 KiB) for a quiz; up to `blobs.max_courseware_mib`.
/// It streams to the blob store. A video's container, codecs, resolution, bitrate and duration
/// are read from the file as it arrives, and the automatic video-format and video-quality checks
/// are kept with it (a video the policy refuses is kept, its failed rules named, and cannot pass
/// review). A file that is not of its kind (not a readable MP4, not a PDF) answers 422 and
/// nothing is kept. Replaces an earlier file.
#[utoipa::path(
    tag = super::TAG,
    params(CoursewarePath),
    request_body(description = "The file: its bytes, as they are (the type the courseware's kind takes)", content(
        (BinaryFile = "video/mp4"), (BinaryFile = "application/pdf"), (crate::courses::quiz::Quiz = "application/json"))),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The courseware with its file", body = Courseware),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = FileRejected),
        SignedInErrors,
        BodyErrors,
    )
)]
#[put("/courseware/{id}/file")]
pub async fn upload_courseware_file(
    cx: Cx<Editors>,
    path: web::Path<CoursewarePath>,
    req: HttpRequest,
    body: web::Payload,
) -> AppResult<HttpResponse> {
    let limit = cx.svc.settings.blobs.max_courseware_mib * 1024 * 1024;
    let types = ["video/mp4", "application/pdf", "application/json"];
    let upload = Upload::accept(&req, body, &types, limit)?;
    let piece = courseware::upload(&cx, path.id, upload).await?;
    Ok(cx.reply(StatusCode::OK, &piece))
}

/// Get a courseware file
///
/// The file, or one byte range of it (`Range: bytes=…`, answered 206 with `Content-Range`; a
/// range outside the file answers 416). For reviewers, the owning institution and regulators in
/// scope.
#[utoipa::path(
    tag = super::TAG,
    params(CoursewarePath, ("Range" = Option<String>, Header, pattern = "^bytes=[0-9]*-[0-9]*$",
        description = "One byte range, like `bytes=0-1048575`")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The file", content(
            (BinaryFile = "video/mp4"), (BinaryFile = "application/pdf"), (BinaryFile = "application/json")),
            headers(("ETag" = String, description = "The file's SHA-256"),
                ("Accept-Ranges" = String, description = "`bytes`"))),
        (status = 206, description = "The range asked", content(
            (BinaryFile = "video/mp4"), (BinaryFile = "application/pdf"), (BinaryFile = "application/json")),
            headers(("Content-Range" = String, description = "`bytes start-end/size`"))),
        (status = 404, response = NotFound),
        (status = 416, response = RangeNotSatisfiable),
        SignedInErrors,
    )
)]
#[get("/courseware/{id}/file")]
pub async fn get_courseware_file(
    cx: Cx<Readers>,
    path: web::Path<CoursewarePath>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let range = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok());
    let file = courseware::file(&cx, path.id, range).await?;
    let read = file.body;
    let partial = read.range.start > 0 || read.range.end < read.size;
    let mut res = if partial {
        let mut res = HttpResponse::PartialContent();
        res.insert_header((
            header::CONTENT_RANGE,
            format!(
                "bytes {}-{}/{}",
                read.range.start,
                read.range.end - 1,
                read.size
            ),
        ));
        res
    } else {
        HttpResponse::Ok()
    };
    Ok(res
        .content_type(file.media_type.as_str())
        .insert_header((header::ETAG, format!("\"{}\"", file.sha256)))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .no_chunking(read.range.end - read.range.start)
        .streaming(read.body))
}
