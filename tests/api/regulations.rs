//! Regulations and the update deadlines their amendments give the courses resting on them.
use chrono::{Months, Utc};
use serde_json::{Value, json};

use crate::courses::{add_video, approve_and_publish, course_body, filer, move_to, publish};
use crate::helpers::{TestApp, assert_problem, each_backend, each_backend_with};

/// Reads `url` until `ready` holds (the deadline job runs every second in these tests).
async fn until(app: &TestApp, url: &str, token: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..100 {
        last = app.get_json(url, Some(token)).await;
        if ready(&last) {
            return last;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{url} never got there: {last}");
}

const MP4_720P: &[u8] = include_bytes!("fixtures/lecture-720p.mp4");

fn regulation_body(kind: &str, published: &str, effective: &str) -> Value {
    json!({
        "title": "中华人民共和国安全生产法",
        "document_number": "主席令第八十八号",
        "kind": kind,
        "issuer": "全国人民代表大会常务委员会",
        "published_on": published,
        "effective_on": effective,
        "status": "in_force"
    })
}

async fn create_regulation(app: &TestApp, body: &Value) -> Value {
    let token = app.token("province_admin", None, None);
    let res = app.post("/api/v1/regulations", Some(&token), body).await;
    assert_eq!(
        res.status(),
        201,
        "{}",
        res.text().await.unwrap_or_default()
    );
    res.json().await.unwrap()
}

#[tokio::test]
async fn province_admins_keep_the_regulations_everyone_filing_courses_reads() {
    each_backend(|app| async move {
        let reg = create_regulation(
            &app,
            &regulation_body("technical_standard", "2026-11-30", "2027-03-01"),
        )
        .await;
        assert_eq!(
            reg["update_deadline"], "2027-02-28",
            "publication + 3 months, clamped"
        );
        let url = format!("/api/v1/regulations/{}", reg["id"].as_str().unwrap());
        for role in ["city_admin", "institution_admin", "platform_operator"] {
            let token = match role {
                "city_admin" => app.token(role, Some("440100"), None),
                "institution_admin" => {
                    app.token(role, None, Some("01938a6e-8f1c-7c3a-9a55-5c1f0c1e2d3f"))
                }
                _ => app.token(role, None, None),
            };
            assert_eq!(app.get_json(&url, Some(&token)).await, reg, "{role} reads");
            let res = app
                .post(
                    "/api/v1/regulations",
                    Some(&token),
                    &regulation_body("law", "2026-01-01", "2026-02-01"),
                )
                .await;
            assert_problem(res, 403, "role_not_allowed").await;
        }
        let learner = app.token("learner", None, None);
        assert_problem(app.get(&url, Some(&learner)).await, 403, "role_not_allowed").await;
        let admin = app.token("province_admin", None, None);
        let res = app
            .patch(
                &url,
                Some(&admin),
                None,
                &json!({"title": "安全生产法（2021年修正）"}),
            )
            .await;
        assert_problem(res, 428, "if_match_required").await;
        let res = app
            .patch(
                &url,
                Some(&admin),
                Some("\"v1\""),
                &json!({"title": "安全生产法（2021年修正）"}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let mut bad = regulation_body("law", "2026-02-30", "2026-03-01");
        assert_problem(
            app.post("/api/v1/regulations", Some(&admin), &bad).await,
            400,
            "validation_failed",
        )
        .await;
        bad["published_on"] = json!("2026-01-01");
        bad["kind"] = json!("guideline");
        assert_problem(
            app.post("/api/v1/regulations", Some(&admin), &bad).await,
            400,
            "validation_failed",
        )
        .await;
        let page = app
            .get_json("/api/v1/regulations?kind=technical_standard", Some(&admin))
            .await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        let page = app
            .get_json("/api/v1/regulations?kind=law", Some(&admin))
            .await;
        assert_eq!(page["items"], json!([]));
    })
    .await;
}

#[tokio::test]
async fn an_amendment_gives_the_published_courses_resting_on_it_a_deadline_that_an_update_clears() {
    each_backend_with(
        |s| s.courses.deadline_check_secs = 1,
        |app| async move {
            // In force two months and a day ago: the deadline fell yesterday.
            let today = Utc::now().date_naive();
            let effective = today
                .checked_sub_months(Months::new(2))
                .unwrap()
                .pred_opt()
                .unwrap();
            let reg = create_regulation(
                &app,
                &regulation_body("law", "2020-01-01", &effective.to_string()),
            )
            .await;
            let rid = reg["id"].as_str().unwrap().to_owned();
            let f = filer(&app, "440100", 1).await;
            let mut body = course_body(&f, "依据安全生产法的课程");
            body["regulation_ids"] = json!([rid]);
            let resting: Value = app
                .post("/api/v1/courses", Some(&f.admin), &body)
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(resting["regulation_ids"], json!([rid]));
            let cid = resting["id"].as_str().unwrap().to_owned();
            assert_eq!(add_video(&app, &f, &cid, MP4_720P).await.status(), 200);
            publish(&app, &f, &cid).await;
            // A draft resting on it, and a published course that does not.
            let mut draft_body = course_body(&f, "草稿课程");
            draft_body["regulation_ids"] = json!([rid]);
            let draft: Value = app
                .post("/api/v1/courses", Some(&f.admin), &draft_body)
                .await
                .json()
                .await
                .unwrap();
            let other = crate::courses::create_course(&app, &f, "无关课程").await;
            let oid = other["id"].as_str().unwrap().to_owned();
            assert_eq!(add_video(&app, &f, &oid, MP4_720P).await.status(), 200);
            publish(&app, &f, &oid).await;

            let admin = app.token("province_admin", None, None);
            let res = app
                .patch(
                    &format!("/api/v1/regulations/{rid}"),
                    Some(&admin),
                    Some("*"),
                    &json!({"status": "amended"}),
                )
                .await;
            assert_eq!(res.status(), 200);
            let course_url = format!("/api/v1/courses/{cid}");
            let course = until(&app, &course_url, &f.admin, |c| {
                !c["update_deadline"].is_null()
            })
            .await;
            assert_eq!(course["update_deadline"], reg["update_deadline"]);
            let draft = app
                .get_json(
                    &format!("/api/v1/courses/{}", draft["id"].as_str().unwrap()),
                    Some(&f.admin),
                )
                .await;
            assert!(
                draft["update_deadline"].is_null(),
                "only published versions get deadlines"
            );
            let operator = app.token("platform_operator", None, None);
            for url in ["/api/v1/courses?overdue=true", "/api/v1/courses/overdue"] {
                let overdue = app.get_json(url, Some(&operator)).await;
                let ids: Vec<&str> = overdue["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["id"].as_str().unwrap())
                    .collect();
                assert_eq!(ids, [cid.as_str()], "{url}");
            }
            let city = app.token("city_admin", Some("440300"), None);
            let scoped = app
                .get_json("/api/v1/courses?overdue=true", Some(&city))
                .await;
            assert_eq!(scoped["items"], json!([]), "scoped by role");

            // A later date does not push an earlier deadline back.
            let later = today.checked_add_months(Months::new(6)).unwrap();
            let res = app
                .patch(
                    &format!("/api/v1/regulations/{rid}"),
                    Some(&admin),
                    Some("*"),
                    &json!({"effective_on": later.to_string()}),
                )
                .await;
            assert!(res.json::<Value>().await.unwrap()["amended_at"].is_string());
            tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
            let course = app.get_json(&course_url, Some(&f.admin)).await;
            assert_eq!(course["update_deadline"], reg["update_deadline"]);

            // An updated version that passes review clears it.
            let res = app
                .patch(
                    &course_url,
                    Some(&f.admin),
                    Some("*"),
                    &json!({"description": "按2021年修正版更新。"}),
                )
                .await;
            assert_eq!(res.status(), 200);
            assert_eq!(
                move_to(&app, &f.admin, &cid, "submitted").await.status(),
                200
            );
            let published = approve_and_publish(&app, &f, &cid).await;
            assert!(published["update_deadline"].is_null(), "{published}");
            assert_eq!(
                published["regulation_ids"],
                json!([rid]),
                "the new version rests on it too"
            );
            tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
            let overdue = app
                .get_json("/api/v1/courses/overdue", Some(&operator))
                .await;
            assert_eq!(
                overdue["items"],
                json!([]),
                "not due again: the update was published after the amendment"
            );
        },
    )
    .await;
}

#[tokio::test]
async fn the_deadline_job_suspends_overdue_courses_when_configured() {
    each_backend_with(
        |s| {
            s.courses.deadline_check_secs = 1;
            s.courses.suspend_overdue = true;
        },
        |app| async move {
            let today = Utc::now().date_naive();
            let effective = today.checked_sub_months(Months::new(3)).unwrap();
            let reg = create_regulation(
                &app,
                &regulation_body("law", "2020-01-01", &effective.to_string()),
            )
            .await;
            let rid = reg["id"].as_str().unwrap().to_owned();
            let f = filer(&app, "440100", 1).await;
            let mut body = course_body(&f, "将被暂停的课程");
            body["regulation_ids"] = json!([rid]);
            let course: Value = app
                .post("/api/v1/courses", Some(&f.admin), &body)
                .await
                .json()
                .await
                .unwrap();
            let cid = course["id"].as_str().unwrap().to_owned();
            assert_eq!(add_video(&app, &f, &cid, MP4_720P).await.status(), 200);
            publish(&app, &f, &cid).await;
            let admin = app.token("province_admin", None, None);
            app.patch(
                &format!("/api/v1/regulations/{rid}"),
                Some(&admin),
                Some("*"),
                &json!({"status": "amended"}),
            )
            .await;
            let url = format!("/api/v1/courses/{cid}");
            let suspended = until(&app, &url, &f.admin, |c| c["status"] == "suspended").await;
            assert_eq!(suspended["update_deadline"], reg["update_deadline"]);
            let history = app
                .get_json(&format!("{url}/status-changes"), Some(&f.admin))
                .await;
            let last = history["items"].as_array().unwrap().last().unwrap().clone();
            assert_eq!(
                (last["actor_role"].as_str(), last["to_status"].as_str()),
                (Some("system"), Some("suspended"))
            );
            assert!(
                last["reason"].as_str().unwrap().contains("update deadline"),
                "{last}"
            );
            // The job's change reaches the feed: the course suspended, and its status step.
            let mut found = false;
            for _ in 0..100 {
                let courses = crate::changes::read_feed(&app, "&types=course", 200, 1).await;
                if courses
                    .iter()
                    .any(|e| e["resource_id"] == cid.as_str() && e["data"]["status"] == "suspended")
                {
                    found = true;
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            assert!(found, "the suspended course is in the feed");
            let steps =
                crate::changes::read_feed(&app, "&types=course_status_change", 200, 1).await;
            assert!(
                steps.iter().any(|e| e["data"]["to_status"] == "suspended"
                    && e["data"]["actor_role"] == "system"),
                "{steps:?}"
            );
        },
    )
    .await;
}

#[tokio::test]
async fn a_course_cannot_rest_on_a_regulation_that_does_not_exist() {
    each_backend(|app| async move {
        let f = filer(&app, "440100", 1).await;
        let mut body = course_body(&f, "无据课程");
        body["regulation_ids"] = json!(["01938a6e-8f1c-7c3a-9a55-5c1f0c1e2d3f"]);
        let p = assert_problem(
            app.post("/api/v1/courses", Some(&f.admin), &body).await,
            400,
            "validation_failed",
        )
        .await;
        assert_eq!(p["errors"][0]["rule"], "unknown_regulation");
    })
    .await;
}
