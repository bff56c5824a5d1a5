//! Audit log endpoints.
use actix_web::{HttpRequest, HttpResponse, get, web};

use super::chain::ChainVerification;
use super::dto::{AuditLogPage, AuditLogQuery, VerifyQuery};
use super::service;
use crate::auth::Allowed;
use crate::error::AppResult;
use crate::http::extract::ValidQuery;
use crate::http::pagination;
use crate::http::responses::*;
use crate::state::AppState;

/// List audit records
///
/// One record per API request: actor, client IP, method, route, resource, status, latency and
/// the request and response bodies (secrets removed, personal fields masked). Newest first.
/// Auditors and province admins see every record; a city admin sees records of its city.
#[utoipa::path(
    tag = super::TAG,
    params(AuditLogQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of audit records", body = AuditLogPage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page exists"))),
        SignedInErrors,
    )
)]
#[get("")]
pub async fn list_audit_logs(
    state: web::Data<AppState>,
    actor: Allowed<service::Readers>,
    req: HttpRequest,
    query: ValidQuery<AuditLogQuery>,
) -> AppResult<HttpResponse> {
    let page = service::list(&state.db, &actor.0, &query.0).await?;
    Ok(pagination::respond(&req, page))
}

/// Verify the audit hash chain
///
/// Recomputes the SHA-256 chain over the sealed records in the optional time range and names
/// the first record that does not match. `unsealed` counts records still waiting for the
/// sealer (it links new records within seconds). Auditors and province admins only.
#[utoipa::path(
    tag = super::TAG,
    params(VerifyQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The verification result", body = ChainVerification),
        SignedInErrors,
    )
)]
#[get("/verify")]
pub async fn verify_audit_chain(
    state: web::Data<AppState>,
    actor: Allowed<service::Verifiers>,
    query: ValidQuery<VerifyQuery>,
) -> AppResult<web::Json<ChainVerification>> {
    Ok(web::Json(
        service::verify(&state.db, &actor.0, &query.0).await?,
    ))
}
