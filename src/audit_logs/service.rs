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
    let page = Page::from_rows(rows, limit, |m| m.id, AuditLog::from);
    // The audit log keeps which records were read, not a second copy of them.
    let ids: Vec<i64> = page.items.iter().map(|r| r.id).collect();
    cx.audit.set_response(
        serde_json::json!({"records": ids, "next_cursor": page.next_cursor}).to_string(),
    );
    Ok(page)
}

pub async fn verify(cx: &Cx<Verifiers>, q: &VerifyQuery) -> AppResult<ChainVerification> {
    Ok(verify::verify(
        cx.db.get_ref(),
        q.from.map(|t| t.get()),
        q.to.map(|t| t.get()),
    )
    .await?)
}
