//! Reading and verifying the audit log.
use super::dto::{AuditLog, AuditLogQuery, VerifyQuery};
use super::repo;
use crate::audit::verify::{self, ChainVerification};
use crate::auth::Role;
use crate::context::Cx;
use crate::error::AppResult;
use crate::http::pagination::{Cursor, Limit, Page};

crate::policy!(/// Who may read the audit log (a city admin: the records of its city).
    Readers = &[Role::Auditor, Role::ProvinceAdmin, Role::CityAdmin]);
crate::policy!(/// Who may verify the hash chain.
    Verifiers = &[Role::Auditor, Role::ProvinceAdmin]);

#[tracing::instrument(skip_all)]
pub async fn list(cx: &Cx<Readers>, q: &AuditLogQuery) -> AppResult<Page<AuditLog>> {
    let limit = Limit::of(q.limit);
    let rows = repo::list(
        cx.db.get_ref(),
        &cx.actor.scope(),
        q,
        Cursor::key(&q.cursor)?,
        limit,
    )
    .await?;
    Ok(Page::from_rows(rows, limit, |m| m.id, AuditLog::from))
}

/// What the audit log keeps of a read of itself: which records were read, not a second copy.
pub fn audit_summary(page: &Page<AuditLog>) -> String {
    let ids: Vec<i64> = page.items.iter().map(|r| r.id).collect();
    serde_json::json!({"records": ids, "next_cursor": page.next_cursor}).to_string()
}

#[tracing::instrument(skip_all)]
pub async fn verify(cx: &Cx<Verifiers>, q: &VerifyQuery) -> AppResult<ChainVerification> {
    // One snapshot: a purge committing meanwhile must not look like a gap.
    let txn = crate::db::begin_snapshot(cx.db.get_ref()).await?;
    let outcome = verify::verify(&txn, q.from.map(|t| t.get()), q.to.map(|t| t.get())).await?;
    txn.rollback().await?;
    Ok(outcome)
}
