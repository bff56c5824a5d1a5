//! API types of regulations.
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::domain::{CalendarDate, Label, Name};
use crate::http::pagination::{Cursor, Limit};

/// What kind of rule a regulation is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum RegulationKind {
    /// 法律.
    #[sea_orm(string_value = "law")]
    Law,
    /// 行政法规.
    #[sea_orm(string_value = "administrative_regulation")]
    AdministrativeRegulation,
    /// 部门规章.
    #[sea_orm(string_value = "departmental_rule")]
    DepartmentalRule,
    /// 地方性法规.
    #[sea_orm(string_value = "local_regulation")]
    LocalRegulation,
    /// 技术标准.
    #[sea_orm(string_value = "technical_standard")]
    TechnicalStandard,
}

/// Whether a regulation is in force.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum RegulationStatus {
    /// In force (or to take effect on `effective_on`).
    #[sea_orm(string_value = "in_force")]
    InForce,
    /// Amended: courses resting on it must be updated.
    #[sea_orm(string_value = "amended")]
    Amended,
    /// No longer in force.
    #[sea_orm(string_value = "repealed")]
    Repealed,
}

/// A new regulation.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegulationCreate {
    /// The title.
    #[schema(example = "中华人民共和国安全生产法")]
    pub title: Name,
    /// 文号.
    #[schema(example = "主席令第八十八号")]
    pub document_number: Label,
    /// What kind of rule it is.
    pub kind: RegulationKind,
    /// Who issued it.
    pub issuer: Name,
    /// The publication date.
    pub published_on: CalendarDate,
    /// The date it takes effect.
    pub effective_on: CalendarDate,
    /// Whether it is in force.
    pub status: RegulationStatus,
}

/// The fields to change (at least one). A change of its dates, or of its status to
/// `amended`, sets update deadlines on the published courses resting on it.
#[derive(Debug, Default, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1)]
pub struct RegulationUpdate {
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    /// The title.
    #[schema(nullable = false)]
    pub title: Option<Name>,
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    /// 文号.
    #[schema(nullable = false)]
    pub document_number: Option<Label>,
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    /// Who issued it.
    #[schema(nullable = false)]
    pub issuer: Option<Name>,
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    /// The publication date.
    #[schema(nullable = false)]
    pub published_on: Option<CalendarDate>,
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    /// The date it takes effect.
    #[schema(nullable = false)]
    pub effective_on: Option<CalendarDate>,
    #[serde(
        default,
        deserialize_with = "crate::http::extract::non_null",
        skip_serializing_if = "Option::is_none"
    )]
    /// Whether it is in force (`amended` sets deadlines on the courses resting on it).
    #[schema(nullable = false)]
    pub status: Option<RegulationStatus>,
}

/// A regulation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Regulation {
    /// The id (UUIDv7).
    pub id: Uuid,
    /// The title.
    pub title: String,
    /// 文号.
    pub document_number: String,
    /// What kind of rule it is.
    pub kind: RegulationKind,
    /// Who issued it.
    pub issuer: String,
    /// The publication date.
    pub published_on: NaiveDate,
    /// The date it takes effect.
    pub effective_on: NaiveDate,
    /// Whether it is in force.
    pub status: RegulationStatus,
    /// The deadline a course resting on it gets when it takes effect or is amended:
    /// `effective_on` + 2 calendar months, or `published_on` + 3 for a technical standard.
    pub update_deadline: NaiveDate,
    /// When it was last amended (marked `amended`, or its dates changed); null if never.
    #[schema(required = true)]
    pub amended_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Filters of the regulation list (creation order).
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegulationListQuery {
    pub kind: Option<RegulationKind>,
    pub status: Option<RegulationStatus>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Cursor>,
}

/// A regulation id in a path.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RegulationPath {
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    pub id: Uuid,
}

crate::http::pagination::page_schema!(RegulationPage, Regulation);
