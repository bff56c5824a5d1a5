//! Programme and enrolment endpoints.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};

use super::dto::*;
use super::programmes::{Programme, ProgrammeQuery, Programmes};
use super::service::{self, Editors, Readers};
use crate::auth::Public;
use crate::context::Cx;
use crate::error::AppResult;
use crate::http::extract::{ValidJson, ValidQuery};
use crate::http::idempotency::{IdempotencyHeader, IdempotencyKey};
use crate::http::responses::*;
use crate::http::upload::BinaryFile;

/// List programmes
///
/// Training programmes (category × industry or operation item × training type) with the
/// hours (学时) each requires. No token needed.
#[utoipa::path(tag = super::TAG, params(ProgrammeQuery), security(()), responses(
    (status = 200, description = "The programmes", body = Vec<Programme>),
    ReferenceErrors,
))]
#[get("/programmes")]
pub async fn list_programmes(
    cx: Cx<Public>,
    q: ValidQuery<ProgrammeQuery>,
) -> AppResult<HttpResponse> {
    let programmes = cx.data::<Programmes>()?;
    let list: Vec<&Programme> = programmes.0.iter().filter(|p| q.0.admits(p)).collect();
    Ok(cx.reply(StatusCode::OK, &list))
}

/// Enrol a learner
///
/// An institution's admin enrols one of its learners in a programme that fits the learner
/// (400 `not_for_learner` otherwise), with published courses of the institution that fit the
/// programme and whose hours reach the programme's (400 `unknown_course`,
/// `not_for_programme`, `too_few_hours`). The published versions at this moment are what the
/// learner studies. One active enrolment per learner and programme (409 `already_enrolled`).
#[utoipa::path(
    tag = super::TAG,
    request_body = EnrolmentCreate,
    params(IdempotencyHeader),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Enrolled", body = Enrolment, headers(
            ("Location" = String, description = "The new enrolment's URL"),
            ("ETag" = String, description = "Its version"),
            ("Idempotent-Replayed" = String, description = "`true` when this answer repeats the first one for the same Idempotency-Key")),
            links(
                ("GetEnrolment" = (operation_id = "get_enrolment", parameters(("id" = "$response.body#/id")),
                    description = "Read the enrolment and its progress")),
            )),
        (status = 409, response = Conflict),
        (status = 422, response = IdempotencyMismatch),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/enrolments")]
pub async fn create_enrolment(
    cx: Cx<Editors>,
    key: IdempotencyKey,
    body: ValidJson<EnrolmentCreate>,
) -> AppResult<HttpResponse> {
    let (created, location) = service::create(&cx, &key, body.0).await?;
    Ok(cx.created(&created, location))
}

/// List enrolments
///
/// Enrolments with their progress within the caller's scope: a learner's own, an
/// institution's, those of learners working in a city admin's city, all for province admins
/// and platform operators.
#[utoipa::path(
    tag = super::TAG,
    params(EnrolmentListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of enrolments", body = EnrolmentPage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page exists"))),
        SignedInErrors,
    )
)]
#[get("/enrolments")]
pub async fn list_enrolments(
    cx: Cx<Readers>,
    query: ValidQuery<EnrolmentListQuery>,
) -> AppResult<HttpResponse> {
    let page = service::list(&cx, &query.0).await?;
    Ok(cx.page(&page))
}

/// Get an enrolment
///
/// One enrolment and its progress: per course the seconds credited, held until the quiz is
/// passed, and left; and in all. Outside the caller's scope it answers 404.
#[utoipa::path(
    tag = super::TAG,
    params(EnrolmentPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The enrolment", body = Enrolment,
            headers(("ETag" = String, description = "Its version"))),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/enrolments/{id}")]
pub async fn get_enrolment(
    cx: Cx<Readers>,
    path: web::Path<EnrolmentPath>,
) -> AppResult<HttpResponse> {
    let enrolment = service::get(&cx, path.id).await?;
    Ok(cx.ok_versioned(&enrolment))
}

/// Get an enrolment's ledger
///
/// The append-only hours ledger of the enrolment: totals (credited, held until a quiz is
/// passed, refused), per courseware and per day (Asia/Shanghai), and a page of the entries,
/// each with its kind, reason code, session and content interval. `Link` names the next page.
#[utoipa::path(
    tag = super::TAG,
    params(EnrolmentPath, super::ledger::LedgerQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The ledger", body = super::ledger::Ledger,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when more entries exist"))),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/enrolments/{id}/ledger")]
pub async fn get_ledger(
    cx: Cx<Readers>,
    path: web::Path<EnrolmentPath>,
    query: ValidQuery<super::ledger::LedgerQuery>,
) -> AppResult<HttpResponse> {
    let ledger = super::ledger::read(&cx, path.id, &query.0).await?;
    let next = ledger.next_cursor.clone();
    Ok(cx.listing(&ledger, next.as_deref()))
}

/// Correct an enrolment's ledger
///
/// A regulator records a compensating entry (an appeal upheld, a void found wrong): seconds
/// added or taken away from a courseware of the enrolment, with the reason and the approval it
/// rests on, and who recorded it. Nothing is ever changed in place.
#[utoipa::path(
    tag = super::TAG,
    params(EnrolmentPath),
    request_body = super::ledger::CorrectionCreate,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded", body = super::ledger::LedgerEntry),
        (status = 404, response = NotFound),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/enrolments/{id}/corrections")]
pub async fn correct_ledger(
    cx: Cx<super::ledger::Correctors>,
    path: web::Path<EnrolmentPath>,
    body: ValidJson<super::ledger::CorrectionCreate>,
) -> AppResult<HttpResponse> {
    let entry = super::ledger::correct(&cx, path.id, body.0).await?;
    Ok(cx.reply(StatusCode::CREATED, &entry))
}

/// Issue the certificate of training hours
///
/// The learner's institution issues the certificate (学时证明) of an enrolment whose programme
/// hours are credited and whose every course is done (its hours and, if it has one, its quiz);
/// otherwise 409 `training_incomplete` says what remains. The enrolment becomes `completed`.
/// The answer carries the number and the verification code printed on the certificate.
#[utoipa::path(
    tag = super::TAG,
    params(EnrolmentPath),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Issued", body = super::certificates::Certificate),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        SignedInErrors,
    )
)]
#[post("/enrolments/{id}/certificate")]
pub async fn issue_certificate(
    cx: Cx<super::certificates::Issuers>,
    path: web::Path<EnrolmentPath>,
) -> AppResult<HttpResponse> {
    let certificate = super::certificates::issue(&cx, path.id).await?;
    Ok(cx.reply(StatusCode::CREATED, &certificate))
}

/// Get a certificate
///
/// A certificate's record, for the learner, its institution (both with the verification code)
/// and the regulators in scope.
#[utoipa::path(
    tag = super::TAG,
    params(super::certificates::NumberPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The certificate", body = super::certificates::Certificate),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/certificates/{number}")]
pub async fn get_certificate(
    cx: Cx<super::certificates::Readers>,
    path: web::Path<super::certificates::NumberPath>,
) -> AppResult<HttpResponse> {
    let certificate = super::certificates::get(&cx, &path.number).await?;
    Ok(cx.reply(StatusCode::OK, &certificate))
}

/// Get a certificate as PDF
///
/// The certificate (学时证明) as a one-page A4 PDF for its holders, the learner and its
/// institution: number, masked name, programme, hours, period, institution, the verification
/// code, its status (a revoked one says so on its face) and a QR code of the public
/// verification address (`certificates.public_base_url`). Set in a CJK font installed on the
/// server, embedded as a subset; a server without one answers 503 naming it.
#[utoipa::path(
    tag = super::TAG,
    params(super::certificates::NumberPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The PDF", content((BinaryFile = "application/pdf"))),
        (status = 404, response = NotFound),
        SignedInErrors,
    )
)]
#[get("/certificates/{number}/pdf")]
pub async fn get_certificate_pdf(
    cx: Cx<super::certificates::Holders>,
    path: web::Path<super::certificates::NumberPath>,
) -> AppResult<HttpResponse> {
    let pdf = super::certificates::pdf(&cx, &path.number).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{}.pdf\"", path.number.as_str()),
        ))
        .body(pdf))
}

/// Verify a certificate
///
/// Public, no token: whether the number and the code printed on a certificate belong together
/// and, only then, its minimal facts (masked name, programme, hours, institution, status). A
/// wrong number or code answers `genuine: false` and nothing more; guesses count against the
/// caller's anonymous rate limit. A number that is not one at all (blank) answers 404.
#[utoipa::path(
    tag = super::TAG,
    params(super::certificates::NumberPath, super::certificates::VerifyQuery),
    security(()),
    responses(
        (status = 200, description = "The verification", body = super::certificates::Verification),
        (status = 404, response = NotFound),
        PublicErrors,
    )
)]
#[get("/certificates/{number}/verify")]
pub async fn verify_certificate(
    cx: Cx<Public>,
    path: web::Path<super::certificates::NumberPath>,
    query: ValidQuery<super::certificates::VerifyQuery>,
) -> AppResult<HttpResponse> {
    let verification = super::certificates::verify(&cx, &path.number, &query.0.code).await?;
    Ok(cx.reply(StatusCode::OK, &verification))
}

/// Revoke a certificate
///
/// A regulator (province, or the city of the learner) revokes a certificate with a reason; it
/// verifies as `revoked` from then on. A revoked certificate answers 409.
#[utoipa::path(
    tag = super::TAG,
    params(super::certificates::NumberPath),
    request_body = super::certificates::RevokeRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Revoked", body = super::certificates::Certificate),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        SignedInErrors,
        BodyErrors,
    )
)]
#[post("/certificates/{number}/revoke")]
pub async fn revoke_certificate(
    cx: Cx<super::certificates::Revokers>,
    path: web::Path<super::certificates::NumberPath>,
    body: ValidJson<super::certificates::RevokeRequest>,
) -> AppResult<HttpResponse> {
    let certificate = super::certificates::revoke(&cx, &path.number, body.0).await?;
    Ok(cx.reply(StatusCode::OK, &certificate))
}
