//! Reading and verifying the audit log.
use sea_orm::DatabaseConnection;

use super::chain::{self, ChainVerification};
use super::dto::{AuditLog, AuditLogQuery, VerifyQuery};
use super::repo;
use crate::auth::{Actor, Role};
use crate::error::AppResult;
use crate::http::pagination::{Page, decode_cursor};

const READERS: &[Role] = &[Role::Auditor, Role::ProvinceAdmin, Role::CityAdmin];
const VERIFIERS: &[Role] = &[Role::Auditor, Role::ProvinceAdmin];

crate::policy!(/// Who may read the audit log.
    Readers = READERS);
crate::policy!(/// Who may verify the hash chain.
    Verifiers = VERIFIERS);

pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    q: &AuditLogQuery,
) -> AppResult<Page<AuditLog>> {
    actor.require(READERS)?;
    let after = q.cursor.as_deref().map(decode_cursor::<i64>).transpose()?;
    let rows = repo::list(db, &actor.scope(), q, after).await?;
    Ok(Page::from_rows(rows, q.limit(), |m| m.id, AuditLog::from))
}

pub async fn verify(
    db: &DatabaseConnection,
    actor: &Actor,
    q: &VerifyQuery,
) -> AppResult<ChainVerification> {
    actor.require(VERIFIERS)?;
    Ok(chain::verify(db, q.from, q.to).await?)
}
