//! Reading the change feed.
use super::dto::{ChangeEvent, ChangePage, ChangeQuery};
use crate::auth::Role;
use crate::changes::{Operation, feed};
use crate::context::Cx;
use crate::error::{AppError, AppResult, Code};
use crate::http::pagination::Limit;

crate::policy!(/// Who may read the change feed: the provincial supervision platform.
    Consumers = &[Role::DataConsumer]);

/// Changes after `q.after`, decrypted; the audit log keeps the positions read, not the data.
#[tracing::instrument(skip_all, fields(after = q.after))]
pub async fn changes(cx: &Cx<Consumers>, q: &ChangeQuery) -> AppResult<ChangePage> {
    let after = q.after.unwrap_or(0);
    let page = feed::read(cx.db.get_ref(), after, Limit::of(q.limit), &q.type_list())
        .await?
        .map_err(|end| {
            AppError::new(
                Code::FeedPositionAhead,
                format!("no change has this position yet (the last is {})", end.last),
            )
        })?;
    let items = page
        .events
        .into_iter()
        .map(|e| {
            let data = cx.svc.cipher.decrypt(&e.data_enc).map_err(AppError::bug)?;
            Ok(ChangeEvent {
                position: e.position.unwrap_or_default(),
                resource_type: e.resource_type,
                resource_id: e.resource_id,
                operation: operation(&e.operation)?,
                version: e.version,
                occurred_at: e.occurred_at,
                data: serde_json::from_str(&data).map_err(AppError::internal)?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let answer = ChangePage {
        items,
        next_after: page.next_after,
    };
    Ok(answer)
}

/// What the audit log keeps of a feed read.
pub fn audit_summary(after: i64, page: &ChangePage) -> String {
    serde_json::json!({"after": after, "next_after": page.next_after, "count": page.items.len()})
        .to_string()
}

fn operation(stored: &str) -> AppResult<Operation> {
    match stored {
        "created" => Ok(Operation::Created),
        "updated" => Ok(Operation::Updated),
        "deleted" => Ok(Operation::Deleted),
        other => Err(AppError::bug(format!("unknown change operation {other:?}"))),
    }
}
