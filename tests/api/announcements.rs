//! Announcements: written in scope, screened before submission, approved by someone other than
//! the author, published for anyone, withdrawn with a reason.
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, each_backend, tokens};

fn as_whom(app: &TestApp, role: &str, city: Option<&str>, sub: &str) -> String {
    tokens::platform(&app.settings, role, city, None, sub)
}

async fn write(app: &TestApp, token: &str, city: Option<&str>, content: &str) -> reqwest::Response {
    app.post(
        "/api/v1/announcements",
        Some(token),
        &json!({"title": "关于开展安全生产培训专项检查的通知", "content": content, "city_code": city}),
    )
    .await
}

async fn move_to(
    app: &TestApp,
    token: &str,
    id: &str,
    status: &str,
    reason: Option<&str>,
) -> reqwest::Response {
    app.post(
        &format!("/api/v1/announcements/{id}/status"),
        Some(token),
        &json!({"status": status, "reason": reason}),
    )
    .await
}

#[tokio::test]
async fn an_announcement_is_approved_by_another_and_then_public() {
    let terms: Value =
        serde_json::from_str(include_str!("../../fixtures/screening_terms.json")).unwrap();
    let term = terms[0]["terms"][0].as_str().unwrap().to_owned();
    let term = &term;
    each_backend(|app| async move {
        let author = as_whom(&app, "city_admin", Some("440100"), "gz-author");
        let colleague = as_whom(&app, "city_admin", Some("440100"), "gz-reviewer");
        let shenzhen = as_whom(&app, "city_admin", Some("440300"), "sz-admin");
        let province = as_whom(&app, "province_admin", None, "gd-admin");
        let operator = as_whom(&app, "platform_operator", None, "op-1");

        // Scope: a city admin writes for its own city only; operators platform-wide.
        assert_problem(
            write(&app, &author, Some("440300"), "正文").await,
            403,
            "city_out_of_scope",
        )
        .await;
        assert_problem(
            write(&app, &author, None, "正文").await,
            403,
            "city_out_of_scope",
        )
        .await;
        assert_problem(
            write(&app, &operator, Some("440100"), "正文").await,
            400,
            "validation_failed",
        )
        .await;
        let learner = app.token("learner", None, None);
        assert_problem(
            write(&app, &learner, None, "正文").await,
            403,
            "role_not_allowed",
        )
        .await;

        // A listed term blocks the submission and changes nothing.
        let res = write(
            &app,
            &author,
            Some("440100"),
            &format!("本次检查涉及{term}。"),
        )
        .await;
        assert_eq!(
            res.status(),
            201,
            "{}",
            res.text().await.unwrap_or_default()
        );
        let blocked = res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let p = assert_problem(
            move_to(&app, &author, &blocked, "submitted", None).await,
            409,
            "screening_hit",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], "content");
        let still = app
            .get_json(&format!("/api/v1/announcements/{blocked}"), Some(&author))
            .await;
        assert_eq!(still["status"], "draft");
        assert_eq!(still["history"], json!([]));

        // Its author edits the draft (If-Match required, the place fixed) and the clean
        // text goes through; submitted, the text is kept as reviewed.
        let path = format!("/api/v1/announcements/{blocked}");
        let etag = |res: &reqwest::Response| res.headers()["etag"].to_str().unwrap().to_owned();
        let tag = etag(&app.get(&path, Some(&author)).await);
        let fixed = json!({"content": "本次检查涉及消防设施。"});
        assert_problem(
            app.patch(&path, Some(&author), None, &fixed).await,
            428,
            "if_match_required",
        )
        .await;
        assert_problem(
            app.patch(&path, Some(&colleague), Some(&tag), &fixed).await,
            403,
            "not_author",
        )
        .await;
        assert_problem(
            app.patch(
                &path,
                Some(&author),
                Some(&tag),
                &json!({"city_code": "440300"}),
            )
            .await,
            400,
            "validation_failed",
        )
        .await;
        let res = app.patch(&path, Some(&author), Some(&tag), &fixed).await;
        assert_eq!(res.status(), 200);
        let new_tag = etag(&res);
        assert_eq!((tag.as_str(), new_tag.as_str()), ("\"v1\"", "\"v2\""));
        let edited: Value = res.json().await.unwrap();
        assert_eq!(edited["content"], "本次检查涉及消防设施。");
        assert_eq!(edited["title"], still["title"]);
        assert_eq!(app.get_json(&path, Some(&author)).await, edited);
        assert_problem(
            app.patch(&path, Some(&author), Some(&tag), &fixed).await,
            412,
            "etag_mismatch",
        )
        .await;
        let res = move_to(&app, &author, &blocked, "submitted", None).await;
        assert_eq!(res.status(), 200);
        let tag = etag(&res);
        assert_problem(
            app.patch(&path, Some(&author), Some(&tag), &fixed).await,
            409,
            "announcement_not_editable",
        )
        .await;

        let id = write(
            &app,
            &author,
            Some("440100"),
            "请各培训机构于12月底前完成自查。",
        )
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_problem(
            move_to(&app, &colleague, &id, "submitted", None).await,
            403,
            "not_author",
        )
        .await;
        assert_eq!(
            move_to(&app, &author, &id, "submitted", None)
                .await
                .status(),
            200
        );
        // The author never approves its own; another city's admin does not see it.
        assert_problem(
            move_to(&app, &author, &id, "approved", None).await,
            403,
            "own_approval",
        )
        .await;
        assert_problem(
            move_to(&app, &shenzhen, &id, "approved", None).await,
            404,
            "not_found",
        )
        .await;
        assert_problem(
            move_to(&app, &colleague, &id, "returned", None).await,
            400,
            "validation_failed",
        )
        .await;
        let res = move_to(&app, &colleague, &id, "returned", Some("请注明检查依据")).await;
        assert_eq!(res.status(), 200);
        // Returned: its author edits it before submitting it again.
        let basis =
            json!({"content": "依据《安全生产培训管理办法》，请各培训机构于12月底前完成自查。"});
        let path = format!("/api/v1/announcements/{id}");
        let res = app
            .patch(&path, Some(&author), Some(&etag(&res)), &basis)
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap()["status"], "returned");
        assert_eq!(
            move_to(&app, &author, &id, "submitted", None)
                .await
                .status(),
            200
        );
        assert_problem(
            move_to(&app, &author, &id, "published", None).await,
            409,
            "illegal_transition",
        )
        .await;
        let approved: Value = move_to(&app, &province, &id, "approved", None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(approved["status"], "approved");
        assert_eq!(approved["published_at"], Value::Null, "not yet published");
        app.clock.freeze_at("2026-12-07T02:00:00Z".parse().unwrap());

        // Not public until published.
        let public = app
            .get_json("/api/v1/public/announcements?city=440100", None)
            .await;
        assert_eq!(public["items"], json!([]));
        let published: Value = move_to(&app, &author, &id, "published", None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(published["status"], "published");
        assert_eq!(published["published_at"], "2026-12-07T02:00:00Z");
        let moves: Vec<(&str, &str)> = published["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["to_status"].as_str().unwrap(),
                    h["actor_subject"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            moves,
            [
                ("submitted", "gz-author"),
                ("returned", "gz-reviewer"),
                ("submitted", "gz-author"),
                ("approved", "gd-admin"),
                ("published", "gz-author")
            ]
        );
        assert_eq!(published["history"][1]["reason"], "请注明检查依据");

        // A platform-wide one, approved by another operator, shows in every city.
        let other_operator = as_whom(&app, "platform_operator", None, "op-2");
        let wide = write(&app, &operator, None, "平台将于周六凌晨维护。")
            .await
            .json::<Value>()
            .await
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        move_to(&app, &operator, &wide, "submitted", None).await;
        assert_problem(
            move_to(&app, &province, &wide, "approved", None).await,
            404,
            "not_found",
        )
        .await;
        assert_eq!(
            move_to(&app, &other_operator, &wide, "approved", None)
                .await
                .status(),
            200
        );
        assert_eq!(
            move_to(&app, &operator, &wide, "published", None)
                .await
                .status(),
            200
        );
        let titles = |v: &Value| -> Vec<String> {
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_str().unwrap().to_owned())
                .collect()
        };
        let gz = app
            .get_json("/api/v1/public/announcements?city=440100", None)
            .await;
        assert_eq!(titles(&gz), [wide.clone(), id.clone()], "newest first");
        assert_eq!(gz["items"][1]["issued_by"], "city_admin");
        let sz = app
            .get_json("/api/v1/public/announcements?city=440300", None)
            .await;
        assert_eq!(titles(&sz), std::slice::from_ref(&wide));

        // Withdrawn with a reason: gone from the public list.
        assert_problem(
            move_to(&app, &colleague, &id, "withdrawn", None).await,
            400,
            "validation_failed",
        )
        .await;
        app.clock.advance(std::time::Duration::from_secs(3600));
        let withdrawn: Value = move_to(&app, &colleague, &id, "withdrawn", Some("通知内容有误"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(withdrawn["status"], "withdrawn");
        assert_eq!(
            withdrawn["published_at"], "2026-12-07T02:00:00Z",
            "when it was published stays"
        );
        let gz = app
            .get_json("/api/v1/public/announcements?city=440100", None)
            .await;
        assert_eq!(titles(&gz), [wide]);
        // Lists are scoped: Shenzhen's admin sees none of Guangzhou's.
        let listed = app.get_json("/api/v1/announcements", Some(&shenzhen)).await;
        assert_eq!(listed["items"], json!([]));
        let listed = app
            .get_json("/api/v1/announcements?status=withdrawn", Some(&province))
            .await;
        assert_eq!(titles(&listed), [id]);
        // A page shows each as it reads alone, with its own history.
        for (who, count) in [(&province, 2), (&operator, 1)] {
            let all = app.get_json("/api/v1/announcements", Some(who)).await;
            let items = all["items"].as_array().unwrap();
            assert_eq!(items.len(), count);
            for item in items {
                let path = format!("/api/v1/announcements/{}", item["id"].as_str().unwrap());
                assert_eq!(item, &app.get_json(&path, Some(who)).await);
            }
        }
    })
    .await;
}
