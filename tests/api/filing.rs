//! The platform's filing profile, its management documents and the filing report (read back
//! from XLSX with calamine).
use std::time::Duration;

use reqwest::Method;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, each_backend, tokens};
use crate::learners::kept_texts;

const COMPANY: &str = "广东安训网络科技有限公司";
const REPRESENTATIVE_PHONE: &str = "13712345678";

async fn patch(app: &TestApp, token: &str, etag: Option<&str>, body: &Value) -> reqwest::Response {
    app.patch("/api/v1/platform-profile", Some(token), etag, body)
        .await
}

fn sheet(bytes: &[u8], name: &str) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("an XLSX file");
    let range = book.worksheet_range(name).expect("the sheet");
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[tokio::test]
async fn the_profile_is_kept_by_operators_and_the_filing_report_shows_the_commitments() {
    each_backend(|app| async move {
        let operator = app.token("platform_operator", None, None);
        let province = app.token("province_admin", None, None);
        let city = app.token("city_admin", Some("440100"), None);

        // Never filled: every field null, version 0.
        let res = app.get("/api/v1/platform-profile", Some(&operator)).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["etag"], "\"v0\"");
        assert!(res.json::<Value>().await.unwrap()["company_name"].is_null());

        let body = json!({
            "company_name": COMPANY, "credit_code": "91440101MA5CYQ0B41",
            "registered_address": "广州市天河区体育西路1号", "office_address": "广州市天河区体育西路1号",
            "legal_representative": "王五", "legal_representative_phone": REPRESENTATIVE_PHONE,
            "contact_person": "赵六", "contact_phone": "13812340000", "business_term": "2020-01-01至长期",
            "platform_url": "https://peixun.example.gd.cn", "introduction": "面向广东省高危行业从业人员的安全生产资格考试网络培训平台。",
            "hotline": "400-800-1234", "service_email": "service@example.gd.cn",
            "complaint_team": [{"name": "钱七", "duty": "投诉受理", "phone": "13900001111"}]
        });
        assert_problem(patch(&app, &operator, None, &body).await, 428, "if_match_required").await;
        assert_problem(patch(&app, &province, Some("\"v0\""), &body).await, 403, "role_not_allowed").await;
        let mut bad = body.clone();
        bad["credit_code"] = json!("91440101MA5CYQ0B4A");
        let p = assert_problem(patch(&app, &operator, Some("\"v0\""), &bad).await, 400, "validation_failed").await;
        assert_eq!(p["errors"][0]["field"], "credit_code");
        let res = patch(&app, &operator, Some("\"v0\""), &body).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());
        assert_eq!(res.headers()["etag"], "\"v1\"");
        assert_problem(
            patch(&app, &operator, Some("\"v0\""), &json!({"hotline": "400-800-9999"})).await,
            412,
            "etag_mismatch",
        )
        .await;
        // A partial change keeps the rest.
        app.clock.freeze_at("2026-12-07T03:00:00Z".parse().unwrap());
        let colleague = tokens::platform(&app.settings, "platform_operator", None, None, "op-2");
        let res = patch(&app, &colleague, Some("\"v1\""), &json!({"business_term": "长期"})).await;
        let now: Value = res.json().await.unwrap();
        assert_eq!(now["business_term"], "长期");
        assert_eq!(now["company_name"], COMPANY);
        // Regulators read it in full; the phones are encrypted at rest and masked in the log.
        assert_eq!(res_tag(&app, &city).await, "\"v2\"", "each change is a version");
        let seen = app.get_json("/api/v1/platform-profile", Some(&city)).await;
        assert_eq!(seen["business_term"], "长期", "the second change is kept too");
        assert_eq!(seen["updated_by"], "op-2");
        assert_eq!(seen["updated_at"], "2026-12-07T03:00:00Z");
        assert_eq!(seen["legal_representative_phone"], REPRESENTATIVE_PHONE);
        assert_eq!(seen["complaint_team"][0]["name"], "钱七");
        let kept = kept_texts(&app).await;
        assert!(!kept.contains(REPRESENTATIVE_PHONE), "a phone is kept in clear");
        let row = safetrain::filing::entity::profile::Entity::find_by_id(1)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert!(!row.data_enc.contains(COMPANY), "the profile is stored encrypted");
        // Anyone reads how to reach the after-sales service.
        let public = app.get_json("/api/v1/public/platform-profile", None).await;
        assert_eq!(public, json!({"company_name": COMPANY, "platform_url": "https://peixun.example.gd.cn",
            "hotline": "400-800-1234", "service_email": "service@example.gd.cn"}));

        // Documents: every version kept; the newest already effective is in force.
        let policy = |version: &str, on: &str| json!({"kind": "after_sales", "title": format!("售后服务制度（{version}）"),
            "content": "投诉2个服务小时内首次响应，3个工作日内办结。", "effective_on": on});
        assert_eq!(app.post("/api/v1/policies", Some(&operator), &policy("第一版", "2026-01-01")).await.status(), 201);
        let next: Value = app.post("/api/v1/policies", Some(&operator), &policy("第二版", "2099-01-01")).await.json().await.unwrap();
        assert_eq!(next["version_number"], 2);
        assert_eq!(next["in_force"], false, "not effective yet");
        assert_problem(app.post("/api/v1/policies", Some(&province), &policy("x", "2026-01-01")).await, 403, "role_not_allowed").await;
        let list = app.get_json("/api/v1/policies?kind=after_sales", Some(&province)).await;
        let marks: Vec<(i64, bool)> = list.as_array().unwrap().iter()
            .map(|p| (p["version_number"].as_i64().unwrap(), p["in_force"].as_bool().unwrap())).collect();
        assert_eq!(marks, [(1, true), (2, false)]);

        // The report's counts: an institution in Guangzhou, an open complaint that goes overdue,
        // and the audit chain's last verification.
        let f = crate::courses::filer(&app, "440100", 1).await;
        let res = app.post("/api/v1/complaints", None, &json!({"kind": "complaint", "target_type": "institution",
            "target_id": f.institution, "title": "未按约定安排辅导", "content": "请核实处理。",
            "contact_name": "李四", "contact_email": "li.si@example.com"})).await;
        assert_eq!(res.status(), 201);
        app.clock.advance(Duration::from_secs(10 * 24 * 3600));
        app.settle_audit().await;
        app.settle_audit().await;
        let report = app.get_json("/api/v1/reports/filing", Some(&province)).await;
        assert_eq!(report["profile"]["company_name"], COMPANY);
        let cities = report["institutions_per_city"].as_array().unwrap();
        assert_eq!(cities.len(), 22, "every city module");
        let gz = cities.iter().find(|c| c["city_code"] == "440100").unwrap();
        assert_eq!(gz["institutions"], 1);
        assert!(cities.iter().filter(|c| c["city_code"] != "440100").all(|c| c["institutions"] == 0));
        assert_eq!((report["open_complaints"].as_u64(), report["overdue_complaints"].as_u64()), (Some(1), Some(1)));
        assert_eq!(report["published_courses"], 0);
        assert_eq!(report["audit_chain"]["ok"], true);
        assert_eq!(report["policies_in_force"].as_array().unwrap().len(), 1);

        let res = app
            .request(Method::GET, "/api/v1/reports/filing?format=xlsx", Some(&city))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let bytes = res.bytes().await.unwrap();
        let form = sheet(&bytes, "申请表");
        assert_eq!(form[0], ["企业名称", COMPANY]);
        assert_eq!(form[1], ["统一社会信用代码", "91440101MA5CYQ0B41"]);
        assert_eq!(form[13][1], "钱七（投诉受理，13900001111）");
        let counts = sheet(&bytes, "承诺落实情况");
        assert_eq!(counts[2], ["未办结投诉数", "1"]);
        assert_eq!(counts[3], ["逾期投诉数", "1"]);
        assert!(counts[4][1].ends_with("（完整）"), "{:?}", counts[4]);
        let per_city = sheet(&bytes, "各市培训机构");
        assert_eq!(per_city[0], ["城市代码", "城市", "培训机构数"], "the header row stays");
        assert_eq!(per_city.len(), 23, "the header and every city module below it");
        assert!(per_city.iter().any(|r| r[0] == "440100" && r[2] == "1"));
        let documents = sheet(&bytes, "管理制度");
        assert_eq!(documents[1], ["售后服务制度", "1", "售后服务制度（第一版）", "2026-01-01"]);
        let learner = app.token("learner", None, None);
        assert_problem(app.get("/api/v1/reports/filing", Some(&learner)).await, 403, "role_not_allowed").await;
    })
    .await;
}

#[tokio::test]
async fn the_document_in_force_is_chosen_among_the_versions_of_its_own_kind() {
    each_backend(|app| async move {
        let operator = app.token("platform_operator", None, None);
        let write = |kind: &str, on: &str| {
            let (app, operator) = (&app, operator.clone());
            let body = json!({"kind": kind, "title": format!("{kind}制度"), "content": "内容。", "effective_on": on});
            async move { assert_eq!(app.post("/api/v1/policies", Some(&operator), &body).await.status(), 201) }
        };
        write("backups", "2026-01-01").await;
        write("emergency_response", "2026-01-01").await;
        write("emergency_response", "2026-02-01").await;
        write("after_sales", "2026-01-01").await;
        let list = app.get_json("/api/v1/policies", Some(&operator)).await;
        let mut in_force: Vec<(String, i64)> = list.as_array().unwrap().iter()
            .filter(|p| p["in_force"] == true)
            .map(|p| (p["kind"].as_str().unwrap().to_owned(), p["version_number"].as_i64().unwrap()))
            .collect();
        in_force.sort();
        assert_eq!(in_force, [("after_sales".to_owned(), 1), ("backups".to_owned(), 1), ("emergency_response".to_owned(), 2)]);
    })
    .await;
}

async fn res_tag(app: &TestApp, token: &str) -> String {
    let res = app.get("/api/v1/platform-profile", Some(token)).await;
    res.headers()["etag"].to_str().unwrap().to_owned()
}
