//! City module endpoints (public).
use actix_web::{get, web};

use super::dto::{City, CityListQuery, CityPath};
use crate::error::{AppError, AppResult};
use crate::http::extract::ValidQuery;
use crate::http::responses::*;
use crate::state::AppState;

/// List city modules
///
/// The 22 city modules: Guangdong's 21 prefecture-level cities and the Hengqin
/// Guangdong–Macao In-Depth Cooperation Zone, ordered by code. No token needed.
#[utoipa::path(tag = super::TAG, params(CityListQuery), security(()), responses(
    (status = 200, description = "Every city module", body = Vec<City>),
    ReferenceErrors,
))]
#[get("")]
pub async fn list_cities(
    state: web::Data<AppState>,
    _query: ValidQuery<CityListQuery>,
) -> AppResult<web::Json<Vec<City>>> {
    Ok(web::Json(state.cities.all().to_vec()))
}

/// Get a city module
///
/// One city module by its code. No token needed.
#[utoipa::path(tag = super::TAG, params(CityPath), security(()), responses(
    (status = 200, description = "The city module", body = City),
    (status = 404, response = NotFound),
    ReferenceErrors,
))]
#[get("/{code}")]
pub async fn get_city(
    state: web::Data<AppState>,
    path: web::Path<CityPath>,
) -> AppResult<web::Json<City>> {
    let city = state.cities.get(&path.code).ok_or(AppError::NotFound)?;
    Ok(web::Json(city.clone()))
}
