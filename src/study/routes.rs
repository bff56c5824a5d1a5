//! Study session endpoints.
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};

use super::captures;
use super::dto::*;
use super::service::{self, Learners, Readers, Reviewers};
use crate::context::Cx;
use crate::error::AppResult;
use crate::http::extract::{ValidJson, ValidQuery};
use crate::http::responses::*;
use crate::http::upload::Upload;
use crate::media::image::ImageType;

/// Open a study session
///
/// The learner opens a session on a video of one of its enrolment's courses (at the version
/// enrolled). It ends the learner's other sessions (one device at a time). A face check is due
/// at once (`face_check_due_by`); without the learner's consent to face processing no session
/// opens (403 `face_consent_required`). The client then sends heartbeats every
/// `heartbeat_secs`.
#[utoipa::path(
    tag = super::TAG,
    request_body = StudySessionCreate,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Opened", body = StudySession),
        (status = 404, response = NotFound),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/study-sessions")]
pub async fn start_session(
    cx: Cx<Learners>,
    req: HttpRequest,
    body: ValidJson<StudySessionCreate>,
) -> AppResult<HttpResponse> {
    let agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let session = service::start(&cx, body.0, agent).await?;
    Ok(cx.reply(StatusCode::CREATED, &session))
}

/// Get a study session
///
/// The record of one session: start and end, client, course version and courseware, credit,
/// and any face check due. For the learner, its institution and the regulators of its city.
#[utoipa::path(
    tag = super::TAG,
    params(SessionPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The session", body = StudySession),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/study-sessions/{id}")]
pub async fn get_session(cx: Cx<Readers>, path: web::Path<SessionPath>) -> AppResult<HttpResponse> {
    let session = service::get(&cx, path.id).await?;
    Ok(cx.reply(StatusCode::OK, &session))
}

/// Send a heartbeat
///
/// Where the player is and whether it plays. The server alone decides what the interval since
/// the last heartbeat earns: only new content beyond what was credited before, never faster
/// than wall time (`fast_forward`), nothing after a gap longer than the idle limit (`idle`:
/// the session pauses), nothing once a face check has gone unanswered past its window
/// (`identity_failed`: the time since the last good check is voided and the session pauses),
/// nothing beyond the day's cap (`daily_cap`, Asia/Shanghai). Time of a course whose quiz is
/// not passed yet is held (`held`). A paused session earns nothing until a face check passes.
/// An ended session answers 409 `session_ended`; a suspended one 409 `session_suspended`.
#[utoipa::path(
    tag = super::TAG,
    params(SessionPath),
    request_body = HeartbeatRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What the heartbeat earned", body = HeartbeatAnswer),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/study-sessions/{id}/heartbeats")]
pub async fn heartbeat(
    cx: Cx<Learners>,
    path: web::Path<SessionPath>,
    body: ValidJson<HeartbeatRequest>,
) -> AppResult<HttpResponse> {
    let answer = service::heartbeat(&cx, path.id, body.0).await?;
    Ok(cx.reply(StatusCode::OK, &answer))
}

/// Answer a face check
///
/// The body is a capture of the learner's face, `image/jpeg` or `image/png` (checked by its
/// content; 422 otherwise), encrypted at rest. With the `manual` verifier the capture is kept
/// for a person to compare with the portrait (`pending_review`: the learner's institution
/// decides it with `POST /face-checks/{id}/verdict`) and study goes on; a paused session
/// resumes.
#[utoipa::path(
    tag = super::TAG,
    params(SessionPath),
    request_body(description = "The capture: its bytes, as they are", content(
        (crate::http::upload::BinaryFile = "image/jpeg"),
        (crate::http::upload::BinaryFile = "image/png"))),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The check as recorded", body = FaceCheck),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = FileRejected),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/study-sessions/{id}/face-checks")]
pub async fn face_check(
    cx: Cx<Learners>,
    path: web::Path<SessionPath>,
    req: HttpRequest,
    body: web::Payload,
) -> AppResult<HttpResponse> {
    let limit = cx.svc.settings.blobs.max_image_mib * 1024 * 1024;
    let upload = Upload::accept(&req, body, ImageType::MEDIA_TYPES, limit)?;
    let check = service::face_check(&cx, path.id, upload).await?;
    Ok(cx.reply(StatusCode::CREATED, &check))
}

/// End a study session
///
/// The learner ends its session; what it earned stays. An ended session answers 409.
#[utoipa::path(
    tag = super::TAG,
    params(SessionPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Ended", body = StudySession),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        SignedInErrors,
    )
)]
#[post("/study-sessions/{id}/end")]
pub async fn end_session(
    cx: Cx<Learners>,
    path: web::Path<SessionPath>,
) -> AppResult<HttpResponse> {
    let session = service::end(&cx, path.id).await?;
    Ok(cx.reply(StatusCode::OK, &session))
}

/// Decide on a suspended session
///
/// After repeated failed face checks a session is suspended; the learner's institution
/// reviews it (face recognition is never the only way through): `resume` opens it again with
/// its failed checks cleared, `end` ends it. The decision is kept with who made it and why.
/// A session that is not suspended answers 409.
#[utoipa::path(
    tag = super::TAG,
    params(SessionPath),
    request_body = SessionReviewRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Decided", body = StudySession),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/study-sessions/{id}/review")]
pub async fn review_session(
    cx: Cx<Reviewers>,
    path: web::Path<SessionPath>,
    body: ValidJson<SessionReviewRequest>,
) -> AppResult<HttpResponse> {
    let session = service::review(&cx, path.id, body.0).await?;
    Ok(cx.reply(StatusCode::OK, &session))
}

/// List face checks
///
/// The face checks of study sessions, each with its capture's fingerprint, result, score and
/// any reviewer's verdict: a learner's own, an institution's, a city's for its regulators, all
/// for province admins and operators. `result=pending_review` is the reviewers' queue of
/// captures the `manual` verifier keeps for a person.
#[utoipa::path(
    tag = super::TAG,
    params(FaceCheckListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of face checks", body = FaceCheckPage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page exists"))),
        SignedInErrors,
    )
)]
#[get("/face-checks")]
pub async fn list_face_checks(
    cx: Cx<Readers>,
    query: ValidQuery<FaceCheckListQuery>,
) -> AppResult<HttpResponse> {
    let page = captures::list(&cx, &query.0).await?;
    Ok(cx.page(&page))
}

/// Get a face check's capture
///
/// The image the learner sent, decrypted, for the learner's institution to compare with the
/// portrait. It is never cached. A missed check has no capture: 404 `no_photo`.
#[utoipa::path(
    tag = super::TAG,
    params(FaceCheckPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The capture", content(
            (crate::http::upload::BinaryFile = "image/jpeg"),
            (crate::http::upload::BinaryFile = "image/png")),
            headers(("ETag" = String, description = "The SHA-256 of the image"))),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/face-checks/{id}/capture")]
pub async fn get_capture(
    cx: Cx<Reviewers>,
    path: web::Path<FaceCheckPath>,
) -> AppResult<HttpResponse> {
    let capture = captures::capture(&cx, path.id).await?;
    Ok(HttpResponse::Ok()
        .content_type(capture.media_type.as_str())
        .insert_header((header::ETAG, format!("\"{}\"", capture.sha256)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(capture.bytes))
}

/// Decide on a capture kept for review
///
/// The learner's institution compares a capture the `manual` verifier kept (`pending_review`)
/// with the portrait. `pass`: the check stands as good. `fail`: what the session earned
/// between the good check before it and it is voided by compensating ledger entries that name
/// the check (`voided_seconds`); if it was the session's latest good check and the session
/// still runs, it pauses with another check due at once, and repeated failures suspend it as
/// failed checks do. The verdict is kept with who gave it and why; a check not waiting for
/// review answers 409 `already_decided`.
#[utoipa::path(
    tag = super::TAG,
    params(FaceCheckPath),
    request_body = FaceCheckVerdictRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Decided", body = FaceCheckDecided),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/face-checks/{id}/verdict")]
pub async fn decide_face_check(
    cx: Cx<Reviewers>,
    path: web::Path<FaceCheckPath>,
    body: ValidJson<FaceCheckVerdictRequest>,
) -> AppResult<HttpResponse> {
    let decided = captures::decide(&cx, path.id, body.0).await?;
    Ok(cx.reply(StatusCode::OK, &decided))
}

/// Get a quiz's questions
///
/// The questions of an end-of-course quiz of the learner's active enrolment, without their
/// answers, and the pass mark. Quiz time is test time: it never counts as study.
#[utoipa::path(
    tag = super::TAG,
    params(SessionPathQuiz, super::quiz::QuizQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The questions", body = super::quiz::QuizShown),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/courseware/{id}/questions")]
pub async fn quiz_questions(
    cx: Cx<Learners>,
    path: web::Path<SessionPathQuiz>,
    query: crate::http::extract::ValidQuery<super::quiz::QuizQuery>,
) -> AppResult<HttpResponse> {
    let shown = super::quiz::questions(&cx, path.id, &query.0).await?;
    Ok(cx.reply(StatusCode::OK, &shown))
}

/// Attempt a quiz
///
/// Scores the answers against the quiz (a question scores when exactly its right options are
/// chosen) and the pass mark `study.quiz_pass_percent` (80). Every attempt is kept. The first
/// pass releases the course's time held until then into credit (`released_seconds`).
#[utoipa::path(
    tag = super::TAG,
    params(SessionPathQuiz),
    request_body = super::quiz::QuizAttemptCreate,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Scored", body = super::quiz::QuizAttempt),
        (status = 404, response = NotFound),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/courseware/{id}/quiz-attempts")]
pub async fn quiz_attempt(
    cx: Cx<Learners>,
    path: web::Path<SessionPathQuiz>,
    body: ValidJson<super::quiz::QuizAttemptCreate>,
) -> AppResult<HttpResponse> {
    let attempt = super::quiz::attempt(&cx, path.id, body.0).await?;
    Ok(cx.reply(StatusCode::CREATED, &attempt))
}
