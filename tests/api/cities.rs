use serde_json::Value;

use crate::helpers::{assert_problem, each_backend};

#[tokio::test]
async fn the_22_city_modules_are_listed_without_a_token() {
    each_backend(|app| async move {
        let res = app.get("/api/v1/cities", None).await;
        assert_eq!(res.status(), 200);
        let cities: Vec<Value> = res.json().await.unwrap();
        assert_eq!(cities.len(), 22, "21 prefecture-level cities plus Hengqin");
        let codes: Vec<&str> = cities.iter().map(|c| c["code"].as_str().unwrap()).collect();
        for code in ["440100", "440300", "441900", "442000", "445300", "449900"] {
            assert!(codes.contains(&code), "{code} missing");
        }
        let mut sorted = codes.clone();
        sorted.sort();
        assert_eq!(codes, sorted, "ordered by code");
        let hengqin = cities.iter().find(|c| c["code"] == "449900").unwrap();
        assert_eq!(hengqin["kind"], "cooperation_zone");
        assert_eq!(hengqin["division_code"], "440402");
    })
    .await;
}

#[tokio::test]
async fn one_city_is_read_by_code_and_unknown_codes_are_404() {
    each_backend(|app| async move {
        let res = app.get("/api/v1/cities/440300", None).await;
        assert_eq!(res.status(), 200);
        let city: Value = res.json().await.unwrap();
        assert_eq!(city["name"], "深圳市");
        assert_eq!(city["supervisor"], "深圳市应急管理局");
        assert_problem(
            app.get("/api/v1/cities/449999", None).await,
            404,
            "not_found",
        )
        .await;
        assert_problem(
            app.get("/api/v1/cities?sort=name", None).await,
            400,
            "validation_failed",
        )
        .await;
    })
    .await;
}
