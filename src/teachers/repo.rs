//! Every query of teachers. Each takes the caller's scope; another tenant's row reads as absent.
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QuerySelect,
};
use uuid::Uuid;

use super::entity::teacher::{self, Column, Entity};
use crate::auth::Scope;
use crate::db::page::{self, Direction};

/// The rows of this table within `scope`; `None` when it sees nothing.
fn scoped(scope: &Scope) -> Option<Condition> {
    scope.condition(Column::CityCode, Column::InstitutionId)
}

pub async fn find<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<teacher::Model>, DbErr> {
    let Some(cond) = scoped(scope) else {
        return Ok(None);
    };
    Entity::find_by_id(id).filter(cond).one(db).await
}

/// The city of a teacher whatever the caller's scope: only for the audit record of a request
/// that could not reach it.
pub async fn city_of<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<Option<String>, DbErr> {
    Entity::find_by_id(id)
        .select_only()
        .column(Column::CityCode)
        .into_tuple()
        .one(db)
        .await
}

/// Rows in id (creation) order after `after`, `limit + 1` of them.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    institution: Option<Uuid>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<teacher::Model>, DbErr> {
    let Some(mut cond) = scoped(scope) else {
        return Ok(Vec::new());
    };
    if let Some(institution) = institution {
        cond = cond.add(Column::InstitutionId.eq(institution));
    }
    page::after(
        db,
        Entity::find().filter(cond),
        Column::Id,
        after,
        limit,
        Direction::Ascending,
    )
    .await
}

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    row: teacher::ActiveModel,
) -> Result<teacher::Model, DbErr> {
    row.insert(db).await
}

/// Writes `row` if the stored version is still `expected_version`; false when it changed.
pub async fn update_if_version<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    row: teacher::ActiveModel,
    expected_version: i32,
) -> Result<bool, DbErr> {
    let res = Entity::update_many()
        .set(row)
        .filter(Column::Id.eq(id))
        .filter(Column::Version.eq(expected_version))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}
