//! Queries of city modules (public reference data: no tenant scope).
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryOrder};

use super::entity::{Column, Entity, Model};

pub async fn list<C: ConnectionTrait>(db: &C) -> Result<Vec<Model>, DbErr> {
    Entity::find().order_by_asc(Column::Code).all(db).await
}
