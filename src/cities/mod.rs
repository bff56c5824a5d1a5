//! City modules: reference data shipped in `fixtures/cities.json`, loaded at start and served
//! from memory.
pub mod dto;
pub mod entity;
pub mod repo;
mod routes;

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait};
use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

pub const TAG: &str = "cities";

#[derive(OpenApi)]
#[openapi(tags((name = "cities", description = "The 22 city modules: Guangdong's 21 prefecture-level cities and Hengqin. Public.")))]
pub struct Doc;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(routes::list_cities).service(routes::get_city);
}

/// The city modules, read once at start: they change only with the fixtures.
#[derive(Clone)]
pub struct Catalog(std::sync::Arc<Vec<dto::City>>);

impl Catalog {
    pub async fn load(db: &DatabaseConnection) -> Result<Self, DbErr> {
        let rows = repo::list(db).await?;
        Ok(Self(std::sync::Arc::new(
            rows.into_iter().map(dto::City::from).collect(),
        )))
    }

    /// Every module, ordered by code.
    pub fn all(&self) -> &[dto::City] {
        &self.0
    }

    pub fn get(&self, code: &str) -> Option<&dto::City> {
        self.0.iter().find(|c| c.code == code)
    }
}

const FIXTURE: &str = include_str!("../../fixtures/cities.json");

/// Inserts or refreshes the city modules by code; safe to run at every start.
pub async fn load_fixtures(db: &DatabaseConnection) -> Result<(), DbErr> {
    let cities: Vec<dto::City> = serde_json::from_str(FIXTURE)
        .map_err(|e| DbErr::Custom(format!("fixtures/cities.json: {e}")))?;
    let models = cities.into_iter().map(|c| entity::ActiveModel {
        code: Set(c.code),
        name: Set(c.name),
        name_en: Set(c.name_en),
        kind: Set(c.kind),
        division_code: Set(c.division_code),
        supervisor: Set(c.supervisor),
    });
    let on_conflict = OnConflict::column(entity::Column::Code)
        .update_columns([
            entity::Column::Name,
            entity::Column::NameEn,
            entity::Column::Kind,
            entity::Column::DivisionCode,
            entity::Column::Supervisor,
        ])
        .to_owned();
    entity::Entity::insert_many(models)
        .on_conflict(on_conflict)
        .exec(db)
        .await
        .map(|_| ())
}
