//! A simulation: 200 learners on the server's virtual clock study a programme, some of them
//! cheating as scripted (a skip ahead, an idle gap, a missed face check); the time credited to
//! each equals, second for second, what the rules allow.
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::Method;
use safetrain::enrolments::entity::ledger;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{TestApp, each_backend_with};
use crate::learners::id_number;
use crate::study::{Studying, studying};

const LEARNERS: u32 = 200;
const ROUNDS: u32 = 30;
const PNG: &[u8] = include_bytes!("fixtures/teacher.png");

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Script {
    /// Plays through, answers every face check.
    Honest,
    /// Skips 300 s ahead once, in round 5; then plays from where the server keeps it.
    SkipsAhead,
    /// Sends nothing in rounds 10–20 (a 360 s gap), then answers the face check and plays on.
    Idles,
    /// Does not answer the face check that falls due at 600 s, then answers the next.
    MissesCheck,
}

impl Script {
    fn of(n: u32) -> Self {
        [
            Script::Honest,
            Script::SkipsAhead,
            Script::Idles,
            Script::MissesCheck,
        ][(n % 4) as usize]
    }

    /// What the rules allow in 30 rounds of 30 s (a 20-minute video; a check due 600 s after
    /// the last good one, 60 s to answer it; idle after 300 s).
    fn allowed(self) -> i64 {
        match self {
            Script::Honest => 30 * 30,
            // Round 5's interval is refused.
            Script::SkipsAhead => 29 * 30,
            // Rounds 1–9, then round 21 refused (idle) and 22–30.
            Script::Idles => 9 * 30 + 9 * 30,
            // Rounds 1–22 credited, then voided at round 23 (the check due since round 20 went
            // unanswered past 60 s); rounds 24–30 after a good check.
            Script::MissesCheck => 7 * 30,
        }
    }
}

struct Learner {
    script: Script,
    token: String,
    enrolment: String,
    session: String,
    position: u32,
}

async fn post_image(app: &TestApp, token: &str, session: &str) -> Value {
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/study-sessions/{session}/face-checks"),
            Some(token),
        )
        .header("Content-Type", "image/png")
        .body(PNG.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

/// One learner's turn in round `round`.
async fn turn(app: &TestApp, l: &mut Learner, round: u32) {
    if l.script == Script::Idles && (10..=20).contains(&round) {
        return;
    }
    let ahead = if l.script == Script::SkipsAhead && round == 5 {
        300
    } else {
        0
    };
    let res = app
        .post(
            &format!("/api/v1/study-sessions/{}/heartbeats", l.session),
            Some(&l.token),
            &json!({"position_seconds": l.position + 30 + ahead, "playing": true}),
        )
        .await;
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let answer: Value = res.json().await.unwrap();
    // The client plays on from where the server keeps the player.
    l.position = answer["session"]["position_seconds"].as_u64().unwrap() as u32;
    let due = answer["session"]["face_check_due_by"].is_string();
    let status = answer["session"]["status"].as_str().unwrap().to_owned();
    let skip_check =
        l.script == Script::MissesCheck && status == "open" && (20..23).contains(&round);
    if due && !skip_check {
        post_image(app, &l.token, &l.session).await;
    }
}

#[tokio::test]
async fn two_hundred_learners_are_credited_exactly_what_the_rules_allow() {
    each_backend_with(
        |s| {
            s.courses.video.min_bitrate_kbps = 1;
            crate::enrolments::small_programmes(s, "0.4");
            s.study.face_check_min_secs = 600;
            s.study.face_check_max_secs = 600;
            s.database.max_connections = 16;
        },
        |app| async move {
            // Time moves only when the test moves it, however long each round takes.
            app.clock.freeze();
            let base: Studying = studying(&app).await;
            let course = app.get_json(&format!("/api/v1/enrolments/{}", base.enrolment), Some(&base.learner)).await["courses"][0]["course_id"]
                .as_str()
                .unwrap()
                .to_owned();
            // The other learners, registered in one import.
            let header = "name,id_number,phone,employer_name,employer_credit_code,industry,city_code,training_category,operation_type,training_type,password";
            let rows: Vec<String> = (1..LEARNERS)
                .map(|n| format!("学员{n},{},139{:08},某厂,91440101MA59UFRF1R,general,440100,special_operation,0102,initial,Anquan2026", id_number(100 + n), 10_000 + n))
                .collect();
            let res = app
                .request(Method::POST, &format!("/api/v1/learners/import?institution_id={}", base.f.institution), Some(&base.f.admin))
                .header("Content-Type", "text/csv")
                .body(format!("{header}\n{}\n", rows.join("\n")))
                .send()
                .await
                .unwrap();
            let report: Value = res.json().await.unwrap();
            assert_eq!(report["created"], LEARNERS - 1, "{report}");
            let ids: Vec<String> = report["rows"].as_array().unwrap().iter().map(|r| r["learner_id"].as_str().unwrap().to_owned()).collect();
            // Each signs in, consents, is enrolled and opens a session with its start check.
            let setups = ids.iter().enumerate().map(|(i, learner_id)| {
                let (app, admin, course) = (&app, base.f.admin.clone(), course.clone());
                let phone = format!("139{:08}", 10_001 + i as u32);
                let learner_id = learner_id.clone();
                let courseware = base.courseware.clone();
                async move {
                    let token = crate::learners::sign_in(app, &phone, "Anquan2026").await["access_token"].as_str().unwrap().to_owned();
                    let res = app.post(&format!("/api/v1/learners/{learner_id}/consents"), Some(&token), &json!({"purpose": "face_processing", "text_version": "2026-11", "decision": "granted"})).await;
                    assert_eq!(res.status(), 201);
                    let res = app.post("/api/v1/enrolments", Some(&admin), &json!({"learner_id": learner_id, "programme_code": "special_operation-0102-initial", "course_ids": [course]})).await;
                    assert_eq!(res.status(), 201);
                    let enrolment = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
                    (token, enrolment, courseware)
                }
            });
            let mut prepared: Vec<(String, String, String)> = futures_util::stream::iter(setups).buffered(8).collect().await;
            prepared.insert(0, (base.learner.clone(), base.enrolment.clone(), base.courseware.clone()));
            let mut learners = Vec::new();
            for (n, (token, enrolment, courseware)) in prepared.into_iter().enumerate() {
                let res = app.post("/api/v1/study-sessions", Some(&token), &json!({"enrolment_id": enrolment, "courseware_id": courseware})).await;
                assert_eq!(res.status(), 201);
                let session = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
                post_image(&app, &token, &session).await;
                learners.push(Learner { script: Script::of(n as u32), token, enrolment, session, position: 0 });
            }
            assert_eq!(learners.len(), LEARNERS as usize);

            // 30 rounds of 30 s on the server's clock, every learner taking its turn.
            for round in 1..=ROUNDS {
                app.clock.advance(Duration::from_secs(30));
                let app = &app;
                futures_util::stream::iter(learners.iter_mut())
                    .for_each_concurrent(16, |l| async move { turn(app, l, round).await })
                    .await;
            }

            for l in &learners {
                let credited = app.get_json(&format!("/api/v1/enrolments/{}", l.enrolment), Some(&l.token)).await["credited_seconds"]
                    .as_i64()
                    .unwrap();
                assert_eq!(credited, l.script.allowed(), "{:?}", l.script);
            }
            // And the ledger says why each refused second did not count.
            let refused = |reason: &'static str| {
                let app = &app;
                async move {
                    ledger::Entity::find()
                        .filter(ledger::Column::Reason.eq(reason))
                        .filter(ledger::Column::Kind.is_in(["refused", "void"]))
                        .all(&app.db)
                        .await
                        .unwrap()
                        .iter()
                        .map(|e| i64::from(e.seconds))
                        .sum::<i64>()
                }
            };
            let quarter = i64::from(LEARNERS / 4);
            assert_eq!(refused("fast_forward").await, quarter * 30);
            assert_eq!(refused("idle").await, quarter * 360);
            // The misser's refused interval (30 s) and its void (−660 s).
            assert_eq!(refused("identity_failed").await, quarter * (30 - 660));
        },
    )
    .await;
}
