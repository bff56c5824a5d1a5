//! Study sessions on the server's clock (advanced by the test): heartbeats earn only what the
//! rules allow, one device at a time, a missed face check voids, the daily cap turns at
//! Shanghai midnight; every second is in the ledger with its reason.
use std::time::Duration;

use reqwest::Method;
use safetrain::enrolments::entity::ledger;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::courses::{Filer, approve_and_publish, course_body, filer, move_to, upload};
use crate::helpers::{TestApp, assert_problem, each_backend_with, tool};
use crate::learners::{create_learner, id_number, learner_body, sign_in};

const LONG: &[u8] = include_bytes!("fixtures/lecture-20min.mp4");
pub const PNG: &[u8] = include_bytes!("fixtures/teacher.png");

/// Settings for study tests: a 20-minute test video (black, silent: its bitrate is tiny) and
/// programmes of 0.4 学时.
pub fn study_settings(s: &mut safetrain::config::Settings) {
    s.courses.video.min_bitrate_kbps = 1;
    crate::enrolments::small_programmes(s, "0.4");
}

pub struct Studying {
    pub f: Filer,
    pub learner: String,
    pub learner_id: String,
    pub enrolment: String,
    pub courseware: String,
}

/// A learner (signed in, consent given) enrolled in a published course of one 20-minute video.
pub async fn studying(app: &TestApp) -> Studying {
    studying_with(app, None).await
}

/// Like [`studying`], the course also holding `quiz` (a quiz file) when given.
pub async fn studying_with(app: &TestApp, quiz: Option<&Value>) -> Studying {
    let f = filer(app, "440100", 1).await;
    let mut body = course_body(&f, "低压电工作业（长）");
    body["hours"] = json!("0.4");
    let res = app.post("/api/v1/courses", Some(&f.admin), &body).await;
    assert_eq!(res.status(), 201);
    let course = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let courseware = add_piece(app, &f, &course, "video", "video/mp4", LONG.to_vec()).await;
    if let Some(quiz) = quiz {
        let quiz = serde_json::to_vec(quiz).unwrap();
        add_piece(app, &f, &course, "quiz", "application/json", quiz).await;
    }
    assert_eq!(
        move_to(app, &f.admin, &course, "submitted").await.status(),
        200
    );
    approve_and_publish(app, &f, &course).await;
    let learner = create_learner(
        app,
        &f.admin,
        &learner_body(&f.institution, &id_number(1), "13900000001"),
    )
    .await;
    let learner_id = learner["id"].as_str().unwrap().to_owned();
    let enrolment = crate::enrolments::enrol(app, &f.admin, &learner_id, &course).await;
    let session = sign_in(app, "13900000001", "Anquan2026").await;
    let token = session["access_token"].as_str().unwrap().to_owned();
    let res = app
        .post(
            &format!("/api/v1/learners/{learner_id}/consents"),
            Some(&token),
            &json!({"purpose": "face_processing", "text_version": "2026-11", "decision": "granted"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    Studying {
        f,
        learner: token,
        learner_id,
        enrolment,
        courseware,
    }
}

/// Adds a piece of `kind` to a course's draft and uploads its file; answers its id.
async fn add_piece(
    app: &TestApp,
    f: &Filer,
    course: &str,
    kind: &str,
    media_type: &str,
    file: Vec<u8>,
) -> String {
    let res = app
        .post(
            &format!("/api/v1/courses/{course}/courseware"),
            Some(&f.admin),
            &json!({"title": format!("{kind}（一）"), "kind": kind, "position": 1.0}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = upload(app, &f.admin, &id, media_type, file).await;
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    id
}

pub async fn open(app: &TestApp, s: &Studying) -> Value {
    let res = app
        .post(
            "/api/v1/study-sessions",
            Some(&s.learner),
            &json!({"enrolment_id": s.enrolment, "courseware_id": s.courseware}),
        )
        .await;
    assert_eq!(
        res.status(),
        201,
        "{}",
        res.text().await.unwrap_or_default()
    );
    res.json().await.unwrap()
}

pub async fn face_check(
    app: &TestApp,
    token: &str,
    session: &str,
    bytes: &[u8],
) -> reqwest::Response {
    app.request(
        Method::POST,
        &format!("/api/v1/study-sessions/{session}/face-checks"),
        Some(token),
    )
    .header("Content-Type", "image/png")
    .body(bytes.to_vec())
    .send()
    .await
    .unwrap()
}

pub async fn beat(
    app: &TestApp,
    token: &str,
    session: &str,
    position: u32,
    playing: bool,
) -> reqwest::Response {
    app.post(
        &format!("/api/v1/study-sessions/{session}/heartbeats"),
        Some(token),
        &json!({"position_seconds": position, "playing": playing}),
    )
    .await
}

/// Advances the clock by `secs` and sends a playing heartbeat at `position`; answers the JSON.
pub async fn after(app: &TestApp, token: &str, session: &str, secs: u64, position: u32) -> Value {
    app.clock.advance(Duration::from_secs(secs));
    let res = beat(app, token, session, position, true).await;
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    res.json().await.unwrap()
}

fn refused(answer: &Value) -> (i64, Option<&str>) {
    (
        answer["credited_seconds"].as_i64().unwrap(),
        answer["refused"]["reason"].as_str(),
    )
}

async fn entries(app: &TestApp, enrolment: &str) -> Vec<ledger::Model> {
    ledger::Entity::find()
        .filter(ledger::Column::EnrolmentId.eq(enrolment.parse::<uuid::Uuid>().unwrap()))
        .order_by_asc(ledger::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

pub async fn credited(app: &TestApp, s: &Studying) -> i64 {
    app.get_json(
        &format!("/api/v1/enrolments/{}", s.enrolment),
        Some(&s.learner),
    )
    .await["credited_seconds"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn heartbeats_earn_only_new_content_at_wall_time_and_idling_pauses() {
    each_backend_with(study_settings, |app| async move {
        let s = studying(&app).await;
        let session = open(&app, &s).await;
        let id = session["id"].as_str().unwrap().to_owned();
        assert!(
            session["face_check_due_by"].is_string(),
            "a face check at the start"
        );
        assert_eq!(session["heartbeat_secs"], 30);
        let res = face_check(&app, &s.learner, &id, PNG).await;
        assert_eq!(
            res.status(),
            201,
            "{}",
            res.text().await.unwrap_or_default()
        );
        let check: Value = res.json().await.unwrap();
        assert_eq!(check["result"], "pending_review");
        assert!(check["session"]["face_check_due_by"].is_null());

        let t = &s.learner;
        assert_eq!(refused(&after(&app, t, &id, 30, 30).await), (30, None));
        // Fast-forward: the position ran ahead of wall time; nothing earns, the position stays.
        let ff = after(&app, t, &id, 30, 200).await;
        assert_eq!(refused(&ff), (0, Some("fast_forward")));
        assert_eq!(ff["session"]["position_seconds"], 30);
        assert_eq!(refused(&after(&app, t, &id, 30, 60).await), (30, None));
        // Seeking back is free and earns nothing until the frontier is passed again.
        assert_eq!(
            refused(&after(&app, t, &id, 30, 40).await),
            (0, Some("repeat"))
        );
        assert_eq!(
            refused(&after(&app, t, &id, 30, 70).await),
            (10, Some("repeat"))
        );
        // A paused player earns nothing and nothing is refused.
        app.clock.advance(Duration::from_secs(30));
        let res = beat(&app, t, &id, 70, false).await;
        assert_eq!(refused(&res.json::<Value>().await.unwrap()), (0, None));
        // An idle gap: nothing earns, the session pauses until a face check passes.
        let idle = after(&app, t, &id, 301, 100).await;
        assert_eq!(refused(&idle), (0, Some("idle")));
        assert_eq!(idle["session"]["status"], "paused");
        assert_eq!(refused(&after(&app, t, &id, 30, 130).await), (0, None));
        let resumed: Value = face_check(&app, t, &id, PNG).await.json().await.unwrap();
        assert_eq!(resumed["session"]["status"], "open");
        assert_eq!(
            refused(&after(&app, t, &id, 30, 100).await),
            (30, None),
            "from the frontier (70) on"
        );

        assert_eq!(credited(&app, &s).await, 100);
        let kept = entries(&app, &s.enrolment).await;
        let sum = |kind: &str| {
            kept.iter()
                .filter(|e| e.kind == kind)
                .map(|e| i64::from(e.seconds))
                .sum::<i64>()
        };
        assert_eq!(sum("credit"), 100);
        let reasons: Vec<&str> = kept
            .iter()
            .filter(|e| e.kind == "refused")
            .filter_map(|e| e.reason.as_deref())
            .collect();
        assert_eq!(reasons, ["fast_forward", "repeat", "repeat", "idle"]);
        let positions: Vec<(Option<i32>, Option<i32>)> = kept
            .iter()
            .filter(|e| e.kind == "credit")
            .map(|e| (e.from_position, e.to_position))
            .collect();
        assert_eq!(
            positions,
            [
                (Some(0), Some(30)),
                (Some(30), Some(60)),
                (Some(60), Some(70)),
                (Some(70), Some(100))
            ]
        );

        // The ledger: totals, per courseware and day, the entries in order.
        let ledger = app.get_json(&format!("/api/v1/enrolments/{}/ledger?limit=3", s.enrolment), Some(t)).await;
        assert_eq!(ledger["totals"]["credited_seconds"], 100);
        assert_eq!(ledger["totals"]["refused_seconds"], 30 + 30 + 20 + 301);
        assert_eq!(ledger["by_courseware"][0]["courseware_id"], s.courseware.as_str());
        assert_eq!(ledger["by_day"].as_array().unwrap().iter().map(|d| d["credited_seconds"].as_i64().unwrap()).sum::<i64>(), 100);
        assert_eq!(ledger["entries"].as_array().unwrap().len(), 3);
        assert!(ledger["next_cursor"].is_string());
        // A regulator's correction is a new entry; the learner cannot make one.
        let course = app.get_json(&format!("/api/v1/enrolments/{}", s.enrolment), Some(t)).await["courses"][0]["course_id"].clone();
        let correction = json!({"course_id": course, "courseware_id": s.courseware, "seconds": 50, "reason": "申诉成立", "approval": "SS-2026-001"});
        let path = format!("/api/v1/enrolments/{}/corrections", s.enrolment);
        assert_problem(app.post(&path, Some(t), &correction).await, 403, "role_not_allowed").await;
        assert_problem(app.post(&path, Some(&app.token("city_admin", Some("440300"), None)), &correction).await, 404, "not_found").await;
        let res = app.post(&path, Some(&app.token("city_admin", Some("440100"), None)), &correction).await;
        assert_eq!(res.status(), 201);
        let entry: Value = res.json().await.unwrap();
        assert_eq!((entry["kind"].as_str(), entry["note"].as_str(), entry["actor_subject"].as_str()), (Some("correction"), Some("SS-2026-001"), Some("city_admin-440100")));
        assert_eq!(credited(&app, &s).await, 150);
        assert_eq!(entries(&app, &s.enrolment).await.iter().filter(|e| e.kind == "credit").count(), 4, "the credits are untouched");

        // Ended: a heartbeat is refused and changes nothing.
        let res = app
            .post(
                &format!("/api/v1/study-sessions/{id}/end"),
                Some(t),
                &json!({}),
            )
            .await;
        assert_eq!(res.status(), 200);
        app.clock.advance(Duration::from_secs(30));
        assert_problem(beat(&app, t, &id, 130, true).await, 409, "session_ended").await;
        assert_eq!(credited(&app, &s).await, 150);
        // The record, for the institution; not for another institution.
        let record = app
            .get_json(&format!("/api/v1/study-sessions/{id}"), Some(&s.f.admin))
            .await;
        assert_eq!(
            (record["status"].as_str(), record["end_reason"].as_str()),
            (Some("ended"), Some("ended_by_learner"))
        );
        assert_eq!(record["credited_seconds"], 100, "the session's own credit");
        let other = filer(&app, "440300", 2).await;
        assert_problem(
            app.get(&format!("/api/v1/study-sessions/{id}"), Some(&other.admin))
                .await,
            404,
            "not_found",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn a_second_device_ends_the_first_and_a_missed_face_check_voids_since_the_last_good_one() {
    each_backend_with(
        |s| {
            study_settings(s);
            s.study.face_check_min_secs = 60;
            s.study.face_check_max_secs = 60;
        },
        |app| async move {
            let s = studying(&app).await;
            let t = s.learner.clone();
            let first = open(&app, &s).await["id"].as_str().unwrap().to_owned();
            face_check(&app, &t, &first, PNG).await;
            assert_eq!(refused(&after(&app, &t, &first, 30, 30).await), (30, None));
            // Another device opens a session: the first ends.
            let second = open(&app, &s).await["id"].as_str().unwrap().to_owned();
            assert_problem(beat(&app, &t, &first, 60, true).await, 409, "session_ended").await;
            let record = app
                .get_json(&format!("/api/v1/study-sessions/{first}"), Some(&t))
                .await;
            assert_eq!(record["end_reason"], "replaced");
            // A capture that is not an image is refused, and the check stays due.
            assert_problem(
                face_check(&app, &t, &second, b"not an image").await,
                422,
                "file_rejected",
            )
            .await;
            face_check(&app, &t, &second, PNG).await;
            assert_eq!(refused(&after(&app, &t, &second, 30, 60).await), (30, None));
            let due = after(&app, &t, &second, 30, 90).await;
            assert_eq!(refused(&due), (30, None));
            assert!(
                due["session"]["face_check_due_by"].is_string(),
                "due 60 s after the last good check"
            );
            assert_eq!(
                refused(&after(&app, &t, &second, 30, 120).await),
                (30, None)
            );
            assert_eq!(
                refused(&after(&app, &t, &second, 30, 150).await),
                (30, None),
                "60 s to answer"
            );
            // Missed: the time since the last good check is voided and the session pauses.
            let missed = after(&app, &t, &second, 30, 180).await;
            assert_eq!(refused(&missed), (0, Some("identity_failed")));
            assert_eq!(missed["voided_seconds"], 120);
            assert_eq!(missed["session"]["status"], "paused");
            assert_eq!(
                missed["session"]["credited_seconds"], 0,
                "what it earned is voided"
            );
            assert_eq!(session_row(&app, &second).await.failed_checks, 1);
            assert_eq!(credited(&app, &s).await, 30);
            let kept = entries(&app, &s.enrolment).await;
            let voids: Vec<i32> = kept
                .iter()
                .filter(|e| e.kind == "void")
                .map(|e| e.seconds)
                .collect();
            assert_eq!(
                voids,
                [-120],
                "a compensating entry; the credits stay in the ledger"
            );
            assert_eq!(kept.iter().filter(|e| e.kind == "credit").count(), 5);
            assert!(
                kept.iter().all(|e| e.seconds != 0),
                "no entry of nothing (nothing held, so no held time voided)"
            );
        },
    )
    .await;
}

async fn session_row(app: &TestApp, id: &str) -> safetrain::study::entity::session::Model {
    safetrain::study::entity::session::Entity::find_by_id(id.parse::<uuid::Uuid>().unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

/// Answers a face check (kept for review by the `manual` verifier) and its id.
async fn pending_check(app: &TestApp, token: &str, session: &str) -> String {
    let res = face_check(app, token, session, PNG).await;
    assert_eq!(res.status(), 201);
    let check: Value = res.json().await.unwrap();
    assert_eq!(check["result"], "pending_review");
    check["id"].as_str().unwrap().to_owned()
}

async fn verdict(app: &TestApp, token: &str, check: &str, verdict: &str) -> reqwest::Response {
    app.post(
        &format!("/api/v1/face-checks/{check}/verdict"),
        Some(token),
        &json!({"verdict": verdict, "reason": "对照人像照片核验"}),
    )
    .await
}

#[tokio::test]
async fn a_reviewer_decides_kept_captures_and_a_rejected_one_voids_what_it_vouched_for_once() {
    each_backend_with(study_settings, |app| async move {
        let s = studying(&app).await;
        let t = s.learner.clone();
        let admin = s.f.admin.clone();
        let id = open(&app, &s).await["id"].as_str().unwrap().to_owned();
        let first = pending_check(&app, &t, &id).await;
        assert_eq!(refused(&after(&app, &t, &id, 30, 30).await), (30, None));
        assert_eq!(refused(&after(&app, &t, &id, 30, 60).await), (30, None));
        let second = pending_check(&app, &t, &id).await;
        assert_eq!(refused(&after(&app, &t, &id, 30, 90).await), (30, None));
        let third = pending_check(&app, &t, &id).await;
        assert_eq!(credited(&app, &s).await, 90);

        // The reviewers' queue, in the institution's scope only.
        let queue = app
            .get_json("/api/v1/face-checks?result=pending_review", Some(&admin))
            .await;
        let ids: Vec<&str> = queue["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [first.as_str(), second.as_str(), third.as_str()]);
        let other = crate::courses::filer(&app, "440100", 2).await;
        let theirs = app
            .get_json(
                "/api/v1/face-checks?result=pending_review",
                Some(&other.admin),
            )
            .await;
        assert_eq!(theirs["items"], json!([]));
        // The capture, decrypted, for the learner's institution only, never cached.
        let res = app
            .get(
                &format!("/api/v1/face-checks/{first}/capture"),
                Some(&admin),
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "image/png");
        assert_eq!(res.headers()["cache-control"], "no-store");
        assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);
        let path = format!("/api/v1/face-checks/{first}/capture");
        assert_problem(app.get(&path, Some(&other.admin)).await, 404, "not_found").await;
        assert_problem(app.get(&path, Some(&t)).await, 403, "role_not_allowed").await;
        assert_problem(
            verdict(&app, &t, &first, "pass").await,
            403,
            "role_not_allowed",
        )
        .await;
        assert_problem(
            verdict(&app, &other.admin, &first, "fail").await,
            404,
            "not_found",
        )
        .await;

        // Rejecting the second check, given after the third was answered: the 60 s between
        // the first and the second are voided; the session goes on (the third stands).
        let res = verdict(&app, &admin, &second, "fail").await;
        assert_eq!(
            res.status(),
            200,
            "{}",
            res.text().await.unwrap_or_default()
        );
        let decided: Value = res.json().await.unwrap();
        assert_eq!(decided["check"]["result"], "failed");
        assert_eq!(decided["check"]["review"]["verdict"], "fail");
        assert_eq!(decided["check"]["review"]["voided_seconds"], 60);
        assert_eq!(decided["session"]["status"], "open");
        assert_eq!(decided["session"]["credited_seconds"], 30);
        assert_eq!(credited(&app, &s).await, 30);
        assert_problem(
            verdict(&app, &admin, &second, "pass").await,
            409,
            "already_decided",
        )
        .await;
        // Rejecting the third: its window reaches back to the first (the second failed), and
        // what the second's rejection voided there is not voided twice: 30 s, not 90.
        let before = session_row(&app, &id).await;
        let decided: Value = verdict(&app, &admin, &third, "fail")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(decided["check"]["review"]["voided_seconds"], 30);
        assert_eq!(credited(&app, &s).await, 0);
        // It was the latest good check: another is due at once, it counts as a failed check
        // (the session's new version), and the session earns nothing.
        let after_verdict = session_row(&app, &id).await;
        assert_eq!(after_verdict.version, before.version + 1);
        assert_eq!((before.failed_checks, after_verdict.failed_checks), (0, 1));
        assert_eq!(decided["session"]["status"], "paused");
        assert!(decided["session"]["face_check_due_by"].is_string());
        assert_eq!(refused(&after(&app, &t, &id, 30, 120).await).0, 0);
        // Passing the first: it stands, nothing changes.
        let decided: Value = verdict(&app, &admin, &first, "pass")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(decided["check"]["result"], "passed");
        assert_eq!(decided["check"]["review"]["voided_seconds"], 0);
        assert_eq!(credited(&app, &s).await, 0);

        // The voids name the check they undo and who decided; the credits stay.
        let kept = entries(&app, &s.enrolment).await;
        let voids: Vec<(i32, Option<&str>, Option<&str>)> = kept
            .iter()
            .filter(|e| e.kind == "void")
            .map(|e| (e.seconds, e.note.as_deref(), e.reason.as_deref()))
            .collect();
        let (n2, n3) = (
            format!("face_check:{second}"),
            format!("face_check:{third}"),
        );
        assert_eq!(
            voids,
            [
                (-60, Some(n2.as_str()), Some("identity_failed")),
                (-30, Some(n3.as_str()), Some("identity_failed"))
            ]
        );
        assert!(
            kept.iter()
                .filter(|e| e.kind == "void")
                .all(|e| e.actor_subject.is_some())
        );
        assert_eq!(kept.iter().filter(|e| e.kind == "credit").count(), 3);
        assert!(
            kept.iter().all(|e| e.kind != "void_hold"),
            "nothing was held, so nothing held is voided"
        );
        // The learner sees its checks and their verdicts; the queue is empty.
        let mine = app
            .get_json(&format!("/api/v1/face-checks?session_id={id}"), Some(&t))
            .await;
        let results: Vec<&str> = mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["result"].as_str().unwrap())
            .collect();
        assert_eq!(results, ["passed", "failed", "failed"]);
        let reviews: Vec<(&str, i64)> = mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["review"]["verdict"].as_str().unwrap(),
                    c["review"]["voided_seconds"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(reviews, [("pass", 0), ("fail", 60), ("fail", 30)]);
        assert_eq!(mine["items"][1]["review"]["reason"], "对照人像照片核验");
        let queue = app
            .get_json("/api/v1/face-checks?result=pending_review", Some(&admin))
            .await;
        assert_eq!(queue["items"], json!([]));
    })
    .await;
}

#[tokio::test]
async fn the_daily_cap_turns_at_shanghai_midnight() {
    each_backend_with(
        |s| {
            study_settings(s);
            s.study.daily_cap_minutes = 1;
        },
        |app| async move {
            let s = studying(&app).await;
            // To 23:58:00 in Shanghai (15:58 UTC) of the next day the clock reaches.
            let now = app.clock.now();
            let mut target = now.date_naive().and_hms_opt(15, 58, 0).unwrap().and_utc();
            if target <= now {
                target += chrono::Duration::days(1);
            }
            app.clock.advance((target - now).to_std().unwrap());
            let t = s.learner.clone();
            let id = open(&app, &s).await["id"].as_str().unwrap().to_owned();
            face_check(&app, &t, &id, PNG).await;
            assert_eq!(refused(&after(&app, &t, &id, 30, 30).await), (30, None));
            assert_eq!(
                refused(&after(&app, &t, &id, 30, 60).await),
                (30, None),
                "23:59:00: the cap is reached"
            );
            assert_eq!(
                refused(&after(&app, &t, &id, 30, 90).await),
                (0, Some("daily_cap"))
            );
            // 00:00:00 in Shanghai: a new day, a new cap.
            assert_eq!(refused(&after(&app, &t, &id, 30, 90).await), (30, None));
            let kept = entries(&app, &s.enrolment).await;
            let days: Vec<String> = kept
                .iter()
                .filter(|e| e.kind == "credit")
                .map(|e| e.day.to_string())
                .collect();
            assert_eq!(days.len(), 3);
            assert_eq!(days[0], days[1]);
            assert_ne!(
                days[1], days[2],
                "the last credit is on the next Shanghai day"
            );
            assert_eq!(credited(&app, &s).await, 90);
        },
    )
    .await;
}

/// A face-comparison service the test runs: answers by its mode, and counts the requests.
struct FaceService {
    url: String,
    mode: std::sync::Arc<std::sync::atomic::AtomicU8>,
    requests: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
    handle: actix_web::dev::ServerHandle,
}

const SCORE_HIGH: u8 = 0;
const SCORE_LOW: u8 = 1;
const ERROR: u8 = 2;
const SLOW: u8 = 3;

impl FaceService {
    async fn start() -> Self {
        use actix_web::{App, HttpResponse, HttpServer, web};
        use std::sync::atomic::Ordering;
        let mode = std::sync::Arc::new(std::sync::atomic::AtomicU8::new(SCORE_HIGH));
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (m, r) = (mode.clone(), requests.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || {
            let (m, r) = (m.clone(), r.clone());
            App::new()
                .app_data(web::JsonConfig::default().limit(8 << 20))
                .route(
                    "/compare",
                    web::post().to(move |body: web::Json<Value>| {
                        let (m, r) = (m.clone(), r.clone());
                        async move {
                            r.lock().unwrap().push(body.into_inner());
                            match m.load(Ordering::SeqCst) {
                                SCORE_HIGH => HttpResponse::Ok().json(json!({"score": 0.95})),
                                SCORE_LOW => HttpResponse::Ok().json(json!({"score": 0.3})),
                                ERROR => HttpResponse::InternalServerError().finish(),
                                _ => {
                                    tokio::time::sleep(Duration::from_secs(2)).await;
                                    HttpResponse::Ok().json(json!({"score": 0.95}))
                                }
                            }
                        }
                    }),
                )
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}/compare"),
            mode,
            requests,
            handle,
        }
    }

    fn set(&self, mode: u8) {
        self.mode.store(mode, std::sync::atomic::Ordering::SeqCst);
    }

    fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

#[tokio::test]
async fn face_checks_go_to_an_http_verifier_that_may_pass_fail_fail_itself_or_time_out() {
    let service = FaceService::start().await;
    let url = service.url.clone();
    each_backend_with(
        move |s| {
            study_settings(s);
            s.study.verifier.kind = safetrain::config::VerifierKind::Http;
            s.study.verifier.url = Some(url.clone());
            s.study.verifier.timeout_ms = 300;
            s.study.verifier.retries = 2;
        },
        |app| {
            let service = &service;
            async move {
                let s = studying(&app).await;
                let t = s.learner.clone();
                // The portrait: checked, encrypted at rest.
                let res = app
                    .request(
                        Method::PUT,
                        &format!("/api/v1/learners/{}/portrait", s.learner_id),
                        Some(&s.f.admin),
                    )
                    .header("Content-Type", "image/png")
                    .body(PNG.to_vec())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(
                    res.status(),
                    200,
                    "{}",
                    res.text().await.unwrap_or_default()
                );
                let learner: Value = res.json().await.unwrap();
                assert_eq!(learner["portrait"]["media_type"], "image/png");
                let dir = app
                    .settings
                    .data_path("blobs")
                    .join(format!("learners/{}/portrait", s.learner_id));
                let stored = std::fs::read(
                    std::fs::read_dir(dir)
                        .unwrap()
                        .next()
                        .unwrap()
                        .unwrap()
                        .path(),
                )
                .unwrap();
                assert!(
                    !stored.windows(8).any(|w| w == &PNG[..8]),
                    "the portrait is encrypted at rest"
                );

                service.set(SCORE_HIGH);
                let id = open(&app, &s).await["id"].as_str().unwrap().to_owned();
                let before = service.count();
                let check: Value = face_check(&app, &t, &id, PNG).await.json().await.unwrap();
                assert_eq!(
                    (check["result"].as_str(), check["score_permille"].as_i64()),
                    (Some("passed"), Some(950))
                );
                assert_eq!(check["verifier"], "http");
                let sent = service.requests.lock().unwrap()[before].clone();
                use base64::Engine;
                let b64 = base64::engine::general_purpose::STANDARD.encode(PNG);
                assert_eq!(
                    (sent["reference"].as_str(), sent["capture"].as_str()),
                    (Some(b64.as_str()), Some(b64.as_str()))
                );
                assert_eq!(refused(&after(&app, &t, &id, 30, 30).await), (30, None));

                // A low score fails: the time since the last good check is voided, the session pauses.
                service.set(SCORE_LOW);
                let failed: Value = face_check(&app, &t, &id, PNG).await.json().await.unwrap();
                assert_eq!(
                    (failed["result"].as_str(), failed["voided_seconds"].as_i64()),
                    (Some("failed"), Some(30))
                );
                assert_eq!(failed["session"]["status"], "paused");
                assert_eq!(failed["session"]["credited_seconds"], 0);
                assert_eq!(credited(&app, &s).await, 0);

                // The service failing or too slow is not the learner's failure: manual review.
                for mode in [ERROR, SLOW] {
                    service.set(mode);
                    let n = service.count();
                    let check: Value = face_check(&app, &t, &id, PNG).await.json().await.unwrap();
                    assert_eq!(check["result"], "pending_review", "mode {mode}");
                    assert_eq!(check["session"]["status"], "open");
                    assert_eq!(
                        service.count() - n,
                        3,
                        "tried once and retried twice (mode {mode})"
                    );
                }

                // Repeated failures suspend the session for review.
                service.set(SCORE_LOW);
                face_check(&app, &t, &id, PNG).await;
                let third: Value = face_check(&app, &t, &id, PNG).await.json().await.unwrap();
                assert_eq!(third["session"]["status"], "suspended");
                app.clock.advance(Duration::from_secs(30));
                assert_problem(
                    beat(&app, &t, &id, 60, true).await,
                    409,
                    "session_suspended",
                )
                .await;
                assert_problem(
                    face_check(&app, &t, &id, PNG).await,
                    409,
                    "session_suspended",
                )
                .await;
                // The institution reviews it: only its own admins, with a reason kept.
                let review = json!({"decision": "resume", "reason": "人工核验为本人"});
                let path = format!("/api/v1/study-sessions/{id}/review");
                let other = filer(&app, "440300", 2).await;
                assert_problem(
                    app.post(&path, Some(&other.admin), &review).await,
                    404,
                    "not_found",
                )
                .await;
                assert_problem(
                    app.post(&path, Some(&t), &review).await,
                    403,
                    "role_not_allowed",
                )
                .await;
                let res = app.post(&path, Some(&s.f.admin), &review).await;
                assert_eq!(res.status(), 200);
                assert_eq!(res.json::<Value>().await.unwrap()["status"], "open");
                assert_problem(
                    app.post(&path, Some(&s.f.admin), &review).await,
                    409,
                    "illegal_transition",
                )
                .await;
                assert_eq!(
                    refused(&after(&app, &t, &id, 30, 60).await),
                    (30, None),
                    "study goes on from the frontier"
                );
                // Its failed checks were cleared: one more failure pauses, it does not suspend.
                let again: Value = face_check(&app, &t, &id, PNG).await.json().await.unwrap();
                assert_eq!(again["result"], "failed");
                assert_eq!(again["session"]["status"], "paused");
            }
        },
    )
    .await;
    service.handle.stop(false).await;
}

#[tokio::test]
async fn studied_time_is_held_until_the_quiz_is_passed_and_quiz_time_is_not_study() {
    each_backend_with(study_settings, |app| async move {
        let quiz = json!({"questions": [
            {"id": "q1", "kind": "single", "text": "低压是多少伏以下？", "options": ["1000V", "220V"], "answer": [0]},
            {"id": "q2", "kind": "multiple", "text": "哪些是安全用具？", "options": ["绝缘手套", "绝缘靴", "铁棒"], "answer": [0, 1]},
            {"id": "q3", "kind": "true_false", "text": "可以带电作业。", "options": ["对", "错"], "answer": [1]},
            {"id": "q4", "kind": "single", "text": "触电先做什么？", "options": ["切断电源", "拉人"], "answer": [0]},
            {"id": "q5", "kind": "true_false", "text": "漏电保护器要定期试验。", "options": ["对", "错"], "answer": [0]}
        ]});
        let s = studying_with(&app, Some(&quiz)).await;
        let t = s.learner.clone();
        let id = open(&app, &s).await["id"].as_str().unwrap().to_owned();
        face_check(&app, &t, &id, PNG).await;
        let held = after(&app, &t, &id, 30, 30).await;
        assert_eq!((held["credited_seconds"].as_i64(), held["held"].as_bool()), (Some(30), Some(true)));
        let progress = app.get_json(&format!("/api/v1/enrolments/{}", s.enrolment), Some(&t)).await;
        let course = &progress["courses"][0];
        assert_eq!((course["credited_seconds"].as_i64(), course["held_seconds"].as_i64(), course["quiz"].as_str()), (Some(0), Some(30), Some("pending")));

        // The questions go out without their answers.
        let quiz_id = app.get_json(&format!("/api/v1/courses/{}/courseware", course["course_id"].as_str().unwrap()), Some(&s.f.admin)).await
            .as_array().unwrap().iter().find(|p| p["kind"] == "quiz").unwrap()["id"].as_str().unwrap().to_owned();
        let shown = app.get_json(&format!("/api/v1/courseware/{quiz_id}/questions?enrolment_id={}", s.enrolment), Some(&t)).await;
        assert_eq!(shown["questions"].as_array().unwrap().len(), 5);
        assert_eq!(shown["pass_percent"], 80);
        assert!(!shown.to_string().contains("answer"), "{shown}");

        let attempt = |answers: Value| {
            let (app, t, enrolment, quiz_id) = (&app, t.clone(), s.enrolment.clone(), quiz_id.clone());
            async move {
                let res = app.post(&format!("/api/v1/courseware/{quiz_id}/quiz-attempts"), Some(&t), &json!({"enrolment_id": enrolment, "answers": answers})).await;
                assert_eq!(res.status(), 201, "{}", res.text().await.unwrap_or_default());
                res.json::<Value>().await.unwrap()
            }
        };
        // 3 of 5 is 60 %: below the pass mark.
        let failed = attempt(json!([{"question_id": "q1", "chosen": [0]}, {"question_id": "q2", "chosen": [0]}, {"question_id": "q3", "chosen": [1]}, {"question_id": "q4", "chosen": [1]}, {"question_id": "q5", "chosen": [0]}])).await;
        assert_eq!((failed["correct"].as_i64(), failed["passed"].as_bool(), failed["released_seconds"].as_i64()), (Some(3), Some(false), Some(0)));
        // 4 of 5 is 80 %: passes, and the held time is released.
        let passed = attempt(json!([{"question_id": "q1", "chosen": [0]}, {"question_id": "q2", "chosen": [1, 0]}, {"question_id": "q3", "chosen": [1]}, {"question_id": "q4", "chosen": [0]}, {"question_id": "q5", "chosen": [1]}])).await;
        assert_eq!((passed["correct"].as_i64(), passed["passed"].as_bool(), passed["released_seconds"].as_i64()), (Some(4), Some(true), Some(30)));
        let progress = app.get_json(&format!("/api/v1/enrolments/{}", s.enrolment), Some(&t)).await;
        let course = &progress["courses"][0];
        assert_eq!((course["credited_seconds"].as_i64(), course["held_seconds"].as_i64(), course["quiz"].as_str()), (Some(30), Some(0), Some("passed")));
        // From now on study is credited at once, and a second pass releases nothing more.
        let credited = after(&app, &t, &id, 30, 60).await;
        assert_eq!((credited["credited_seconds"].as_i64(), credited["held"].as_bool()), (Some(30), Some(false)));
        let again = attempt(json!([{"question_id": "q1", "chosen": [0]}, {"question_id": "q2", "chosen": [1, 0]}, {"question_id": "q3", "chosen": [1]}, {"question_id": "q4", "chosen": [0]}, {"question_id": "q5", "chosen": [0]}])).await;
        assert_eq!((again["passed"].as_bool(), again["released_seconds"].as_i64()), (Some(true), Some(0)));
        assert_eq!(credited_total(&app, &s).await, 60);
        // Quizzes are not sessions: a session on a quiz is refused.
        let res = app.post("/api/v1/study-sessions", Some(&t), &json!({"enrolment_id": s.enrolment, "courseware_id": quiz_id})).await;
        let p = assert_problem(res, 400, "validation_failed").await;
        assert_eq!(p["errors"][0]["rule"], "not_a_video");
        // Another learner cannot reach the quiz.
        let other = create_learner(&app, &s.f.admin, &learner_body(&s.f.institution, &id_number(2), "13900000002")).await;
        let _ = other;
        let theirs = sign_in(&app, "13900000002", "Anquan2026").await["access_token"].as_str().unwrap().to_owned();
        assert_problem(app.get(&format!("/api/v1/courseware/{quiz_id}/questions?enrolment_id={}", s.enrolment), Some(&theirs)).await, 404, "not_found").await;
    })
    .await;
}

#[tokio::test]
async fn a_server_without_a_cjk_font_answers_503_naming_it_for_the_pdf_and_works_otherwise() {
    each_backend_with(
        |s| {
            s.certificates.fonts = vec![safetrain::config::FontFile {
                path: "/nonexistent/font.ttc".into(),
                index: 0,
            }]
        },
        |app| async move {
            let f = filer(&app, "440100", 1).await;
            let res = app
                .get(
                    "/api/v1/certificates/GD2026000000000000/pdf",
                    Some(&f.admin),
                )
                .await;
            assert!(res.headers().get("retry-after").is_none());
            let p = assert_problem(res, 503, "service_unavailable").await;
            assert!(p["detail"].as_str().unwrap().contains("CJK font"), "{p}");
            assert_eq!(app.get("/api/v1/programmes", None).await.status(), 200);
        },
    )
    .await;
}

/// The certificate's PDF as `token` gets it, saved to a temporary file.
async fn pdf_file(app: &TestApp, token: &str, number: &str) -> tempfile::NamedTempFile {
    // Reading the font (megabytes, once per server) must not count in a test measuring
    // allocations meanwhile.
    let _quiet = crate::template::MEASURING.read().await;
    // The server sets the PDF in a font the machine may not have yet.
    crate::helpers::ensure_pdf_tools();
    let res = app
        .get(&format!("/api/v1/certificates/{number}/pdf"), Some(token))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let file = tempfile::Builder::new().suffix(".pdf").tempfile().unwrap();
    std::fs::write(file.path(), &bytes).unwrap();
    file
}

/// The certificate's text as pdftotext reads it.
async fn pdf_text(app: &TestApp, token: &str, number: &str) -> String {
    let file = pdf_file(app, token, number).await;
    let path = file.path().to_str().unwrap();
    String::from_utf8(tool("pdftotext", &[path, "-"], "poppler-utils")).unwrap()
}

/// The PDF's size, and what its QR code reads as (the page rendered, then scanned by zbar).
async fn pdf_qr(app: &TestApp, token: &str, number: &str) -> (u64, String) {
    let file = pdf_file(app, token, number).await;
    let size = file.as_file().metadata().unwrap().len();
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("page");
    let (pdf, png) = (file.path().to_str().unwrap(), png.to_str().unwrap());
    tool(
        "pdftoppm",
        &["-r", "150", "-png", "-singlefile", pdf, png],
        "poppler-utils",
    );
    let read = tool(
        "zbarimg",
        &["--raw", "-q", &format!("{png}.png")],
        "zbar-tools",
    );
    (size, String::from_utf8(read).unwrap().trim().to_owned())
}

async fn credited_total(app: &TestApp, s: &Studying) -> i64 {
    credited(app, s).await
}

#[tokio::test]
async fn a_completed_enrolment_gets_a_certificate_verified_publicly_and_revoked_by_a_regulator() {
    each_backend_with(
        |s| {
            study_settings(s);
            s.study.face_check_min_secs = 600;
            s.study.face_check_max_secs = 600;
        },
        |app| async move {
            let s = studying(&app).await;
            let t = s.learner.clone();
            let issue = format!("/api/v1/enrolments/{}/certificate", s.enrolment);
            let p = assert_problem(
                app.post(&issue, Some(&s.f.admin), &json!({})).await,
                409,
                "training_incomplete",
            )
            .await;
            assert!(
                p["detail"]
                    .as_str()
                    .unwrap()
                    .starts_with("1080 seconds of the programme remain"),
                "{p}"
            );
            // Study the whole course (0.4 学时 = 1080 s), answering the face checks as they fall due.
            let id = open(&app, &s).await["id"].as_str().unwrap().to_owned();
            face_check(&app, &t, &id, PNG).await;
            let mut checks = 0;
            for i in 1..=36u32 {
                let answer = after(&app, &t, &id, 30, 30 * i).await;
                assert_eq!(answer["credited_seconds"], 30, "beat {i}");
                if answer["session"]["face_check_due_by"].is_string() {
                    assert_eq!(face_check(&app, &t, &id, PNG).await.status(), 201);
                    checks += 1;
                }
            }
            assert_eq!(checks, 1, "one check 600 s after the start's");
            // The learner's captures are face data the platform holds, counted for the province.
            let held = app
                .get_json(
                    "/api/v1/reports/face-data",
                    Some(&app.token("province_admin", None, None)),
                )
                .await;
            assert_eq!(
                (
                    &held["learners_with_face_data"],
                    &held["filing_threshold"],
                    &held["filing_required"]
                ),
                (&json!(1), &json!(100_000), &json!(false))
            );
            assert_problem(
                app.get(
                    "/api/v1/reports/face-data",
                    Some(&app.token("city_admin", Some("440100"), None)),
                )
                .await,
                403,
                "role_not_allowed",
            )
            .await;
            let enrolment_path = format!("/api/v1/enrolments/{}", s.enrolment);
            let enrolment_tag = || async {
                let res = app.get(&enrolment_path, Some(&t)).await;
                res.headers()["etag"]
                    .to_str()
                    .unwrap()
                    .trim_matches('"')
                    .trim_start_matches('v')
                    .parse::<i64>()
                    .unwrap()
            };
            let before = enrolment_tag().await;
            let res = app.post(&issue, Some(&s.f.admin), &json!({})).await;
            assert_eq!(
                res.status(),
                201,
                "{}",
                res.text().await.unwrap_or_default()
            );
            let cert: Value = res.json().await.unwrap();
            let number = cert["number"].as_str().unwrap().to_owned();
            let code = cert["verification_code"].as_str().unwrap().to_owned();
            assert!(number.starts_with("GD20") && number.len() == 18, "{number}");
            assert_eq!(code.len(), 8);
            let drawn = format!("{}{code}", &number[6..]);
            assert!(
                drawn.chars().any(|c| c.is_ascii_uppercase()),
                "drawn from the whole alphabet, letters too: {drawn}"
            );
            assert_eq!(
                enrolment_tag().await,
                before + 1,
                "completing the enrolment makes its next version"
            );
            assert_eq!(
                (
                    cert["learner_name"].as_str(),
                    cert["hours"].as_str(),
                    cert["status"].as_str()
                ),
                (Some("张*"), Some("0.4"), Some("valid"))
            );
            let enrolment = app
                .get_json(&format!("/api/v1/enrolments/{}", s.enrolment), Some(&t))
                .await;
            assert_eq!(enrolment["status"], "completed");
            assert_problem(
                app.post(&issue, Some(&s.f.admin), &json!({})).await,
                409,
                "illegal_transition",
            )
            .await;

            // Public verification: genuine with the right code, nothing at all otherwise.
            let verify = |n: &str, c: &str| {
                let url = format!("/api/v1/certificates/{n}/verify?code={c}");
                let app = &app;
                async move { app.get_json(&url, None).await }
            };
            let ok = verify(&number, &code.to_lowercase()).await;
            assert_eq!(ok["genuine"], true);
            assert_eq!(
                (
                    ok["certificate"]["learner_name"].as_str(),
                    ok["certificate"]["institution_name"].as_str()
                ),
                (Some("张*"), Some("培训机构1"))
            );
            assert!(
                ok["certificate"].get("verification_code").is_none()
                    && ok["certificate"].get("learner_id").is_none()
            );
            for (n, c) in [
                (number.as_str(), "WRONG123"),
                ("GD2026000000000000", code.as_str()),
            ] {
                let no = verify(n, c).await;
                assert_eq!(no, json!({"genuine": false, "certificate": null}));
            }
            // The record: the learner and its institution see the code; another institution nothing.
            let own = app
                .get_json(&format!("/api/v1/certificates/{number}"), Some(&t))
                .await;
            assert_eq!(own["verification_code"], code.as_str());
            let regulator = app
                .get_json(
                    &format!("/api/v1/certificates/{number}"),
                    Some(&app.token("city_admin", Some("440100"), None)),
                )
                .await;
            assert!(regulator["verification_code"].is_null());
            let other = filer(&app, "440300", 2).await;
            assert_problem(
                app.get(
                    &format!("/api/v1/certificates/{number}"),
                    Some(&other.admin),
                )
                .await,
                404,
                "not_found",
            )
            .await;

            // The PDF, for its holders: the facts in Chinese, the font a subset, a QR code
            // that a phone reads as the verification address, which verifies it.
            let text = pdf_text(&app, &t, &number).await;
            for fact in [
                "培训学时证明",
                number.as_str(),
                "学员姓名：张*",
                "培训学时：0.4 学时",
                "培训机构：培训机构1",
                code.as_str(),
                "证书状态：有效",
            ] {
                assert!(text.contains(fact), "{fact:?} in {text}");
            }
            // The facts stand one under another, above the verification address.
            let at = |label: &str| {
                text.find(label)
                    .unwrap_or_else(|| panic!("{label} in {text}"))
            };
            let order = [
                "证书编号",
                "学员姓名",
                "培训项目",
                "培训学时：",
                "培训期间",
                "培训机构：",
                "签发日期",
                "核验码",
                "证书状态",
                "扫描二维码",
            ];
            assert!(order.windows(2).all(|w| at(w[0]) < at(w[1])), "{text}");
            let (size, qr) = pdf_qr(&app, &s.f.admin, &number).await;
            assert!(size < 200_000, "the font is a subset: {size} bytes");
            let path = qr
                .strip_prefix("http://127.0.0.1:8080")
                .unwrap_or_else(|| panic!("the QR code {qr:?} is the verification address"));
            assert_eq!(
                path,
                format!("/api/v1/certificates/{number}/verify?code={code}")
            );
            assert_eq!(app.get_json(path, None).await["genuine"], true);
            assert_problem(
                app.get(
                    &format!("/api/v1/certificates/{number}/pdf"),
                    Some(&app.token("city_admin", Some("440100"), None)),
                )
                .await,
                403,
                "role_not_allowed",
            )
            .await;
            assert_problem(
                app.get(
                    &format!("/api/v1/certificates/{number}/pdf"),
                    Some(&other.admin),
                )
                .await,
                404,
                "not_found",
            )
            .await;

            // Revocation by the regulators of the learner's city, with a reason.
            let revoke = format!("/api/v1/certificates/{number}/revoke");
            let reason = json!({"reason": "学时记录经核查存在代学"});
            assert_problem(
                app.post(
                    &revoke,
                    Some(&app.token("city_admin", Some("440300"), None)),
                    &reason,
                )
                .await,
                404,
                "not_found",
            )
            .await;
            assert_problem(
                app.post(&revoke, Some(&s.f.admin), &reason).await,
                403,
                "role_not_allowed",
            )
            .await;
            let res = app
                .post(
                    &revoke,
                    Some(&app.token("city_admin", Some("440100"), None)),
                    &reason,
                )
                .await;
            assert_eq!(res.status(), 200);
            assert_eq!(
                verify(&number, &code).await["certificate"]["status"],
                "revoked"
            );
            let text = pdf_text(&app, &t, &number).await;
            assert!(
                text.contains("已撤销") && text.contains("学时记录经核查存在代学"),
                "{text}"
            );
            assert_problem(
                app.post(
                    &revoke,
                    Some(&app.token("province_admin", None, None)),
                    &reason,
                )
                .await,
                409,
                "illegal_transition",
            )
            .await;
        },
    )
    .await;
}

#[tokio::test]
async fn every_change_to_a_session_moves_its_version_by_one_and_keeps_its_facts() {
    each_backend_with(
        |s| {
            study_settings(s);
            s.study.face_check_min_secs = 120;
            s.study.face_check_max_secs = 120;
        },
        |app| async move {
            let s = studying(&app).await;
            let t = s.learner.clone();
            let first = open(&app, &s).await;
            let id = first["id"].as_str().unwrap().to_owned();
            // A check is due at once, with the configured time to answer it.
            let started: chrono::DateTime<chrono::Utc> =
                first["started_at"].as_str().unwrap().parse().unwrap();
            let due: chrono::DateTime<chrono::Utc> = first["face_check_due_by"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!((due - started).num_seconds(), 60);
            // The video's duration is the file's (the 20-minute fixture).
            let progress = safetrain::study::entity::progress::Entity::find()
                .filter(
                    safetrain::study::entity::progress::Column::EnrolmentId
                        .eq(s.enrolment.parse::<uuid::Uuid>().unwrap()),
                )
                .one(&app.db)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(progress.duration_seconds, 1200);
            let v = |row: &safetrain::study::entity::session::Model| row.version;
            let v0 = v(&session_row(&app, &id).await);
            face_check(&app, &t, &id, PNG).await;
            let checked = session_row(&app, &id).await;
            assert_eq!(v(&checked), v0 + 1, "a face check");
            let good = checked.last_good_check_at.unwrap();
            assert_eq!(checked.next_check_at, good + chrono::Duration::seconds(120));
            after(&app, &t, &id, 30, 30).await;
            assert_eq!(v(&session_row(&app, &id).await), v0 + 2, "a heartbeat");
            // Idle: the session pauses; a heartbeat while paused keeps it alive.
            let paused = after(&app, &t, &id, 400, 30).await;
            assert_eq!(paused["session"]["status"], "paused");
            assert_eq!(v(&session_row(&app, &id).await), v0 + 3);
            app.clock.advance(Duration::from_secs(20));
            assert_eq!(beat(&app, &t, &id, 30, true).await.status(), 200);
            let kept = session_row(&app, &id).await;
            assert_eq!(v(&kept), v0 + 4, "a heartbeat while paused");
            assert!(
                (app.clock.now() - kept.last_heartbeat_at)
                    .num_seconds()
                    .abs()
                    < 1,
                "the last heartbeat is this one, 20 s after the one that paused it"
            );
            // Replaced by another device: ended, with its end time.
            let second = open(&app, &s).await["id"].as_str().unwrap().to_owned();
            let replaced = session_row(&app, &id).await;
            assert_eq!(v(&replaced), v0 + 5, "ended by another device");
            assert!(replaced.ended_at.is_some());
            // Ended by the learner.
            let w0 = v(&session_row(&app, &second).await);
            let res = app
                .request(
                    Method::POST,
                    &format!("/api/v1/study-sessions/{second}/end"),
                    Some(&t),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            let ended = session_row(&app, &second).await;
            assert_eq!(v(&ended), w0 + 1, "ended by the learner");
            assert!(ended.ended_at.is_some());
        },
    )
    .await;
}

#[tokio::test]
async fn a_suspended_session_is_resumed_with_a_clean_slate_or_ended_by_the_institutions_review() {
    each_backend_with(
        |s| {
            study_settings(s);
            s.study.max_failed_checks = 1;
        },
        |app| async move {
            let s = studying(&app).await;
            let (t, admin) = (s.learner.clone(), s.f.admin.clone());
            let id = open(&app, &s).await["id"].as_str().unwrap().to_owned();
            pending_check(&app, &t, &id).await;
            after(&app, &t, &id, 30, 30).await;
            let rejected = pending_check(&app, &t, &id).await;
            let decided: Value = verdict(&app, &admin, &rejected, "fail")
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(decided["session"]["status"], "suspended");
            let review = format!("/api/v1/study-sessions/{id}/review");
            // Two minutes later the institution resumes it: the overdue check is forgiven, the
            // failures cleared, the next check scheduled anew.
            app.clock.advance(Duration::from_secs(120));
            let before = session_row(&app, &id).await;
            let res = app
                .post(
                    &review,
                    Some(&admin),
                    &json!({"decision": "resume", "reason": "人工核验为本人"}),
                )
                .await;
            assert_eq!(res.status(), 200);
            let resumed = session_row(&app, &id).await;
            assert_eq!(resumed.version, before.version + 1);
            assert_eq!(resumed.failed_checks, 0);
            assert_eq!(resumed.check_due_since, None);
            assert!(resumed.last_good_check_at > before.last_good_check_at);
            assert!(resumed.next_check_at > app.clock.now());
            let beat = after(&app, &t, &id, 30, 60).await;
            assert_eq!(refused(&beat), (30, None));
            assert!(
                beat["session"]["face_check_due_by"].is_null(),
                "no check due yet"
            );
            // Suspended again, then ended by the review.
            let rejected = pending_check(&app, &t, &id).await;
            verdict(&app, &admin, &rejected, "fail").await;
            let before = session_row(&app, &id).await;
            assert_eq!(before.status, "suspended");
            let ended: Value = app
                .post(
                    &review,
                    Some(&admin),
                    &json!({"decision": "end", "reason": "无法确认本人"}),
                )
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(ended["status"], "ended");
            assert_eq!(ended["end_reason"], "ended_by_review");
            let row = session_row(&app, &id).await;
            assert_eq!(row.version, before.version + 1);
            assert!(row.ended_at.is_some());
        },
    )
    .await;
}

#[tokio::test]
async fn the_server_ends_sessions_left_without_heartbeats_and_counts_the_face_data_it_holds() {
    each_backend_with(
        |s| {
            study_settings(s);
            s.study.sweep_secs = 1;
        },
        |app| async move {
            let s = studying(&app).await;
            let t = s.learner.clone();
            let id = open(&app, &s).await["id"].as_str().unwrap().to_owned();
            face_check(&app, &t, &id, PNG).await;
            let mut counted = String::new();
            for _ in 0..100 {
                counted = app.get("/metrics", None).await.text().await.unwrap();
                if counted.contains("\nsafetrain_face_data_subjects 1\n") {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert!(
                counted.contains("\nsafetrain_face_data_subjects 1\n"),
                "one learner's captures are held"
            );
            // Within the limit the session stays; past it the server ends it.
            app.clock.advance(Duration::from_secs(1700));
            tokio::time::sleep(Duration::from_millis(1500)).await;
            let record = app
                .get_json(&format!("/api/v1/study-sessions/{id}"), Some(&t))
                .await;
            assert_eq!(record["status"], "open");
            app.clock.advance(Duration::from_secs(101));
            let mut record = Value::Null;
            for _ in 0..100 {
                record = app
                    .get_json(&format!("/api/v1/study-sessions/{id}"), Some(&t))
                    .await;
                if record["status"] == "ended" {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert_eq!(
                (record["status"].as_str(), record["end_reason"].as_str()),
                (Some("ended"), Some("idle"))
            );
            assert_problem(beat(&app, &t, &id, 30, true).await, 409, "session_ended").await;
        },
    )
    .await;
}
