//! Rating endpoints: a course's ratings, held comments and low-satisfaction flags.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};

use super::dto::*;
use super::service::{self, FlagReaders, Moderators, Raters, RatingReaders};
use crate::context::Cx;
use crate::courses::dto::CoursePath;
use crate::error::AppResult;
use crate::http::extract::{ValidJson, ValidQuery};
use crate::http::responses::*;

/// Rate a course
///
/// A learner rates the published version of a course they studied (study evidence is
/// required: 403 `no_study_evidence` without it), once per version (409 `already_rated`). The
/// comment is screened: with a listed term it is held for a platform operator and hidden
/// until decided; the scores count either way. A rating that takes the version's overall
/// average below `courses.ratings.flag_below` (with at least `flag_min_ratings` ratings)
/// raises a low-satisfaction flag.
#[utoipa::path(
    tag = super::TAG,
    params(CoursePath),
    request_body = RatingCreate,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The rating as recorded", body = Rating),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/courses/{id}/ratings")]
pub async fn create_course_rating(
    cx: Cx<Raters>,
    path: web::Path<CoursePath>,
    body: ValidJson<RatingCreate>,
) -> AppResult<HttpResponse> {
    let rating = service::rate(&cx, path.id, body.0).await?;
    Ok(cx.reply(StatusCode::CREATED, &rating))
}

/// List a course's ratings
///
/// The averages of every version rated (newest first) and a page of the ratings, oldest
/// first. Learners reach published courses; others the courses of their scope. Held and
/// removed comments are hidden except from platform operators.
#[utoipa::path(
    tag = super::TAG,
    params(CoursePath, RatingListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Averages and a page of ratings", body = CourseRatings,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page exists"))),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/courses/{id}/ratings")]
pub async fn list_course_ratings(
    cx: Cx<RatingReaders>,
    path: web::Path<CoursePath>,
    query: ValidQuery<RatingListQuery>,
) -> AppResult<HttpResponse> {
    let ratings = service::ratings(&cx, path.id, &query.0).await?;
    Ok(cx.listing(&ratings, ratings.next_cursor.as_deref()))
}

/// Decide a held comment
///
/// A platform operator publishes a comment screening held, or removes it (the scores count
/// either way). A comment not held is 409 `already_decided`.
#[utoipa::path(
    tag = super::TAG,
    params(RatingPath),
    request_body = CommentModeration,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The rating as it now stands", body = Rating),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/course-ratings/{id}/moderation")]
pub async fn moderate_course_rating(
    cx: Cx<Moderators>,
    path: web::Path<RatingPath>,
    body: ValidJson<CommentModeration>,
) -> AppResult<HttpResponse> {
    let rating = service::moderate(&cx, path.id, body.0).await?;
    Ok(cx.reply(StatusCode::OK, &rating))
}

/// List low-satisfaction flags
///
/// Course versions whose ratings fell below the threshold, within the caller's scope, in the
/// order they were raised; filters by status.
#[utoipa::path(
    tag = super::TAG,
    params(FlagListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of flags", body = CourseFlagPage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page exists"))),
        SignedInErrors,
    )
)]
#[get("/course-flags")]
pub async fn list_course_flags(
    cx: Cx<FlagReaders>,
    query: ValidQuery<FlagListQuery>,
) -> AppResult<HttpResponse> {
    let page = service::flags(&cx, &query.0).await?;
    Ok(cx.page(&page))
}

/// Decide a flag
///
/// A platform operator takes the course down (it is suspended, the reason kept in its
/// history; it returns when an updated version is published or a regulator reinstates it)
/// or dismisses the flag (the version is not flagged again). A decided flag is 409
/// `already_decided`; taking down a version that is no longer the published one is 409
/// `illegal_transition`.
#[utoipa::path(
    tag = super::TAG,
    params(FlagPath),
    request_body = FlagDecisionRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The flag as decided", body = CourseFlag),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/course-flags/{id}/decision")]
pub async fn decide_course_flag(
    cx: Cx<Moderators>,
    path: web::Path<FlagPath>,
    body: ValidJson<FlagDecisionRequest>,
) -> AppResult<HttpResponse> {
    let flag = service::decide(&cx, path.id, body.0).await?;
    Ok(cx.reply(StatusCode::OK, &flag))
}
