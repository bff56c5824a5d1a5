//! Discussion endpoints: threads, posts, reports, moderation and the unanswered count.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};

use super::dto::*;
use super::service::{self, Acceptors, Askers, Moderators, Overseers, Readers, Repliers};
use crate::context::Cx;
use crate::courses::dto::CoursePath;
use crate::error::AppResult;
use crate::http::extract::{ValidJson, ValidQuery};
use crate::http::responses::*;

/// Ask about a course
///
/// A learner enrolled in the course (any of its versions) opens a thread about it, or about
/// one of its courseware items. Title and text are screened: with a listed term the thread
/// is held for a moderator (`status: pending`, seen only by its author and the moderators).
/// Not enrolled, or no such course: 404. Past the posting limit: 429 `posting_limited`.
#[utoipa::path(
    tag = super::TAG,
    params(CoursePath),
    request_body = ThreadCreate,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The thread with its opening text", body = Thread),
        (status = 404, response = NotFound),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/courses/{id}/threads")]
pub async fn create_thread(
    cx: Cx<Askers>,
    path: web::Path<CoursePath>,
    body: ValidJson<ThreadCreate>,
) -> AppResult<HttpResponse> {
    let thread = service::open(&cx, path.id, body.0).await?;
    Ok(cx.reply(StatusCode::CREATED, &thread))
}

/// List a course's threads
///
/// Newest first, each with its opening text. Held threads are listed to their authors and
/// the moderators only; hidden ones show as hidden (no title or text, but to the author and
/// the moderators).
#[utoipa::path(
    tag = super::TAG,
    params(CoursePath, ThreadListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of threads", body = ThreadPage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page exists"))),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/courses/{id}/threads")]
pub async fn list_threads(
    cx: Cx<Readers>,
    path: web::Path<CoursePath>,
    query: ValidQuery<ThreadListQuery>,
) -> AppResult<HttpResponse> {
    let page = service::list(&cx, path.id, &query.0).await?;
    Ok(cx.page(&page))
}

/// Get a thread
///
/// With its opening text; the replies are listed at `/threads/{id}/posts`.
#[utoipa::path(
    tag = super::TAG,
    params(ThreadPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The thread", body = Thread),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/threads/{id}")]
pub async fn get_thread(cx: Cx<Readers>, path: web::Path<ThreadPath>) -> AppResult<HttpResponse> {
    let thread = service::get(&cx, path.id).await?;
    Ok(cx.reply(StatusCode::OK, &thread))
}

/// List a thread's replies
///
/// Oldest first. Held replies are listed to their authors and the moderators only; hidden
/// ones show as hidden.
#[utoipa::path(
    tag = super::TAG,
    params(ThreadPath, PostListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of replies", body = PostPage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page exists"))),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/threads/{id}/posts")]
pub async fn list_thread_posts(
    cx: Cx<Readers>,
    path: web::Path<ThreadPath>,
    query: ValidQuery<PostListQuery>,
) -> AppResult<HttpResponse> {
    let page = service::replies(&cx, path.id, &query.0).await?;
    Ok(cx.page(&page))
}

/// Reply to a thread
///
/// By a learner enrolled in the course or the course's institution. Screened like a thread:
/// a hit holds the reply for a moderator. The institution's first published reply marks the
/// question answered. A held or hidden thread takes no replies (409 `thread_not_open`); past
/// the posting limit: 429 `posting_limited`.
#[utoipa::path(
    tag = super::TAG,
    params(ThreadPath),
    request_body = PostCreate,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The reply", body = Post),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/threads/{id}/posts")]
pub async fn create_thread_post(
    cx: Cx<Repliers>,
    path: web::Path<ThreadPath>,
    body: ValidJson<PostCreate>,
) -> AppResult<HttpResponse> {
    let post = service::reply(&cx, path.id, body.0).await?;
    Ok(cx.reply(StatusCode::CREATED, &post))
}

/// Moderate a post
///
/// The course's institution (its own courses; another's: 404) or a platform operator hides a
/// post (its text is kept and it shows as hidden) or restores it (a held or hidden post is
/// published; a reported published post is kept and its reports closed). Either way it
/// leaves the moderation queue, with the reason kept. Hiding the opening text hides the
/// thread. A move that changes nothing is 409 `illegal_transition`.
#[utoipa::path(
    tag = super::TAG,
    params(PostPath),
    request_body = ModerationRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The post as it now stands", body = Post),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/posts/{id}/moderation")]
pub async fn moderate_post(
    cx: Cx<Moderators>,
    path: web::Path<PostPath>,
    body: ValidJson<ModerationRequest>,
) -> AppResult<HttpResponse> {
    let post = service::moderate(&cx, path.id, body.0).await?;
    Ok(cx.reply(StatusCode::OK, &post))
}

/// Report a post
///
/// Any reader of the discussion reports a published post, once (409 `already_reported`); it
/// enters the moderation queue. A held or hidden post is 409 `thread_not_open`.
#[utoipa::path(
    tag = super::TAG,
    params(PostPath),
    request_body = ReportCreate,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The report", body = Report),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/posts/{id}/reports")]
pub async fn report_post(
    cx: Cx<Readers>,
    path: web::Path<PostPath>,
    body: ValidJson<ReportCreate>,
) -> AppResult<HttpResponse> {
    let report = service::report(&cx, path.id, body.0).await?;
    Ok(cx.reply(StatusCode::CREATED, &report))
}

/// Accept a reply as the answer
///
/// By the thread's author or the course's institution (anyone else who reads it: 403
/// `not_thread_author`); it replaces an earlier accepted answer and marks the question
/// answered. Only a published reply is accepted (409 `not_a_reply`).
#[utoipa::path(
    tag = super::TAG,
    params(PostPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The thread with its accepted answer", body = Thread),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        SignedInErrors,
    )
)]
#[post("/posts/{id}/acceptance")]
pub async fn accept_post(cx: Cx<Acceptors>, path: web::Path<PostPath>) -> AppResult<HttpResponse> {
    let thread = service::accept(&cx, path.id).await?;
    Ok(cx.reply(StatusCode::OK, &thread))
}

/// List the moderation queue
///
/// Held and reported posts waiting for a decision, in the order they arrived, each with its
/// open reports and its deadline (`discussion.moderation_hours` after it arrived): the
/// institution's for its courses, everything for platform operators.
#[utoipa::path(
    tag = super::TAG,
    params(QueueQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of the queue", body = QueuePage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page exists"))),
        SignedInErrors,
    )
)]
#[get("/moderation-queue")]
pub async fn list_moderation_queue(
    cx: Cx<Moderators>,
    query: ValidQuery<QueueQuery>,
) -> AppResult<HttpResponse> {
    let page = service::queue(&cx, &query.0).await?;
    Ok(cx.page(&page))
}

/// Count unanswered questions
///
/// Published threads left without an answer (no published reply from the institution, none
/// accepted) for more than `discussion.unanswered_hours`, per institution in the caller's
/// scope, ordered by institution id (no ranking).
#[utoipa::path(
    tag = super::TAG,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The counts", body = DiscussionReport),
        SignedInErrors,
    )
)]
#[get("/reports/discussions")]
pub async fn get_discussion_report(cx: Cx<Overseers>) -> AppResult<HttpResponse> {
    let report = service::unanswered(&cx).await?;
    Ok(cx.reply(StatusCode::OK, &report))
}
