//! Prohibited-content screening: the term lists province admins keep, and the check.
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, TestDb, assert_problem, backends, each_backend, spawn_with, test_settings,
};

async fn check(app: &TestApp, token: &str, text: &str) -> Value {
    let res = app
        .post(
            "/api/v1/screening/checks",
            Some(token),
            &json!({"text": text}),
        )
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn replace(
    app: &TestApp,
    token: &str,
    category: &str,
    etag: Option<&str>,
    terms: Value,
) -> reqwest::Response {
    let mut req = app
        .request(
            Method::PUT,
            &format!("/api/v1/screening/lists/{category}"),
            Some(token),
        )
        .json(&json!({"terms": terms}));
    if let Some(tag) = etag {
        req = req.header("If-Match", tag);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn province_admins_keep_the_lists_and_every_text_is_checked_against_them() {
    each_backend(|app| async move {
        let province = app.token("province_admin", None, None);
        let index: Value = app
            .get_json("/api/v1/screening/lists", Some(&province))
            .await;
        assert_eq!(
            index.as_array().unwrap().len(),
            9,
            "the nine categories of §6"
        );
        assert!(index.as_array().unwrap().iter().all(|l| l["version"] == 0));
        let institution = app.token(
            "institution_admin",
            None,
            Some(&uuid::Uuid::now_v7().to_string()),
        );
        let found = check(
            &app,
            &institution,
            "本课程含有　赌　博　内容，以及ＦＡＫＥ新闻",
        )
        .await;
        assert_eq!(found["clean"], false);
        assert_eq!(found["hits"][0]["category"], "obscenity_violence");
        assert_eq!(found["hits"][0]["matched"], "赌　博", "the span as sent");
        assert_eq!(found["hits"][0]["start"], 6);
        let list = app
            .get("/api/v1/screening/lists/rumour", Some(&province))
            .await;
        assert_eq!(list.headers()["etag"], "\"v0\"");
        assert_problem(
            replace(&app, &province, "rumour", None, json!(["假新闻"])).await,
            428,
            "if_match_required",
        )
        .await;
        let replaced = replace(
            &app,
            &province,
            "rumour",
            Some("\"v0\""),
            json!(["假新闻", "fake news", "假新闻"]),
        )
        .await;
        assert_eq!(replaced.status(), 200);
        assert_eq!(replaced.headers()["etag"], "\"v1\"");
        let body: Value = replaced.json().await.unwrap();
        assert_eq!(
            body["terms"],
            json!(["假新闻", "fake news"]),
            "duplicates kept once"
        );
        assert_problem(
            replace(&app, &province, "rumour", Some("\"v0\""), json!(["x"])).await,
            412,
            "etag_mismatch",
        )
        .await;
        let now = check(&app, &institution, "这是 Ｆａｋｅ－Ｎｅｗｓ 吗").await;
        assert_eq!(now["hits"][0]["category"], "rumour", "{now}");
        assert_eq!(
            check(&app, &institution, "散布谣言").await["clean"],
            true,
            "the old list is gone"
        );
        let bad = replace(
            &app,
            &province,
            "rumour",
            Some("\"v1\""),
            json!(["  ", "x"]),
        )
        .await;
        assert_problem(bad, 400, "validation_failed").await;
        let operator = app.token("platform_operator", None, None);
        assert_eq!(
            app.get("/api/v1/screening/lists/rumour", Some(&operator))
                .await
                .status(),
            200
        );
        assert_problem(
            replace(&app, &operator, "rumour", Some("\"v1\""), json!(["x"])).await,
            403,
            "role_not_allowed",
        )
        .await;
        assert_problem(
            app.get("/api/v1/screening/lists", Some(&institution)).await,
            403,
            "role_not_allowed",
        )
        .await;
        let learner = app.token("learner", None, None);
        let denied = app
            .post(
                "/api/v1/screening/checks",
                Some(&learner),
                &json!({"text": "x"}),
            )
            .await;
        assert_problem(denied, 403, "role_not_allowed").await;
        assert_problem(
            app.get("/api/v1/screening/lists/nothing", Some(&province))
                .await,
            404,
            "not_found",
        )
        .await;
    })
    .await;
}

/// A check on a new connection, so consecutive checks reach every worker of the server.
async fn check_anew(app: &TestApp, token: &str, text: &str) -> bool {
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/screening/checks"))
        .bearer_auth(token)
        .json(&json!({"text": text}))
        .send()
        .await
        .unwrap();
    res.json::<Value>().await.unwrap()["clean"]
        .as_bool()
        .unwrap()
}

#[tokio::test]
async fn a_replaced_list_is_in_force_on_another_server_within_a_second() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let a = spawn_with(test_settings(&db), |_| {}).await;
        let b = spawn_with(test_settings(&db), |_| {}).await;
        let province = a.token("province_admin", None, None);
        for _ in 0..6 {
            assert!(
                check_anew(&b, &province, "新词甲乙").await,
                "every worker of b holds the old list"
            );
        }
        let res = replace(
            &a,
            &province,
            "defamation",
            Some("\"v0\""),
            json!(["新词甲乙"]),
        )
        .await;
        assert_eq!(res.status(), 200);
        let mut clean = true;
        for _ in 0..60 {
            clean = check_anew(&b, &province, "这里有新词甲乙").await;
            if !clean {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(
            !clean,
            "{backend:?}: the other server screens with the new list"
        );
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        for _ in 0..6 {
            assert!(
                !check_anew(&b, &province, "这里有新词甲乙").await,
                "{backend:?}: on every worker"
            );
        }
        a.handle.stop(false).await;
        b.handle.stop(false).await;
        db.drop_db().await;
    }
}
