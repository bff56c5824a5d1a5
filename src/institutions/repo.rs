//! Every query of institutions. Each takes the caller's scope; another tenant's row reads as absent.
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, ExprTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::dto::RegistryKey;
use super::entity::{institution, status_change};
use super::status::InstitutionStatus;
use crate::auth::Scope;
use crate::db::constraint::Unique;
use crate::db::page::{self, Direction};

use institution::{Column, Entity};

/// One institution per credit code.
pub const CREDIT_CODE: Unique = Unique {
    name: "institutions_credit_code_key",
    table: "institutions",
    columns: &["credit_code"],
};

/// The rows of this table within `scope`; `None` when it sees nothing.
fn scoped(scope: &Scope) -> Option<Condition> {
    scope.condition(Column::CityCode, Column::Id)
}

pub async fn find<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<institution::Model>, DbErr> {
    let Some(cond) = scoped(scope) else {
        return Ok(None);
    };
    Entity::find_by_id(id).filter(cond).one(db).await
}

/// The city of an institution whatever the caller's scope: only for the audit record of a
/// request that could not reach it.
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
    city: Option<&str>,
    status: Option<InstitutionStatus>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<institution::Model>, DbErr> {
    let Some(mut cond) = scoped(scope) else {
        return Ok(Vec::new());
    };
    if let Some(city) = city {
        cond = cond.add(Column::CityCode.eq(city));
    }
    if let Some(status) = status {
        cond = cond.add(Column::Status.eq(status));
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

/// What the public registry shows of a row. No personal or internal column is read.
pub struct RegistryRow {
    pub id: Uuid,
    pub name: String,
    pub credit_code: String,
    pub city_code: String,
    pub registered_address: String,
    pub office_address: String,
    pub platform_url: String,
    pub introduction: String,
    pub business_term_end: Option<NaiveDate>,
    /// Registration time (creation time for a row registered before it was recorded).
    pub registered_at: DateTime<Utc>,
}

/// The registry's columns, in the order [`registry`] selects them (read by position, which
/// spares a by-name lookup per column and row).
type RegistryTuple = (
    Uuid,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<NaiveDate>,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
);

/// Registered institutions of one city in (registered_at, name, id) order, after `after`.
/// Public data: no caller scope applies.
pub async fn registry<C: ConnectionTrait>(
    db: &C,
    city: &str,
    after: Option<RegistryKey>,
    limit: u64,
) -> Result<Vec<RegistryRow>, DbErr> {
    let mut cond = Condition::all()
        .add(Column::CityCode.eq(city))
        .add(Column::Status.eq(InstitutionStatus::Registered));
    if let Some(RegistryKey(at, name, id)) = after {
        // A row-value comparison, which both databases answer with one range scan of the index.
        let key = Expr::tuple([
            Expr::col(Column::RegisteredAt),
            Expr::col(Column::Name),
            Expr::col(Column::Id),
        ]);
        cond = cond.add(key.gt(Expr::tuple([
            Expr::value(at),
            Expr::value(name),
            Expr::value(id),
        ])));
    }
    Entity::find()
        .select_only()
        .columns([
            Column::Id,
            Column::Name,
            Column::CreditCode,
            Column::CityCode,
            Column::RegisteredAddress,
            Column::OfficeAddress,
            Column::PlatformUrl,
            Column::Introduction,
            Column::BusinessTermEnd,
            Column::RegisteredAt,
            Column::CreatedAt,
        ])
        .filter(cond)
        .order_by_asc(Column::RegisteredAt)
        .order_by_asc(Column::Name)
        .order_by_asc(Column::Id)
        .limit(limit + 1)
        .into_tuple::<RegistryTuple>()
        .all(db)
        .await
        .map(|rows| {
            rows.into_iter()
                .map(|r| RegistryRow {
                    id: r.0,
                    name: r.1,
                    credit_code: r.2,
                    city_code: r.3,
                    registered_address: r.4,
                    office_address: r.5,
                    platform_url: r.6,
                    introduction: r.7,
                    business_term_end: r.8,
                    registered_at: r.9.unwrap_or(r.10),
                })
                .collect()
        })
}

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    row: institution::ActiveModel,
) -> Result<institution::Model, DbErr> {
    row.insert(db).await
}

/// Writes `row` if the stored version is still `expected_version`; false when it changed.
pub async fn update_if_version<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    row: institution::ActiveModel,
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

pub async fn insert_status_change<C: ConnectionTrait>(
    db: &C,
    row: status_change::ActiveModel,
) -> Result<status_change::Model, DbErr> {
    row.insert(db).await
}

/// Status changes of one institution in time order after `after`, `limit + 1` of them.
pub async fn status_changes<C: ConnectionTrait>(
    db: &C,
    institution_id: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<status_change::Model>, DbErr> {
    page::after(
        db,
        status_change::Entity::find()
            .filter(status_change::Column::InstitutionId.eq(institution_id)),
        status_change::Column::Id,
        after,
        limit,
        Direction::Ascending,
    )
    .await
}
