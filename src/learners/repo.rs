//! Every query of learners. Each takes the caller's scope; another tenant's row reads as absent.
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QuerySelect,
};
use uuid::Uuid;

use super::entity::consent;
use super::entity::learner::{self, Column, Entity};
use crate::auth::Scope;
use crate::db::constraint::Unique;
use crate::db::page::{self, Direction};

/// One learner per identity number (by its keyed hash).
pub const ID_NUMBER_UNIQUE: Unique = Unique {
    name: "uq_learners_id_number",
    table: "learners",
    columns: &["id_number_hash"],
};

/// One learner per phone number (by its keyed hash): it is a login.
pub const PHONE_UNIQUE: Unique = Unique {
    name: "uq_learners_phone",
    table: "learners",
    columns: &["phone_hash"],
};

/// The rows of this table within `scope`; `None` when it sees nothing.
fn scoped(scope: &Scope) -> Option<Condition> {
    scope.condition(Column::CityCode, Column::InstitutionId)
}

pub async fn find<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<learner::Model>, DbErr> {
    let Some(cond) = scoped(scope) else {
        return Ok(None);
    };
    Entity::find_by_id(id).filter(cond).one(db).await
}

/// A learner whatever the scope: for the learner itself and for sign-in.
pub async fn find_any<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> Result<Option<learner::Model>, DbErr> {
    Entity::find_by_id(id).one(db).await
}

/// The learner whose identity number or phone has the keyed hash `hash`.
pub async fn find_by_login<C: ConnectionTrait>(
    db: &C,
    column: Column,
    hash: &str,
) -> Result<Option<learner::Model>, DbErr> {
    Entity::find().filter(column.eq(hash)).one(db).await
}

/// The city of a learner whatever the caller's scope: only for the audit record of a request
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
) -> Result<Vec<learner::Model>, DbErr> {
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
    row: learner::ActiveModel,
) -> Result<learner::Model, DbErr> {
    row.insert(db).await
}

pub async fn insert_consent<C: ConnectionTrait>(
    db: &C,
    row: consent::ActiveModel,
) -> Result<consent::Model, DbErr> {
    row.insert(db).await
}

/// Writes `row` if the stored version is still `expected_version`; false when it changed.
pub async fn update_if_version<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    row: learner::ActiveModel,
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

/// Counts a failed sign-in; from `max` in a row the account is locked until `until` (and the
/// count starts again). Not versioned: security state, not the learner's data.
pub async fn count_failure<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    max: u32,
    until: chrono::DateTime<chrono::Utc>,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let max = i32::try_from(max).unwrap_or(i32::MAX);
    // Two statements, each atomic: count, then lock once the count reaches `max`.
    Entity::update_many()
        .col_expr(Column::FailedLogins, Expr::col(Column::FailedLogins).add(1))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Entity::update_many()
        .col_expr(Column::FailedLogins, Expr::value(0))
        .col_expr(Column::LockedUntil, Expr::value(until))
        .filter(Column::Id.eq(id))
        .filter(Column::FailedLogins.gte(max))
        .exec(db)
        .await?;
    Ok(())
}

/// Clears the failure count after a good sign-in.
pub async fn clear_failures<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    Entity::update_many()
        .col_expr(Column::FailedLogins, Expr::value(0))
        .col_expr(
            Column::LockedUntil,
            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Sets a new password hash (not versioned: the learner's data does not change).
pub async fn set_password<C: ConnectionTrait>(db: &C, id: Uuid, hash: &str) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    Entity::update_many()
        .col_expr(Column::PasswordHash, Expr::value(hash))
        .col_expr(Column::PasswordSetAt, Expr::value(crate::db::now()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
