//! Code-table endpoints (public, from memory).
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get};

use super::Catalogue;
use super::dto::*;
use crate::auth::Public;
use crate::context::Cx;
use crate::error::AppResult;
use crate::http::extract::ValidQuery;
use crate::http::responses::*;

/// List training categories
///
/// Who is trained: principal responsible persons, work-safety managers and special-operation
/// workers. No token needed.
#[utoipa::path(tag = super::TAG, params(NoQuery), security(()), responses(
    (status = 200, description = "Every training category", body = Vec<TrainingCategory>),
    ReferenceErrors,
))]
#[get("/reference/training-categories")]
pub async fn list_training_categories(
    cx: Cx<Public>,
    _q: ValidQuery<NoQuery>,
) -> AppResult<HttpResponse> {
    Ok(cx.reply(StatusCode::OK, &cx.data::<Catalogue>()?.training_categories))
}

/// List operation categories
///
/// The first level of the special-operation catalogue: 11 categories. No token needed.
#[utoipa::path(tag = super::TAG, params(NoQuery), security(()), responses(
    (status = 200, description = "Every operation category", body = Vec<OperationCategory>),
    ReferenceErrors,
))]
#[get("/reference/operation-categories")]
pub async fn list_operation_categories(
    cx: Cx<Public>,
    _q: ValidQuery<NoQuery>,
) -> AppResult<HttpResponse> {
    Ok(cx.reply(
        StatusCode::OK,
        &cx.data::<Catalogue>()?.operation_categories,
    ))
}

/// List operation types
///
/// The second level of the special-operation catalogue, each with its `category_code`;
/// `category_code` narrows the list to one category. No token needed.
#[utoipa::path(tag = super::TAG, params(OperationTypeQuery), security(()), responses(
    (status = 200, description = "The operation types", body = Vec<OperationType>),
    ReferenceErrors,
))]
#[get("/reference/operation-types")]
pub async fn list_operation_types(
    cx: Cx<Public>,
    q: ValidQuery<OperationTypeQuery>,
) -> AppResult<HttpResponse> {
    let catalogue = cx.data::<Catalogue>()?;
    let types: Vec<&OperationType> = catalogue
        .operation_types
        .iter()
        .filter(|t| {
            q.0.category_code
                .as_ref()
                .is_none_or(|c| &t.category_code == c)
        })
        .collect();
    Ok(cx.reply(StatusCode::OK, &types))
}

/// List training types
///
/// Initial, refresher and review training. No token needed.
#[utoipa::path(tag = super::TAG, params(NoQuery), security(()), responses(
    (status = 200, description = "Every training type", body = Vec<TrainingType>),
    ReferenceErrors,
))]
#[get("/reference/training-types")]
pub async fn list_training_types(
    cx: Cx<Public>,
    _q: ValidQuery<NoQuery>,
) -> AppResult<HttpResponse> {
    Ok(cx.reply(StatusCode::OK, &cx.data::<Catalogue>()?.training_types))
}
