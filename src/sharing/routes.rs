//! The change feed endpoint.
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get};

use super::dto::{ChangePage, ChangeQuery};
use super::service::{self, Consumers};
use crate::context::Cx;
use crate::error::AppResult;
use crate::http::extract::ValidQuery;
use crate::http::responses::*;

/// Read the change feed
///
/// Every committed change of a shared resource (institutions and their status changes so
/// far), in the order committed, at consecutive positions from 1: no gap, no duplicate. A
/// change appears once its transaction has committed and the sequencer has positioned it
/// (within a fraction of a second). Poll with the `next_after` of the previous answer. `data`
/// carries personal data in full; the audit log keeps which positions were read, not the data.
#[utoipa::path(
    tag = super::TAG,
    params(ChangeQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changes after `after`", body = ChangePage),
        (status = 409, response = Conflict),
        SignedInErrors,
    )
)]
#[get("/sharing/changes")]
pub async fn list_changes(
    cx: Cx<Consumers>,
    query: ValidQuery<ChangeQuery>,
) -> AppResult<HttpResponse> {
    let page = service::changes(&cx, &query.0).await?;
    let mut res = cx.reply(StatusCode::OK, &page);
    cx.audit
        .set_response(service::audit_summary(query.0.after.unwrap_or(0), &page));
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}
