//! Every query of courses. Each read of a course takes the caller's scope; another tenant's
//! row reads as absent.
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, ExprTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::dto::{CourseKey, CourseSort};
use super::entity::{course, courseware, review, status_change, version};
use super::status::CourseStatus;
use crate::auth::Scope;
use crate::db::page::{self, Direction};

use course::{Column, Entity};

/// The rows of this table within `scope`; `None` when it sees nothing.
fn scoped(scope: &Scope) -> Option<Condition> {
    scope.condition(Column::CityCode, Column::InstitutionId)
}

pub async fn find<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<course::Model>, DbErr> {
    let Some(cond) = scoped(scope) else {
        return Ok(None);
    };
    Entity::find_by_id(id).filter(cond).one(db).await
}

/// The city of a course whatever the caller's scope: only for the audit record of a request
/// that could not reach it.
pub async fn city_of<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<Option<String>, DbErr> {
    Entity::find_by_id(id)
        .select_only()
        .column(Column::CityCode)
        .into_tuple()
        .one(db)
        .await
}

/// The filters of the course list.
pub struct Filter {
    pub institution: Option<Uuid>,
    pub status: Option<CourseStatus>,
    pub category: Option<String>,
    /// Some(true): a deadline on or before this day; Some(false): no deadline.
    pub overdue: Option<(bool, NaiveDate)>,
}

/// A page of courses in the requested order after `after`, `limit + 1` of them.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    filter: &Filter,
    sort: Option<CourseSort>,
    after: Option<CourseKey>,
    limit: u64,
) -> Result<Vec<course::Model>, DbErr> {
    let Some(mut cond) = scoped(scope) else {
        return Ok(Vec::new());
    };
    if let Some(institution) = filter.institution {
        cond = cond.add(Column::InstitutionId.eq(institution));
    }
    if let Some(status) = filter.status {
        cond = cond.add(Column::Status.eq(status));
    }
    if let Some(category) = &filter.category {
        cond = cond.add(Column::Category.eq(category.as_str()));
    }
    match filter.overdue {
        Some((true, by)) => cond = cond.add(Column::UpdateDeadline.lte(by)),
        Some((false, _)) => cond = cond.add(Column::UpdateDeadline.is_null()),
        None => {}
    }
    let query = Entity::find().filter(cond);
    let (column, ascending) = match sort {
        None => {
            return page::after(
                db,
                query,
                Column::Id,
                after.map(|k| k.2),
                limit,
                Direction::Ascending,
            )
            .await;
        }
        Some(CourseSort::Title) => (Column::Title, true),
        Some(CourseSort::TitleDesc) => (Column::Title, false),
        Some(CourseSort::PublishedAt) => (Column::PublishedAt, true),
        Some(CourseSort::PublishedAtDesc) => (Column::PublishedAt, false),
    };
    let by_title = matches!(sort, Some(CourseSort::Title | CourseSort::TitleDesc));
    let mut query = query;
    if !by_title {
        query = query.filter(Column::PublishedAt.is_not_null());
    }
    if let Some(CourseKey(title, at, id)) = after {
        // A row-value comparison: one range scan of the (sort column, id) index.
        let key = Expr::tuple([Expr::col(column), Expr::col(Column::Id)]);
        let value = if by_title {
            Expr::value(title.unwrap_or_default())
        } else {
            Expr::value(at.unwrap_or(DateTime::<Utc>::MIN_UTC))
        };
        let at_key = Expr::tuple([value, Expr::value(id)]);
        query = query.filter(if ascending {
            key.gt(at_key)
        } else {
            key.lt(at_key)
        });
    }
    let query = if ascending {
        query.order_by_asc(column).order_by_asc(Column::Id)
    } else {
        query.order_by_desc(column).order_by_desc(Column::Id)
    };
    query.limit(limit + 1).all(db).await
}

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    row: course::ActiveModel,
) -> Result<course::Model, DbErr> {
    row.insert(db).await
}

/// Writes `row` if the stored version is still `expected_version`; false when it changed.
pub async fn update_if_version<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    row: course::ActiveModel,
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

pub async fn version<C: ConnectionTrait>(
    db: &C,
    course: Uuid,
    number: i32,
) -> Result<Option<version::Model>, DbErr> {
    version::Entity::find()
        .filter(version::Column::CourseId.eq(course))
        .filter(version::Column::Number.eq(number))
        .one(db)
        .await
}

pub async fn versions<C: ConnectionTrait>(
    db: &C,
    course: Uuid,
) -> Result<Vec<version::Model>, DbErr> {
    version::Entity::find()
        .filter(version::Column::CourseId.eq(course))
        .order_by_asc(version::Column::Number)
        .all(db)
        .await
}

/// Every version of the courses `ids` (a page's worth), in one query.
pub async fn versions_of<C: ConnectionTrait>(
    db: &C,
    ids: &[Uuid],
) -> Result<Vec<version::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    version::Entity::find()
        .filter(version::Column::CourseId.is_in(ids.iter().copied()))
        .all(db)
        .await
}

pub async fn insert_version<C: ConnectionTrait>(
    db: &C,
    row: version::ActiveModel,
) -> Result<version::Model, DbErr> {
    row.insert(db).await
}

pub async fn update_version<C: ConnectionTrait>(
    db: &C,
    row: version::ActiveModel,
) -> Result<version::Model, DbErr> {
    row.update(db).await
}

/// The teachers among `ids` that belong to `institution`.
pub async fn teachers_of<C: ConnectionTrait>(
    db: &C,
    institution: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Uuid>, DbErr> {
    use crate::teachers::entity::teacher;
    teacher::Entity::find()
        .select_only()
        .column(teacher::Column::Id)
        .filter(teacher::Column::InstitutionId.eq(institution))
        .filter(teacher::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await
}

pub async fn courseware_of<C: ConnectionTrait>(
    db: &C,
    course: Uuid,
    number: i32,
) -> Result<Vec<courseware::Model>, DbErr> {
    courseware::Entity::find()
        .filter(courseware::Column::CourseId.eq(course))
        .filter(courseware::Column::VersionNumber.eq(number))
        .order_by_asc(courseware::Column::Position)
        .order_by_asc(courseware::Column::Id)
        .all(db)
        .await
}

pub async fn find_courseware<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> Result<Option<courseware::Model>, DbErr> {
    courseware::Entity::find_by_id(id).one(db).await
}

pub async fn insert_courseware<C: ConnectionTrait>(
    db: &C,
    row: courseware::ActiveModel,
) -> Result<courseware::Model, DbErr> {
    row.insert(db).await
}

pub async fn update_courseware<C: ConnectionTrait>(
    db: &C,
    row: courseware::ActiveModel,
) -> Result<courseware::Model, DbErr> {
    row.update(db).await
}

pub async fn insert_status_change<C: ConnectionTrait>(
    db: &C,
    row: status_change::ActiveModel,
) -> Result<status_change::Model, DbErr> {
    row.insert(db).await
}

pub async fn status_changes<C: ConnectionTrait>(
    db: &C,
    course: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<status_change::Model>, DbErr> {
    page::after(
        db,
        status_change::Entity::find().filter(status_change::Column::CourseId.eq(course)),
        status_change::Column::Id,
        after,
        limit,
        Direction::Ascending,
    )
    .await
}

pub async fn insert_review<C: ConnectionTrait>(
    db: &C,
    row: review::ActiveModel,
) -> Result<review::Model, DbErr> {
    row.insert(db).await
}

/// Reviews of one version, oldest first.
pub async fn reviews<C: ConnectionTrait>(
    db: &C,
    course: Uuid,
    number: Option<i32>,
) -> Result<Vec<review::Model>, DbErr> {
    let mut query = review::Entity::find().filter(review::Column::CourseId.eq(course));
    if let Some(number) = number {
        query = query.filter(review::Column::VersionNumber.eq(number));
    }
    query.order_by_asc(review::Column::Id).all(db).await
}
