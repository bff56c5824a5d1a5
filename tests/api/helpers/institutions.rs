//! Helpers for institution tests: valid bodies, and creating and moving institutions.
use reqwest::Response;
use serde_json::{Value, json};

use super::TestApp;

impl TestApp {
    /// Creates an institution as the city admin of its city and returns the answer body.
    pub async fn create_institution(&self, body: &Value) -> Value {
        let city = body["city_code"].as_str().expect("city_code");
        let res = self
            .post(
                "/api/v1/institutions",
                Some(&self.token("city_admin", Some(city), None)),
                body,
            )
            .await;
        assert_eq!(
            res.status(),
            201,
            "create failed: {}",
            res.text().await.unwrap_or_default()
        );
        res.json().await.expect("json")
    }

    /// Moves an institution to `status` as a province admin.
    pub async fn set_status(&self, id: &str, status: &str) -> Response {
        let token = self.token("province_admin", None, None);
        self.post(
            &format!("/api/v1/institutions/{id}/status"),
            Some(&token),
            &json!({"status": status, "reason": "test"}),
        )
        .await
    }
}

/// A valid unified social credit code numbered `n` in city `city`.
pub fn credit_code(city: &str, n: u32) -> String {
    safetrain::domain::credit_code::complete(&format!("91{city}{n:09}")).expect("17 characters")
}

/// A complete, valid create body.
pub fn institution_body(city: &str, n: u32, name: &str) -> Value {
    json!({
        "name": name,
        "credit_code": credit_code(city, n),
        "city_code": city,
        "registered_address": "广州市天河区体育西路1号",
        "office_address": "广州市天河区体育西路1号3楼",
        "legal_representative": "张三",
        "contact_name": "李四",
        "contact_phone": "13812345678",
        "business_term_end": null,
        "platform_url": "https://training.example.cn",
        "introduction": "从事安全生产培训。"
    })
}
