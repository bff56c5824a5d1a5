//! Reading one row within the caller's scope: the look-up every resource makes before it
//! answers or changes a row, in one place.
use sea_orm::{ConnectionTrait, EntityTrait, PrimaryKeyTrait, QueryFilter, sea_query::Condition};
use uuid::Uuid;

use crate::audit::AuditContext;
use crate::error::{AppError, AppResult};

/// The row `id` of `E` if `scope` (none: the caller sees nothing of `E`) lets the caller see
/// it, else 404. Either way the request's audit record names the resource (`kind`, `id`) and,
/// when the row was found, its city (`city`).
pub async fn find_in_scope<E, C>(
    db: &C,
    audit: &AuditContext,
    kind: &str,
    id: Uuid,
    scope: Option<Condition>,
    city: impl FnOnce(&E::Model) -> Option<&str>,
) -> AppResult<E::Model>
where
    E: EntityTrait,
    E::PrimaryKey: PrimaryKeyTrait<ValueType = Uuid>,
    C: ConnectionTrait,
{
    let row = match scope {
        Some(cond) => E::find_by_id(id).filter(cond).one(db).await?,
        None => None,
    };
    audit.set_resource(kind, id, row.as_ref().and_then(city));
    row.ok_or_else(AppError::not_found)
}
