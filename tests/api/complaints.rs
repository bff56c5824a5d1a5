//! Complaints on the server's clock (set by the test): filed without an account and followed
//! with the tracking code, handled by the institution, escalated to the city bureau, reopened
//! once, on deadlines in Shanghai working time.
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::courses::filer;
use crate::helpers::{TestApp, assert_problem, each_backend};
use crate::learners::{create_learner, id_number, kept_texts, learner_body, sign_in};

/// A Shanghai wall-clock time.
fn sh(s: &str) -> DateTime<Utc> {
    let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .from_local_datetime(&naive)
        .unwrap()
        .with_timezone(&Utc)
}

fn at(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

fn body(target_type: &str, target: Option<&str>) -> Value {
    json!({"kind": "complaint", "target_type": target_type, "target_id": target,
        "title": "培训机构未按约定安排面授辅导", "content": "报名时承诺的辅导没有安排，请核实处理。",
        "contact_name": "李四", "contact_phone": "13800000001"})
}

/// A complaint about `institution` filed without an account: the filing's answer.
async fn file_about(app: &TestApp, institution: &str) -> Value {
    let res = app
        .post(
            "/api/v1/complaints",
            None,
            &body("institution", Some(institution)),
        )
        .await;
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    assert_eq!(status, 201, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn act(
    app: &TestApp,
    token: &str,
    id: &str,
    action: &str,
    message: Option<&str>,
) -> reqwest::Response {
    app.post(
        &format!("/api/v1/complaints/{id}/actions"),
        Some(token),
        &json!({"action": action, "message": message}),
    )
    .await
}

async fn track(app: &TestApp, number: &str, code: &str) -> reqwest::Response {
    app.post(
        "/api/v1/complaints/track",
        None,
        &json!({"number": number, "code": code}),
    )
    .await
}

async fn track_act(app: &TestApp, number: &str, code: &str, action: &str) -> reqwest::Response {
    app.post(
        "/api/v1/complaints/track/actions",
        None,
        &json!({"number": number, "code": code, "action": action, "message": "仍未解决"}),
    )
    .await
}

fn statuses(timeline: &Value) -> Vec<String> {
    timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_complaint_without_an_account_is_followed_by_its_code_and_handled_on_deadlines() {
    each_backend(|app| async move {
        let f = filer(&app, "440100", 1).await;
        let other = filer(&app, "440100", 2).await;
        // Friday 17:30: two service hours run into Monday; three working days end Wednesday.
        app.clock.freeze_at(sh("2026-12-04 17:30"));
        let filed = file_about(&app, &f.institution).await;
        let c = &filed["complaint"];
        let (id, number) = (
            c["id"].as_str().unwrap().to_owned(),
            c["number"].as_str().unwrap().to_owned(),
        );
        let code = filed["tracking_code"].as_str().unwrap().to_owned();
        assert_eq!(code.len(), 12);
        assert!(number.starts_with("TS20261204"), "{number}");
        assert_eq!(c["status"], "submitted");
        assert_eq!(at(&c["first_answer_due"]), sh("2026-12-07 10:30"));
        assert_eq!(at(&c["resolve_due"]), sh("2026-12-09 18:00"));
        assert_eq!(c["deadline_estimated"], false);
        assert_eq!(c["overdue"], false, "nothing is due yet");
        assert_eq!(c["institution_id"], f.institution.as_str());
        assert_eq!(c["by_learner"], false);
        // The code is kept only as a hash: never in the audit log or the change feed.
        let kept = kept_texts(&app).await;
        assert!(!kept.contains(&code), "the tracking code is kept in clear");
        assert!(!kept.contains("13800000001"), "the phone is kept in clear");

        // Following it: the right code shows it, a wrong one nothing.
        let res = track(&app, &number, &code).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap()["id"], id.as_str());
        assert_problem(track(&app, &number, "WRONGCODE234").await, 404, "not_found").await;
        // Files without an account: the number and code in headers, never in the URL; a
        // wrong code counts toward the same lock.
        let attach = |code: Option<&str>| {
            let mut req = app
                .request(
                    reqwest::Method::POST,
                    "/api/v1/complaints/track/attachments",
                    None,
                )
                .header("Content-Type", "image/png")
                .header("Tracking-Number", number.as_str());
            if let Some(code) = code {
                req = req.header("Tracking-Code", code);
            }
            req.body(crate::study::PNG.to_vec()).send()
        };
        let p = assert_problem(attach(None).await.unwrap(), 400, "validation_failed").await;
        assert_eq!(p["errors"][0]["field"], "Tracking-Code");
        assert_problem(
            attach(Some("WRONGCODE234")).await.unwrap(),
            404,
            "not_found",
        )
        .await;
        let res = attach(Some(&code)).await.unwrap();
        assert_eq!(res.status(), 201);
        let file: Value = res.json().await.unwrap();
        assert_eq!(file["by"], "filer");
        let seen: Value = track(&app, &number, &code).await.json().await.unwrap();
        assert_eq!(seen["attachments"], json!([file]));
        let res = app
            .get(
                &format!(
                    "/api/v1/complaints/{id}/attachments/{}",
                    file["id"].as_str().unwrap()
                ),
                Some(&f.admin),
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.bytes().await.unwrap().as_ref(), crate::study::PNG);
        assert!(!kept_texts(&app).await.contains(&code));
        assert_problem(
            track(&app, "TS20261204NOSUCH", &code).await,
            404,
            "not_found",
        )
        .await;

        // Scope: the other institution does not see it; this one does, contact in full.
        let path = format!("/api/v1/complaints/{id}");
        assert_problem(app.get(&path, Some(&other.admin)).await, 404, "not_found").await;
        let seen = app.get_json(&path, Some(&f.admin)).await;
        assert_eq!(seen["contact_phone"], "13800000001");
        let listed = app.get_json("/api/v1/complaints", Some(&other.admin)).await;
        assert_eq!(listed["items"], json!([]));

        // Monday 10:30, the deadline itself: not yet overdue; 10:31: the first answer is.
        app.clock.freeze_at(sh("2026-12-07 10:30"));
        let due = app
            .get_json("/api/v1/complaints?overdue=false", Some(&f.admin))
            .await;
        assert_eq!(due["items"][0]["overdue"], false);
        app.clock.freeze_at(sh("2026-12-07 10:31"));
        let overdue = app
            .get_json("/api/v1/complaints?overdue=true", Some(&f.admin))
            .await;
        assert_eq!(overdue["items"].as_array().unwrap().len(), 1);
        assert_eq!(overdue["items"][0]["overdue"], true);
        // Counted for the regulators per institution, in their scope (the other institution
        // of the city has one just filed, not overdue).
        file_about(&app, &other.institution).await;
        let gz = app.token("city_admin", Some("440100"), None);
        let counts = app.get_json("/api/v1/reports/complaints", Some(&gz)).await;
        assert_eq!(
            counts,
            json!([
                {"city_code": "440100", "institution_id": f.institution, "open": 1, "overdue": 1},
                {"city_code": "440100", "institution_id": other.institution, "open": 1, "overdue": 0},
            ])
        );
        let sz = app.token("city_admin", Some("440300"), None);
        assert_eq!(app.get_json("/api/v1/reports/complaints", Some(&sz)).await, json!([]));
        // An internal note: the handlers see it, the filer does not, and it is no answer.
        let noted: Value = act(&app, &f.admin, &id, "note", Some("已联系授课老师"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(noted["first_answered_at"], Value::Null);
        assert_eq!(noted["overdue"], true);
        let res = act(&app, &f.admin, &id, "accept", None).await;
        assert_eq!(
            res.status(),
            200,
            "{}",
            res.text().await.unwrap_or_default()
        );
        let accepted: Value = res.json().await.unwrap();
        assert_eq!(at(&accepted["first_answered_at"]), sh("2026-12-07 10:31"));
        let overdue = app
            .get_json("/api/v1/complaints?overdue=true", Some(&f.admin))
            .await;
        assert_eq!(
            overdue["items"],
            json!([]),
            "answered first, resolution due Wednesday"
        );
        let not = app
            .get_json("/api/v1/complaints?overdue=false", Some(&f.admin))
            .await;
        assert_eq!(not["items"].as_array().unwrap().len(), 1);
        assert_eq!(not["items"][0]["overdue"], false, "open, but nothing is due");
        // Still open when the close of Wednesday's service has passed: overdue again.
        app.clock.freeze_at(sh("2026-12-09 18:00"));
        let not = app
            .get_json("/api/v1/complaints?overdue=false", Some(&f.admin))
            .await;
        assert_eq!(not["items"][0]["overdue"], false, "the deadline itself");
        app.clock.freeze_at(sh("2026-12-09 18:01"));
        let overdue = app
            .get_json("/api/v1/complaints?overdue=true", Some(&f.admin))
            .await;
        assert_eq!(overdue["items"][0]["overdue"], true, "not resolved in time");

        // Each side makes only its own moves; the status decides the rest.
        assert_problem(
            track_act(&app, &number, &code, "answer").await,
            403,
            "not_handler",
        )
        .await;
        assert_problem(
            act(&app, &f.admin, &id, "close", None).await,
            403,
            "not_handler",
        )
        .await;
        assert_problem(
            act(&app, &f.admin, &id, "accept", None).await,
            409,
            "illegal_transition",
        )
        .await;
        assert_problem(
            act(&app, &f.admin, &id, "answer", None).await,
            400,
            "validation_failed",
        )
        .await;
        assert_problem(
            act(&app, &other.admin, &id, "start", None).await,
            404,
            "not_found",
        )
        .await;
        let province = app.token("province_admin", None, None);
        assert_problem(
            act(&app, &province, &id, "start", None).await,
            403,
            "role_not_allowed",
        )
        .await;

        let answered: Value = act(
            &app,
            &f.admin,
            &id,
            "answer",
            Some("已于12月8日补排辅导课。"),
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(answered["status"], "answered");
        assert_eq!(
            statuses(&answered["timeline"]),
            ["note", "accept", "answer"]
        );
        assert_eq!(
            at(&answered["first_answered_at"]),
            sh("2026-12-07 10:31"),
            "the first answer stays the first"
        );
        // An answered complaint still takes the filer's files.
        assert_eq!(attach(Some(&code)).await.unwrap().status(), 201);
        let public: Value = track(&app, &number, &code).await.json().await.unwrap();
        assert_eq!(statuses(&public["timeline"]), ["accept", "answer"]);
        assert_eq!(public["timeline"][1]["message"], "已于12月8日补排辅导课。");

        // Reopened once by the filer, answered again, then closed; a second reopen is refused.
        let reopened: Value = track_act(&app, &number, &code, "reopen")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(reopened["status"], "in_progress");
        assert!(reopened["reopened_at"].is_string());
        assert_eq!(
            act(&app, &f.admin, &id, "answer", Some("已补课并致歉。"))
                .await
                .status(),
            200
        );
        assert_problem(
            track_act(&app, &number, &code, "reopen").await,
            409,
            "illegal_transition",
        )
        .await;
        let closed: Value = track_act(&app, &number, &code, "close")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(closed["status"], "closed");
        assert_problem(
            attach(Some(&code)).await.unwrap(),
            409,
            "illegal_transition",
        )
        .await;

        // Guessing codes locks the number (five wrong ones, the first two above), whatever
        // code comes next.
        for _ in 0..3 {
            assert_problem(track(&app, &number, "WRONGCODE234").await, 404, "not_found").await;
        }
        let res = track(&app, &number, &code).await;
        assert_eq!(res.status(), 429);
        assert_eq!(res.headers()["retry-after"], "900");
        // Locked for fifteen minutes to the second.
        app.clock.advance(Duration::from_secs(15 * 60 - 1));
        let res = track(&app, &number, &code).await;
        assert_eq!(res.status(), 429);
        assert_eq!(res.headers()["retry-after"], "1");
        app.clock.advance(Duration::from_secs(1));
        assert_eq!(track(&app, &number, &code).await.status(), 200);

        // Filed on the year's last Wednesday: the first answer falls in the calendar's year,
        // the resolution in the next, which it lacks: the deadlines are marked as estimated.
        app.clock.freeze_at(sh("2026-12-30 10:00"));
        let late = file_about(&app, &f.institution).await;
        assert_eq!(at(&late["complaint"]["first_answer_due"]), sh("2026-12-30 12:00"));
        assert_eq!(late["complaint"]["deadline_estimated"], true);
    })
    .await;
}

#[tokio::test]
async fn an_escalated_complaint_goes_to_the_city_bureau_and_hits_are_kept_for_the_handlers() {
    let terms: Value =
        serde_json::from_str(include_str!("../../fixtures/screening_terms.json")).unwrap();
    let term = terms[0]["terms"][0].as_str().unwrap().to_owned();
    let term = &term;
    let two = |s: &mut safetrain::config::Settings| s.complaints.max_attachments = 2;
    crate::helpers::each_backend_with(two, |app| async move {
        let f = filer(&app, "440100", 1).await;
        let learner = create_learner(
            &app,
            &f.admin,
            &learner_body(&f.institution, &id_number(1), "13900000001"),
        )
        .await;
        let token = sign_in(&app, "13900000001", "Anquan2026").await["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        // Before National Day: the first answer after it, the third working day is the
        // Saturday worked in exchange.
        app.clock.freeze_at(sh("2026-09-30 17:00"));
        let mut b = body("institution", Some(&f.institution));
        b["content"] = json!(format!("老师上课时说{term}，请处理。"));
        let res = app.post("/api/v1/complaints", Some(&token), &b).await;
        assert_eq!(
            res.status(),
            201,
            "{}",
            res.text().await.unwrap_or_default()
        );
        let filed: Value = res.json().await.unwrap();
        assert!(
            filed["tracking_code"].is_null(),
            "a learner follows it signed in"
        );
        let c = &filed["complaint"];
        let id = c["id"].as_str().unwrap().to_owned();
        assert_eq!(at(&c["first_answer_due"]), sh("2026-10-08 10:00"));
        assert_eq!(at(&c["resolve_due"]), sh("2026-10-10 18:00"));
        assert_eq!(
            c["screening_hits"],
            json!([]),
            "the filer is not shown the hits"
        );
        let staff = app
            .get_json(&format!("/api/v1/complaints/{id}"), Some(&f.admin))
            .await;
        assert_eq!(staff["screening_hits"][0]["field"], "content");
        let mine = app.get_json("/api/v1/complaints", Some(&token)).await;
        assert_eq!(mine["items"][0]["id"], id.as_str());

        // Files: checked by content, kept encrypted, read by the handlers; two at most here.
        let attach = |token: String, media: &'static str, bytes: Vec<u8>| {
            let app = &app;
            let id = id.clone();
            async move {
                app.request(
                    reqwest::Method::POST,
                    &format!("/api/v1/complaints/{id}/attachments"),
                    Some(&token),
                )
                .header("Content-Type", media)
                .body(bytes)
                .send()
                .await
                .unwrap()
            }
        };
        let png = crate::study::PNG.to_vec();
        let pdf = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".to_vec();
        let photo: Value = attach(token.clone(), "image/png", png.clone())
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(photo["media_type"], "image/png");
        assert_eq!(photo["by"], "filer");
        assert_problem(
            attach(token.clone(), "image/png", pdf.clone()).await,
            422,
            "file_rejected",
        )
        .await;
        assert_problem(
            attach(token.clone(), "application/pdf", b"%PDF-1.4 cut".to_vec()).await,
            422,
            "file_rejected",
        )
        .await;
        assert_problem(
            attach(
                token.clone(),
                "application/pdf",
                b"plain text\n%%EOF\n".to_vec(),
            )
            .await,
            422,
            "file_rejected",
        )
        .await;
        assert_problem(
            attach(token.clone(), "text/plain", b"x".to_vec()).await,
            415,
            "unsupported_media_type",
        )
        .await;
        assert_eq!(
            attach(f.admin.clone(), "application/pdf", pdf.clone())
                .await
                .status(),
            201
        );
        assert_problem(
            attach(token.clone(), "image/png", png.clone()).await,
            409,
            "too_many_attachments",
        )
        .await;
        let file_path = format!(
            "/api/v1/complaints/{id}/attachments/{}",
            photo["id"].as_str().unwrap()
        );
        let res = app.get(&file_path, Some(&f.admin)).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["cache-control"], "no-store");
        assert_eq!(res.bytes().await.unwrap().as_ref(), png.as_slice());
        let stranger = filer(&app, "440100", 2).await;
        assert_problem(
            app.get(&file_path, Some(&stranger.admin)).await,
            404,
            "not_found",
        )
        .await;
        let listed = app
            .get_json(&format!("/api/v1/complaints/{id}"), Some(&token))
            .await;
        let bys: Vec<&str> = listed["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["by"].as_str().unwrap())
            .collect();
        assert_eq!(bys, ["filer", "staff"]);

        // The city bureau reads it but handles it only once escalated.
        let bureau = app.token("city_admin", Some("440100"), None);
        assert_eq!(
            app.get(&format!("/api/v1/complaints/{id}"), Some(&bureau))
                .await
                .status(),
            200
        );
        assert_problem(
            act(&app, &bureau, &id, "accept", None).await,
            403,
            "not_handler",
        )
        .await;
        // Escalated with a reason; from then on the city bureau handles it, not the
        // institution, and another city's bureau does not see it.
        assert_problem(
            act(&app, &f.admin, &id, "escalate", None).await,
            400,
            "validation_failed",
        )
        .await;
        let res = act(
            &app,
            &f.admin,
            &id,
            "escalate",
            Some("涉及授课内容，请主管部门处理"),
        )
        .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap()["status"], "escalated");
        assert_problem(
            act(&app, &f.admin, &id, "accept", None).await,
            403,
            "not_handler",
        )
        .await;
        let shenzhen = app.token("city_admin", Some("440300"), None);
        assert_problem(
            act(&app, &shenzhen, &id, "accept", None).await,
            404,
            "not_found",
        )
        .await;
        let guangzhou = app.token("city_admin", Some("440100"), None);
        assert_eq!(
            act(&app, &guangzhou, &id, "accept", None).await.status(),
            200
        );
        assert_problem(
            act(&app, &guangzhou, &id, "escalate", Some("再次")).await,
            409,
            "illegal_transition",
        )
        .await;
        let done: Value = act(
            &app,
            &guangzhou,
            &id,
            "answer",
            Some("已约谈培训机构并责令整改。"),
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(done["status"], "answered");
        // The learner closes it; its view has the public steps only.
        app.clock.advance(Duration::from_secs(3600));
        let closed: Value = act(&app, &token, &id, "close", None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            statuses(&closed["timeline"]),
            ["escalate", "accept", "answer", "close"]
        );
        assert_eq!(closed["timeline"][3]["by"], "filer");
        assert_eq!(closed["timeline"][3]["role"], Value::Null);
        assert_eq!(closed["timeline"][0]["role"], "institution_admin");
        assert_eq!(
            closed["timeline"][0]["subject"],
            Value::Null,
            "the filer is not told which handler"
        );
        let handled = app
            .get_json(&format!("/api/v1/complaints/{id}"), Some(&guangzhou))
            .await;
        let who: Vec<(&str, &Value)> = handled["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["action"].as_str().unwrap(), &s["subject"]))
            .collect();
        assert_eq!(
            who,
            [
                (
                    "escalate",
                    &json!(format!("institution_admin-{}", f.institution))
                ),
                ("accept", &json!("city_admin-440100")),
                ("answer", &json!("city_admin-440100")),
                ("close", &Value::Null),
            ]
        );
        // Every step is a new version of the row, stamped with its time.
        let row = safetrain::complaints::entity::complaint::Entity::find_by_id(
            id.parse::<uuid::Uuid>().unwrap(),
        )
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
        assert_eq!(row.version, 5, "filed, then four steps");
        assert_eq!(at(&closed["updated_at"]), row.updated_at);
        assert!(row.updated_at > row.created_at);

        // An appeal is a signed-in learner's, about its own session or certificate.
        let mut appeal = body("study_session", Some(&uuid::Uuid::now_v7().to_string()));
        appeal["kind"] = json!("appeal");
        let p = assert_problem(
            app.post("/api/v1/complaints", None, &appeal).await,
            400,
            "validation_failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], "kind");
        let p = assert_problem(
            app.post("/api/v1/complaints", Some(&token), &appeal).await,
            400,
            "validation_failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], "target_id", "not its session");
        // No way to answer: refused; another role than a learner: 403.
        let mut silent = body("platform", None);
        silent["contact_phone"] = Value::Null;
        let p = assert_problem(
            app.post("/api/v1/complaints", None, &silent).await,
            400,
            "validation_failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], "contact_phone");
        assert_problem(
            app.post(
                "/api/v1/complaints",
                Some(&f.admin),
                &body("platform", None),
            )
            .await,
            403,
            "role_not_allowed",
        )
        .await;
        // The platform itself: its desk answers, there is no city to escalate to.
        let res = app
            .post("/api/v1/complaints", Some(&token), &body("platform", None))
            .await;
        let platform_id = res.json::<Value>().await.unwrap()["complaint"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let desk = app.token("platform_operator", None, None);
        assert_problem(
            act(&app, &desk, &platform_id, "escalate", Some("转交")).await,
            409,
            "illegal_transition",
        )
        .await;
        assert_eq!(
            act(&app, &desk, &platform_id, "accept", None)
                .await
                .status(),
            200
        );
        // A page shows each complaint as it reads alone: its own steps and files, the
        // handlers' view to the desk, the public one to the filer.
        for who in [&desk, &token] {
            let listed = app.get_json("/api/v1/complaints", Some(who)).await;
            let items = listed["items"].as_array().unwrap();
            assert_eq!(items.len(), 2);
            for item in items {
                let path = format!("/api/v1/complaints/{}", item["id"].as_str().unwrap());
                assert_eq!(item, &app.get_json(&path, Some(who)).await);
            }
        }
        let _ = learner;
    })
    .await;
}

#[tokio::test]
async fn an_upheld_appeal_about_a_session_is_credited_back_by_the_city_bureau_through_the_ledger() {
    use crate::study::{PNG, after, credited, face_check, open, study_settings, studying};
    crate::helpers::each_backend_with(study_settings, |app| async move {
        let s = studying(&app).await;
        let session = open(&app, &s).await["id"].as_str().unwrap().to_owned();
        assert_eq!(
            face_check(&app, &s.learner, &session, PNG).await.status(),
            201
        );
        after(&app, &s.learner, &session, 30, 30).await;
        assert_eq!(credited(&app, &s).await, 30);
        let mut appeal = body("study_session", Some(&session));
        appeal["kind"] = json!("appeal");
        appeal["content"] = json!("网络中断导致人脸核验超时，申请恢复学时。");
        let res = app
            .post("/api/v1/complaints", Some(&s.learner), &appeal)
            .await;
        assert_eq!(
            res.status(),
            201,
            "{}",
            res.text().await.unwrap_or_default()
        );
        let filed: Value = res.json().await.unwrap();
        let (id, number) = (
            filed["complaint"]["id"].as_str().unwrap().to_owned(),
            filed["complaint"]["number"].as_str().unwrap().to_owned(),
        );
        assert_eq!(
            filed["complaint"]["related"],
            json!([]),
            "the filer is not shown the links"
        );

        // The institution's reviewer follows the links to the session's captures.
        let seen = app
            .get_json(&format!("/api/v1/complaints/{id}"), Some(&s.f.admin))
            .await;
        let rels: Vec<&str> = seen["related"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["rel"].as_str().unwrap())
            .collect();
        assert_eq!(rels, ["study_session", "face_checks", "ledger"]);
        let listed = app.get_json("/api/v1/complaints", Some(&s.f.admin)).await;
        assert_eq!(listed["items"], json!([seen]), "a page shows the links too");
        let checks = app
            .get_json(
                seen["related"][1]["href"].as_str().unwrap(),
                Some(&s.f.admin),
            )
            .await;
        assert_eq!(checks["items"].as_array().unwrap().len(), 1);
        assert_eq!(checks["items"][0]["session_id"], session.as_str());

        // The institution does not credit its own learner: nothing is written.
        let upheld = json!({"action": "answer", "message": "申诉成立", "correction_seconds": 60});
        let path = format!("/api/v1/complaints/{id}/actions");
        assert_eq!(
            act(&app, &s.f.admin, &id, "accept", None).await.status(),
            200
        );
        let p = assert_problem(
            app.post(&path, Some(&s.f.admin), &upheld).await,
            403,
            "not_handler",
        )
        .await;
        assert!(p["detail"].as_str().unwrap().contains("city bureau"));
        assert_eq!(credited(&app, &s).await, 30);
        assert_eq!(
            act(
                &app,
                &s.f.admin,
                &id,
                "escalate",
                Some("申诉涉及学时，请主管部门核定")
            )
            .await
            .status(),
            200
        );
        let bureau = app.token("city_admin", Some("440100"), None);
        assert_eq!(act(&app, &bureau, &id, "accept", None).await.status(), 200);
        let mut zero = upheld.clone();
        zero["correction_seconds"] = json!(0);
        assert_problem(
            app.post(&path, Some(&bureau), &zero).await,
            400,
            "validation_failed",
        )
        .await;
        let mut huge = upheld.clone();
        huge["correction_seconds"] = json!(100_000);
        let p = assert_problem(
            app.post(&path, Some(&bureau), &huge).await,
            400,
            "validation_failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], "correction_seconds");
        let res = app.post(&path, Some(&bureau), &upheld).await;
        assert_eq!(
            res.status(),
            200,
            "{}",
            res.text().await.unwrap_or_default()
        );
        assert_eq!(res.json::<Value>().await.unwrap()["status"], "answered");
        assert_eq!(credited(&app, &s).await, 90);
        let ledger = app
            .get_json(
                &format!("/api/v1/enrolments/{}/ledger", s.enrolment),
                Some(&bureau),
            )
            .await;
        let correction = ledger["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "correction")
            .cloned()
            .unwrap();
        assert_eq!(correction["seconds"], 60);
        assert_eq!(correction["note"], number.as_str());
        assert_eq!(correction["actor_subject"], "city_admin-440100");
        assert_eq!(correction["session_id"], session.as_str());
    })
    .await;
}

#[tokio::test]
async fn a_resolution_is_stamped_and_a_reopening_near_the_year_end_is_due_in_estimated_time() {
    each_backend(|app| async move {
        let f = filer(&app, "440100", 1).await;
        let file = || async {
            let filed = file_about(&app, &f.institution).await;
            (
                filed["complaint"]["id"].as_str().unwrap().to_owned(),
                filed["complaint"]["number"].as_str().unwrap().to_owned(),
                filed["tracking_code"].as_str().unwrap().to_owned(),
            )
        };
        // Rejected as out of scope: resolved then.
        app.clock.freeze_at(sh("2026-12-21 10:00"));
        let (out, _, _) = file().await;
        app.clock.freeze_at(sh("2026-12-21 11:00"));
        let rejected: Value = act(&app, &f.admin, &out, "reject", Some("不属于本机构"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(rejected["status"], "rejected");
        assert_eq!(at(&rejected["resolved_at"]), sh("2026-12-21 11:00"));

        // Answered on Tuesday, reopened the next Wednesday: resolved, then open again with
        // three working days from the reopening, which run into 2027 (not in the calendar).
        let (id, number, code) = file().await;
        assert_eq!(
            at(&act_json(&app, &f.admin, &id, "accept").await["resolve_due"]),
            sh("2026-12-24 18:00")
        );
        app.clock.freeze_at(sh("2026-12-22 15:00"));
        let answered: Value = act(&app, &f.admin, &id, "answer", Some("已处理"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(at(&answered["resolved_at"]), sh("2026-12-22 15:00"));
        assert_eq!(answered["deadline_estimated"], false);
        app.clock.freeze_at(sh("2026-12-30 09:30"));
        let reopened: Value = track_act(&app, &number, &code, "reopen")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(reopened["status"], "in_progress");
        assert_eq!(reopened["resolved_at"], Value::Null);
        assert_eq!(reopened["deadline_estimated"], true);
        assert!(at(&reopened["resolve_due"]) > sh("2027-01-01 00:00"));
    })
    .await;
}

async fn act_json(app: &TestApp, token: &str, id: &str, action: &str) -> Value {
    let res = act(app, token, id, action, None).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}
