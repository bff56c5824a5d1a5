//! The code tables of training, public and read from memory.
use serde_json::Value;

use crate::helpers::{assert_problem, each_backend};

#[tokio::test]
async fn the_code_tables_are_public_and_the_catalogue_has_two_levels() {
    each_backend(|app| async move {
        let categories: Value = app
            .get_json("/api/v1/reference/training-categories", None)
            .await;
        let codes: Vec<&str> = categories
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["code"].as_str().unwrap())
            .collect();
        assert_eq!(
            codes,
            vec!["principal_person", "safety_manager", "special_operation"]
        );
        let top: Value = app
            .get_json("/api/v1/reference/operation-categories", None)
            .await;
        assert_eq!(top.as_array().unwrap().len(), 11);
        let all: Value = app
            .get_json("/api/v1/reference/operation-types", None)
            .await;
        let electric: Value = app
            .get_json("/api/v1/reference/operation-types?category_code=01", None)
            .await;
        let names: Vec<&str> = electric
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["高压电工作业", "低压电工作业", "防爆电气作业"]);
        assert!(all.as_array().unwrap().len() > 40);
        assert!(
            all.as_array().unwrap().iter().all(|t| top
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["code"] == t["category_code"])),
            "every type belongs to a listed category"
        );
        let types: Value = app.get_json("/api/v1/reference/training-types", None).await;
        assert_eq!(types[0]["name"], "初训");
        let bad = app
            .get("/api/v1/reference/operation-types?category_code=1", None)
            .await;
        assert_problem(bad, 400, "validation_failed").await;
        let unknown = app
            .get("/api/v1/reference/training-types?sort=name", None)
            .await;
        assert_problem(unknown, 400, "validation_failed").await;
    })
    .await;
}
