//! Queries of the audit log, always filtered by the caller's scope.
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::db::page::{self, Direction};

use super::dto::AuditLogQuery;
use crate::audit::entity::{Column, Entity, Model};
use crate::auth::{Role, Scope};

/// Records matching `q` that `scope` may read, newest first, `limit + 1` rows from `after`.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    q: &AuditLogQuery,
    after: Option<i64>,
    limit: u64,
) -> Result<Vec<Model>, DbErr> {
    let mut cond = Condition::all();
    cond = match scope {
        Scope::All => cond,
        // The records of the city's resources (probes by others included), and the requests
        // of the city's own admins.
        Scope::City(city) => cond.add(
            Condition::any()
                .add(Column::ResourceCity.eq(city.as_str()))
                .add(
                    Condition::all()
                        .add(Column::ActorRole.eq(Role::CityAdmin.as_str()))
                        .add(Column::ActorCity.eq(city.as_str())),
                ),
        ),
        Scope::Institution(_) | Scope::Nothing => return Ok(Vec::new()),
    };
    if let Some(from) = q.from {
        cond = cond.add(Column::OccurredAt.gte(from.get()));
    }
    if let Some(to) = q.to {
        cond = cond.add(Column::OccurredAt.lte(to.get()));
    }
    if let Some(actor) = &q.actor {
        cond = cond.add(Column::ActorSubject.eq(actor.as_str()));
    }
    if let Some(kind) = &q.resource_type {
        cond = cond.add(Column::ResourceType.eq(kind.as_str()));
    }
    if let Some(id) = &q.resource_id {
        cond = cond.add(Column::ResourceId.eq(id.as_str()));
    }
    if let Some(status) = q.status {
        cond = cond.add(Column::Status.eq(status));
    }
    let mut rows = page::after(
        db,
        Entity::find().filter(cond),
        Column::Id,
        after,
        limit,
        Direction::Descending,
    )
    .await?;
    crate::audit::bodies::attach(db, &mut rows).await?;
    Ok(rows)
}
