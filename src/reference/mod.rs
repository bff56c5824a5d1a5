//! Reference data of training: the training categories (主要负责人, 安全生产管理人员,
//! 特种作业人员), the special-operation catalogue as a two-level code table (operation
//! categories and their operation types), and the training types (初训, 复训, 复审培训). Shipped
//! in `fixtures/training_catalogue.json`, served from memory, public.
pub mod codes;
mod dto;
mod routes;

use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

pub use dto::{OperationCategory, OperationType, TrainingCategory, TrainingType};

pub const TAG: &str = "reference";

#[derive(OpenApi)]
#[openapi(tags((name = "reference", description = "Code tables of training: training categories, the special-operation catalogue (two levels) and training types. Public.")))]
pub struct Doc;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.app_data(actix_web::web::Data::new(Catalogue::shipped()))
        .service(routes::list_training_categories)
        .service(routes::list_operation_categories)
        .service(routes::list_operation_types)
        .service(routes::list_training_types);
}

const FIXTURE: &str = include_str!("../../fixtures/training_catalogue.json");

/// The code tables, as shipped.
#[derive(Debug, serde::Deserialize)]
pub struct Catalogue {
    pub training_categories: Vec<TrainingCategory>,
    pub operation_categories: Vec<OperationCategory>,
    pub operation_types: Vec<OperationType>,
    pub training_types: Vec<TrainingType>,
}

impl Catalogue {
    /// The catalogue embedded in the binary (checked by a test, so it always parses).
    pub fn shipped() -> Self {
        serde_json::from_str(FIXTURE)
            .unwrap_or_else(|e| panic!("fixtures/training_catalogue.json: {e}"))
    }

    pub fn training_category(&self, code: &str) -> Option<&TrainingCategory> {
        self.training_categories.iter().find(|c| c.code == code)
    }

    pub fn operation_type(&self, code: &str) -> Option<&OperationType> {
        self.operation_types.iter().find(|t| t.code == code)
    }

    pub fn training_type(&self, code: &str) -> Option<&TrainingType> {
        self.training_types.iter().find(|t| t.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_has_eleven_operation_categories_each_with_its_types() {
        let c = Catalogue::shipped();
        assert_eq!(c.training_categories.len(), 3);
        assert_eq!(c.operation_categories.len(), 11);
        for category in &c.operation_categories {
            assert!(
                c.operation_types
                    .iter()
                    .any(|t| t.category_code == category.code),
                "{} has operation types",
                category.name
            );
        }
        for t in &c.operation_types {
            assert!(
                t.code.starts_with(&t.category_code),
                "{} under {}",
                t.code,
                t.category_code
            );
        }
        let codes: std::collections::HashSet<&str> =
            c.operation_types.iter().map(|t| t.code.as_str()).collect();
        assert_eq!(codes.len(), c.operation_types.len(), "codes are unique");
        assert_eq!(c.operation_type("0102").unwrap().name, "低压电工作业");
        assert!(
            c.training_type("initial").is_some()
                && c.training_category("special_operation").is_some()
        );
    }
}
