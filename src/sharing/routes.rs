//! The change feed endpoint.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get};

use super::dto::{ChangeEvent, ChangePage, ChangeQuery};
use crate::auth::Role;
use crate::changes::{Operation, feed};
use crate::context::Cx;
use crate::error::{AppError, AppResult};
use crate::http::extract::ValidQuery;
use crate::http::pagination::Limit;
use crate::http::responses::*;

crate::policy!(/// Who may read the change feed: the provincial supervision platform.
    Consumers = &[Role::DataConsumer]);

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
        SignedInErrors,
    )
)]
#[get("/sharing/changes")]
pub async fn list_changes(
    cx: Cx<Consumers>,
    query: ValidQuery<ChangeQuery>,
) -> AppResult<HttpResponse> {
    let q = query.0;
    let after = q.after.unwrap_or(0);
    let page = feed::read(cx.db.get_ref(), after, Limit::of(q.limit), &q.type_list())
        .await?
        .map_err(|end| {
            AppError::field(
                "after",
                "range",
                format!("no change has this position yet (the last is {})", end.last),
            )
        })?;
    let mut items = Vec::with_capacity(page.events.len());
    for e in page.events {
        let data = cx.svc.cipher.decrypt(&e.data_enc).map_err(AppError::bug)?;
        items.push(ChangeEvent {
            position: e.position.unwrap_or_default(),
            resource_type: e.resource_type,
            resource_id: e.resource_id,
            operation: operation(&e.operation)?,
            version: e.version,
            occurred_at: e.occurred_at,
            data: serde_json::from_str(&data).map_err(AppError::internal)?,
        });
    }
    let answer = ChangePage {
        items,
        next_after: page.next_after,
    };
    let mut res = cx.reply(StatusCode::OK, &answer);
    // What was sent is the feed between two positions; the audit log keeps that, not the data.
    cx.audit.set_response(
        serde_json::json!({"after": after, "next_after": answer.next_after, "count": answer.items.len()})
            .to_string(),
    );
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

fn operation(stored: &str) -> AppResult<Operation> {
    match stored {
        "created" => Ok(Operation::Created),
        "updated" => Ok(Operation::Updated),
        "deleted" => Ok(Operation::Deleted),
        other => Err(AppError::bug(format!("unknown change operation {other:?}"))),
    }
}
