//! API types of the code tables.
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// A training category: who is trained.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrainingCategory {
    /// The stable code.
    #[schema(example = "special_operation")]
    pub code: String,
    /// The Chinese name.
    #[schema(example = "特种作业人员")]
    pub name: String,
    /// The English name.
    #[schema(example = "Special-operation worker")]
    pub name_en: String,
    /// What the training is.
    #[schema(example = "特种作业人员安全技术培训")]
    pub description: String,
}

/// A category of the special-operation catalogue (the first level).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OperationCategory {
    /// The two-digit code.
    #[schema(example = "01")]
    pub code: String,
    /// The name.
    #[schema(example = "电工作业")]
    pub name: String,
}

/// An operation type of the special-operation catalogue (the second level).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OperationType {
    /// The four-digit code: its category's code, then its own.
    #[schema(example = "0102")]
    pub code: String,
    /// The name.
    #[schema(example = "低压电工作业")]
    pub name: String,
    /// The category it belongs to.
    #[schema(example = "01")]
    pub category_code: String,
}

/// A training type: when in a qualification's life the training takes place.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrainingType {
    /// The stable code.
    #[schema(example = "initial")]
    pub code: String,
    /// The Chinese name.
    #[schema(example = "初训")]
    pub name: String,
    /// The English name.
    #[schema(example = "Initial training")]
    pub name_en: String,
    /// When it applies.
    #[schema(example = "首次取证前的培训")]
    pub description: String,
}

/// The operation-type list's filter.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OperationTypeQuery {
    /// Only the types of this category (two digits).
    #[param(pattern = "^[0-9]{2}$", example = "01")]
    #[validate(length(equal = 2))]
    pub category_code: Option<String>,
}

/// A list that takes no parameters.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NoQuery {}
