//! The term lists: the shipped ones, and the ones province admins replaced them with.
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, sea_query::OnConflict};

use super::dto::ScreeningCategory;

pub mod entity {
    use sea_orm::entity::prelude::*;

    use super::ScreeningCategory;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "screening_lists")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub category: ScreeningCategory,
        /// The terms as a JSON array.
        pub terms: String,
        pub version: i32,
        pub updated_by: String,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

const FIXTURE: &str = include_str!("../../fixtures/screening_terms.json");

#[derive(serde::Deserialize)]
struct Shipped {
    category: ScreeningCategory,
    description: String,
    terms: Vec<String>,
}

fn shipped_lists() -> Vec<Shipped> {
    serde_json::from_str(FIXTURE).unwrap_or_else(|e| panic!("fixtures/screening_terms.json: {e}"))
}

/// The lists as shipped.
pub fn shipped() -> Vec<(ScreeningCategory, Vec<String>)> {
    shipped_lists()
        .into_iter()
        .map(|s| (s.category, s.terms))
        .collect()
}

/// How the seed words a category.
pub fn description(category: ScreeningCategory) -> String {
    shipped_lists()
        .into_iter()
        .find(|s| s.category == category)
        .map(|s| s.description)
        .unwrap_or_default()
}

/// A category's list as it stands: replaced, or shipped (version 0).
pub async fn list<C: ConnectionTrait>(
    db: &C,
    category: ScreeningCategory,
) -> Result<(Vec<String>, i32, Option<entity::Model>), DbErr> {
    match entity::Entity::find_by_id(category).one(db).await? {
        Some(row) => {
            let terms =
                serde_json::from_str(&row.terms).map_err(|e| DbErr::Custom(e.to_string()))?;
            Ok((terms, row.version, Some(row)))
        }
        None => {
            let terms = shipped()
                .into_iter()
                .find(|(c, _)| *c == category)
                .map(|(_, t)| t);
            Ok((terms.unwrap_or_default(), 0, None))
        }
    }
}

/// Every list as it stands.
pub async fn all_lists<C: ConnectionTrait>(
    db: &C,
) -> Result<Vec<(ScreeningCategory, Vec<String>)>, DbErr> {
    let mut out = Vec::new();
    for (category, _) in shipped() {
        out.push((category, list(db, category).await?.0));
    }
    Ok(out)
}

/// Writes `terms` as `category`'s list if it is still at version `expected` (0: the shipped
/// list, never replaced); `None` when another replacement came first.
pub async fn replace<C: ConnectionTrait>(
    db: &C,
    category: ScreeningCategory,
    terms: &[String],
    expected: i32,
    by: &str,
) -> Result<Option<entity::Model>, DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let text = serde_json::to_string(terms).map_err(|e| DbErr::Custom(e.to_string()))?;
    let now = crate::db::now();
    let written = if expected == 0 {
        entity::Entity::insert(entity::ActiveModel {
            category: Set(category),
            terms: Set(text),
            version: Set(1),
            updated_by: Set(by.to_owned()),
            updated_at: Set(now),
        })
        .on_conflict(
            OnConflict::column(entity::Column::Category)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?
    } else {
        entity::Entity::update_many()
            .set(entity::ActiveModel {
                terms: Set(text),
                version: Set(expected + 1),
                updated_by: Set(by.to_owned()),
                updated_at: Set(now),
                ..Default::default()
            })
            .filter(entity::Column::Category.eq(category))
            .filter(entity::Column::Version.eq(expected))
            .exec(db)
            .await?
            .rows_affected
    };
    if written != 1 {
        return Ok(None);
    }
    entity::Entity::find_by_id(category).one(db).await
}
