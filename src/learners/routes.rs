//! Learner and sign-in endpoints.
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, patch, post, put, web};

use super::dto::*;
use super::service::{self, Editors, Readers, Selves};
use super::sign_in;
use crate::auth::Public;
use crate::context::Cx;
use crate::error::AppResult;
use crate::http::etag::IfMatch;
use crate::http::extract::{ValidJson, ValidQuery};
use crate::http::idempotency::{IdempotencyHeader, IdempotencyKey};
use crate::http::responses::*;

/// Register a learner
///
/// An institution's admin registers a learner at its own institution (another institution
/// answers 403; an exited one 409). The identity number (GB 11643, check character and date
/// of birth checked) and the phone are each unique among learners (409 `id_number_taken`,
/// `phone_taken`); both are stored encrypted. Without a `password` one is generated and shown
/// in this answer only. Send an `Idempotency-Key` to make retries safe (a replay shows no
/// password).
#[utoipa::path(
    tag = super::TAG,
    request_body = LearnerCreate,
    params(IdempotencyHeader),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Registered", body = NewLearner, headers(
            ("Location" = String, description = "The new learner's URL"),
            ("ETag" = String, description = "Its version, for If-Match"),
            ("Idempotent-Replayed" = String, description = "`true` when this answer repeats the first one for the same Idempotency-Key")),
            links(
                ("GetLearner" = (operation_id = "get_learner", parameters(("id" = "$response.body#/id")),
                    description = "Read the learner just registered")),
                ("UpdateLearner" = (operation_id = "update_learner", parameters(("id" = "$response.body#/id")),
                    description = "Edit the learner (send its ETag in If-Match)")),
            )),
        (status = 409, response = Conflict),
        (status = 422, response = IdempotencyMismatch),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/learners")]
pub async fn create_learner(
    cx: Cx<Editors>,
    key: IdempotencyKey,
    body: ValidJson<LearnerCreate>,
) -> AppResult<HttpResponse> {
    let (created, location) = service::create(&cx, &key, body.0).await?;
    Ok(cx.created(&created, location))
}

/// Import learners from a CSV file
///
/// The body is a CSV file (`text/csv`, UTF-8 with or without a byte-order mark, up to 1 MiB
/// and 1,000 rows) whose header names the columns `name`, `id_number`, `phone`,
/// `employer_name`, `employer_credit_code`, `industry`, `city_code`, `training_category`,
/// `operation_type` (empty unless special operation), `training_type` and, optionally,
/// `password` (empty: one is generated). Each row is checked by the rules of a single
/// registration and against the other rows and the learners already registered. The answer
/// reports every row: a rejected row names each field and rule and is written nowhere; the
/// created rows are written together. A header that is not the columns above answers 400.
#[utoipa::path(
    tag = super::TAG,
    params(super::import::ImportQuery),
    request_body(description = "The CSV file: its bytes, UTF-8", content((crate::http::upload::BinaryFile = "text/csv"))),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report of every row", body = super::import::ImportReport),
        (status = 409, response = Conflict),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/learners/import")]
pub async fn import_learners(
    cx: Cx<Editors>,
    query: ValidQuery<super::import::ImportQuery>,
    req: actix_web::HttpRequest,
    body: web::Payload,
) -> AppResult<HttpResponse> {
    let media_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if media_type != "text/csv" {
        return Err(crate::error::AppError::new(
            crate::error::Code::UnsupportedMediaType,
            "the request body must be text/csv",
        ));
    }
    let csv = super::import::read_body(body).await?;
    let report = super::import::import(&cx, query.0.institution_id, csv).await?;
    Ok(cx.reply(StatusCode::OK, &report))
}

/// List learners
///
/// Learners within the caller's scope, in registration order: all for province admins and
/// platform operators, those working in its city for a city admin, its own for an institution
/// admin. Identity numbers and phones are in full for the institution, masked for others.
#[utoipa::path(
    tag = super::TAG,
    params(LearnerListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of learners", body = LearnerPage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page exists"))),
        SignedInErrors,
    )
)]
#[get("/learners")]
pub async fn list_learners(
    cx: Cx<Readers>,
    query: ValidQuery<LearnerListQuery>,
) -> AppResult<HttpResponse> {
    let page = service::list(&cx, &query.0).await?;
    Ok(cx.page(&page))
}

/// Get a learner
///
/// One learner within the caller's scope, with its `ETag`. Another city's or institution's
/// learner answers 404, and the attempt is audited.
#[utoipa::path(
    tag = super::TAG,
    params(LearnerPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The learner", body = Learner,
            headers(("ETag" = String, description = "Its version, for If-Match"))),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/learners/{id}")]
pub async fn get_learner(cx: Cx<Readers>, path: web::Path<LearnerPath>) -> AppResult<HttpResponse> {
    let learner = service::get(&cx, path.id).await?;
    Ok(cx.ok_versioned(&learner))
}

/// Update a learner
///
/// Changes the fields sent. `If-Match` with the current `ETag` is required: 428 without it,
/// 412 with any other tag. Only the institution's own admins may; an exited institution's
/// learners cannot change (409). A changed identity number or phone must still be unique.
#[utoipa::path(
    tag = super::TAG,
    params(LearnerPath, crate::http::etag::IfMatchHeader),
    request_body = LearnerUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated", body = Learner,
            headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 428, response = PreconditionRequired),
        SignedInErrors,
        BodyErrors,
    )
)]
#[patch("/learners/{id}")]
pub async fn update_learner(
    cx: Cx<Editors>,
    path: web::Path<LearnerPath>,
    if_match: IfMatch,
    body: ValidJson<LearnerUpdate>,
) -> AppResult<HttpResponse> {
    let learner = service::update(&cx, path.id, &if_match, body.0).await?;
    Ok(cx.ok_versioned(&learner))
}

/// Upload a learner's portrait
///
/// The reference photo face checks are compared with: `image/jpeg` or `image/png`, up to
/// `blobs.max_image_mib` MiB, checked by its content (422 otherwise, nothing kept), encrypted
/// at rest. Replaces any earlier portrait. The institution's own admins only.
#[utoipa::path(
    tag = super::TAG,
    params(LearnerPath),
    request_body(description = "The photo: its bytes, as they are", content(
        (crate::http::upload::BinaryFile = "image/jpeg"),
        (crate::http::upload::BinaryFile = "image/png"))),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The learner with its portrait's facts", body = Learner,
            headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = FileRejected),
        SignedInErrors,
        BodyErrors,
    )
)]
#[put("/learners/{id}/portrait")]
pub async fn put_portrait(
    cx: Cx<Editors>,
    path: web::Path<LearnerPath>,
    req: actix_web::HttpRequest,
    body: web::Payload,
) -> AppResult<HttpResponse> {
    let limit = cx.svc.settings.blobs.max_image_mib * 1024 * 1024;
    let upload = crate::http::upload::Upload::accept(
        &req,
        body,
        crate::media::image::ImageType::MEDIA_TYPES,
        limit,
    )?;
    let learner = service::put_portrait(&cx, path.id, upload).await?;
    Ok(cx.ok_versioned(&learner))
}

/// Record a consent decision
///
/// The learner's own, separate consent to face processing (PIPL art. 29; the 2025
/// face-recognition measures), with the version of the text shown: `granted`, or `withdrawn`
/// to take it back. Every decision is kept; the one in force shows on the learner. Without a
/// consent in force no face-checked study session starts. Another learner's id answers 404.
#[utoipa::path(
    tag = super::TAG,
    params(LearnerPath),
    request_body = ConsentCreate,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded", body = Consent),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/learners/{id}/consents")]
pub async fn create_consent(
    cx: Cx<Selves>,
    path: web::Path<LearnerPath>,
    body: ValidJson<ConsentCreate>,
) -> AppResult<HttpResponse> {
    let consent = service::consent(&cx, path.id, body.0).await?;
    Ok(cx.reply(StatusCode::CREATED, &consent))
}

/// Get my learner record
///
/// The signed-in learner's own record, personal values in full. A learner token that names
/// no learner answers 404.
#[utoipa::path(
    tag = super::TAG,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The learner", body = Learner,
            headers(("ETag" = String, description = "Its version"))),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/me")]
pub async fn get_me(cx: Cx<Selves>) -> AppResult<HttpResponse> {
    let learner = service::me(&cx).await?;
    Ok(cx.ok_versioned(&learner))
}

/// Change my password
///
/// The learner's own password, with the current one (403 `password_mismatch` when wrong; it
/// counts toward the lockout, 423). The learner's other sign-ins end; this one stays.
#[utoipa::path(
    tag = super::SIGN_IN_TAG,
    request_body = PasswordChange,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Changed"),
        (status = 404, response = NotFound),
        (status = 423, response = AccountLocked),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/me/password")]
pub async fn change_password(
    cx: Cx<Selves>,
    body: ValidJson<PasswordChange>,
) -> AppResult<HttpResponse> {
    sign_in::change_password(&cx, body.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Tokens are never cached (RFC 6749 §5.1).
fn no_store(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

/// Sign in
///
/// A learner signs in with its identity number or phone and its password, and receives an
/// access token (`expires_in` seconds) and a refresh token. A new sign-in ends the learner's
/// other sign-ins: their tokens answer 401 `signed_out` (one device at a time). A wrong login
/// or password answers 401 `login_failed` without saying which; after
/// `auth.local.max_failed_logins` failures in a row the account is locked for
/// `auth.local.lock_minutes` (423, `Retry-After`).
#[utoipa::path(
    tag = super::SIGN_IN_TAG,
    request_body = LoginRequest,
    security(()),
    responses(
        (status = 200, description = "Signed in", body = TokenPair,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 401, response = LoginFailed),
        (status = 423, response = AccountLocked),
        PublicErrors,
        BodyErrors,
    )
)]
#[post("/auth/login")]
pub async fn login(cx: Cx<Public>, body: ValidJson<LoginRequest>) -> AppResult<HttpResponse> {
    let tokens = sign_in::login(&cx, body.0).await?;
    Ok(no_store(cx.reply(StatusCode::OK, &tokens)))
}

/// Refresh the tokens
///
/// Trades a refresh token for a new pair. Each refresh token is good once: presenting a spent
/// one ends its sign-in (401 `refresh_reused`; every token of it is refused from then on). An
/// unknown or expired token, or one of an ended sign-in, answers 401 `refresh_invalid`.
#[utoipa::path(
    tag = super::SIGN_IN_TAG,
    request_body = RefreshRequest,
    security(()),
    responses(
        (status = 200, description = "New tokens", body = TokenPair,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 401, response = RefreshFailed),
        PublicErrors,
        BodyErrors,
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(cx: Cx<Public>, body: ValidJson<RefreshRequest>) -> AppResult<HttpResponse> {
    let tokens = sign_in::refresh(&cx, body.0).await?;
    Ok(no_store(cx.reply(StatusCode::OK, &tokens)))
}

/// Sign out
///
/// Ends the caller's sign-in: its access and refresh tokens are refused from now on.
#[utoipa::path(
    tag = super::SIGN_IN_TAG,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        SignedInErrors,
    )
)]
#[post("/auth/logout")]
pub async fn logout(cx: Cx<Selves>) -> AppResult<HttpResponse> {
    sign_in::logout(&cx).await?;
    Ok(HttpResponse::NoContent().finish())
}
