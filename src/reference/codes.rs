//! Codes of the shipped code tables as request values: each checked against the table and
//! published as an `enum` of the table's codes, so the contract lists exactly what is accepted.
use std::sync::LazyLock;

use super::Catalogue;
use crate::domain::Invalid;

static SHIPPED: LazyLock<Catalogue> = LazyLock::new(Catalogue::shipped);

macro_rules! catalogue_code {
    ($(#[$doc:meta])* $name:ident, $field:ident, $description:literal, $example:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Every code of the table, in its order.
            pub fn all() -> Vec<&'static str> {
                SHIPPED.$field.iter().map(|c| c.code.as_str()).collect()
            }

            pub fn parse(raw: &str) -> Result<Self, Invalid> {
                if Self::all().contains(&raw) {
                    Ok(Self(raw.to_owned()))
                } else {
                    Err(Invalid::new("unknown_code", concat!("is not a code of ", $description)))
                }
            }

            pub fn from_db(stored: String) -> Self {
                Self(stored)
            }
        }

        crate::domain::string_newtype!($name);

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some(concat!("A code of ", $description)))
                    .enum_values(Some(Self::all()))
                    .examples([serde_json::json!($example)])
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }
    };
}

catalogue_code!(
    /// A training category (主要负责人, 安全生产管理人员, 特种作业人员).
    TrainingCategoryCode, training_categories,
    "the training categories (`GET /api/v1/reference/training-categories`)", "special_operation"
);
catalogue_code!(
    /// An operation type of the special-operation catalogue.
    OperationTypeCode, operation_types,
    "the special-operation types (`GET /api/v1/reference/operation-types`)", "0102"
);
catalogue_code!(
    /// A training type (初训, 复训, 复审培训).
    TrainingTypeCode, training_types,
    "the training types (`GET /api/v1/reference/training-types`)", "initial"
);

/// The training category whose courses name operation types.
pub const SPECIAL_OPERATION: &str = "special_operation";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_tables_codes() {
        assert_eq!(TrainingCategoryCode::all().len(), 3);
        assert!(TrainingCategoryCode::all().contains(&SPECIAL_OPERATION));
        assert!(OperationTypeCode::parse("0102").is_ok());
        assert_eq!(
            OperationTypeCode::parse("9999").unwrap_err().rule,
            "unknown_code"
        );
        assert!(TrainingTypeCode::parse("initial").is_ok());
        assert!(TrainingTypeCode::parse("Initial").is_err());
    }
}
