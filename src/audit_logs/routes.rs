//! Audit log endpoints.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get};

use super::dto::{AuditLogPage, AuditLogQuery, VerifyQuery};
use super::service::{self, Readers, Verifiers};
use crate::audit::verify::ChainVerification;
use crate::context::Cx;
use crate::error::AppResult;
use crate::http::extract::ValidQuery;
use crate::http::responses::*;

/// List audit records
///
/// One record per API request: actor, client IP, method, route, resource, status, latency and
/// the request and response bodies (secrets removed, personal values masked). Newest first.
/// Auditors and province admins see every record; a city admin sees the records of its city's
/// resources (attempts by others that could not reach them included) and its own admins'
/// requests.
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
#[get("/audit-logs")]
pub async fn list_audit_logs(
    cx: Cx<Readers>,
    query: ValidQuery<AuditLogQuery>,
) -> AppResult<HttpResponse> {
    let page = service::list(&cx, &query.0).await?;
    let res = cx.page(&page);
    cx.audit.set_response(service::audit_summary(&page));
    Ok(res)
}

/// Verify the audit hash chain
///
/// Recomputes the SHA-256 chain over the sealed records in the optional time range: every
/// record's hashes, its link to the record before, no gap in the sequence, and the oldest
/// record anchored to the chain's start or to the checkpoint the retention purge left. Names
/// the first record that does not verify and why. `unsealed` counts records still waiting for
/// the sealer (it links new records within seconds). Auditors and province admins only.
#[utoipa::path(
    tag = super::TAG,
    params(VerifyQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The verification result", body = ChainVerification),
        SignedInErrors,
    )
)]
#[get("/audit-logs/verify")]
pub async fn verify_audit_chain(
    cx: Cx<Verifiers>,
    query: ValidQuery<VerifyQuery>,
) -> AppResult<HttpResponse> {
    let outcome = service::verify(&cx, &query.0).await?;
    Ok(cx.reply(StatusCode::OK, &outcome))
}
