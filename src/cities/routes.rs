//! City module endpoints (public).
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};

use super::dto::{City, CityListQuery, CityPath};
use crate::auth::Public;
use crate::context::Cx;
use crate::error::{AppError, AppResult};
use crate::http::extract::ValidQuery;
use crate::http::responses::*;

/// List city modules
///
/// The 22 city modules: Guangdong's 21 prefecture-level cities and the Hengqin
/// Guangdong–Macao In-Depth Cooperation Zone, ordered by code. No token needed.
#[utoipa::path(tag = super::TAG, params(CityListQuery), security(()), responses(
    (status = 200, description = "Every city module", body = Vec<City>),
    ReferenceErrors,
))]
#[get("/cities")]
pub async fn list_cities(
    cx: Cx<Public>,
    _query: ValidQuery<CityListQuery>,
) -> AppResult<HttpResponse> {
    let cities = cx.data::<super::Catalog>()?;
    Ok(cx.reply(StatusCode::OK, &cities.all()))
}

/// Get a city module
///
/// One city module by its code. No token needed.
#[utoipa::path(tag = super::TAG, params(CityPath), security(()), responses(
    (status = 200, description = "The city module", body = City),
    (status = 404, response = NotFound),
    ReferenceErrors,
))]
#[get("/cities/{code}")]
pub async fn get_city(cx: Cx<Public>, path: web::Path<CityPath>) -> AppResult<HttpResponse> {
    let cities = cx.data::<super::Catalog>()?;
    let city = cities.get(&path.code).ok_or_else(AppError::not_found)?;
    Ok(cx.reply(StatusCode::OK, city))
}
