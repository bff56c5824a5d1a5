//! The change feed: every committed change of a shared resource, in order, without gaps.
use std::collections::BTreeSet;
use std::time::Duration;

use safetrain::changes::{self, Change, Operation};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, each_backend, institution_body};

/// Reads the feed from `after` with pages of `limit` until `want` events arrived (bounded).
pub async fn read_feed(app: &TestApp, types: &str, limit: u32, want: usize) -> Vec<Value> {
    let token = app.token("data_consumer", None, None);
    let mut after = 0;
    let mut events = Vec::new();
    for _ in 0..400 {
        let path = format!("/api/v1/sharing/changes?after={after}&limit={limit}{types}");
        let page: Value = app.get_json(&path, Some(&token)).await;
        let items = page["items"].as_array().expect("items").clone();
        let positions: Vec<i64> = items
            .iter()
            .map(|e| e["position"].as_i64().unwrap())
            .collect();
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "a page is in position order: {positions:?}"
        );
        assert!(
            positions.first().is_none_or(|p| *p > after),
            "only positions after `after`"
        );
        after = page["next_after"].as_i64().expect("next_after");
        events.extend(items);
        if events.len() >= want {
            return events;
        }
        if positions.is_empty() {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
    panic!("the feed never reached {want} events: {}", events.len());
}

#[tokio::test]
async fn the_feed_carries_every_change_of_institutions_in_order() {
    each_backend(|app| async move {
        let created = app
            .create_institution(&institution_body("440100", 700, "共享"))
            .await;
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(app.set_status(&id, "registered").await.status(), 200);
        let admin = app.token("city_admin", Some("440100"), None);
        let res = app
            .patch(
                &format!("/api/v1/institutions/{id}"),
                Some(&admin),
                Some("\"v2\""),
                &json!({"name": "共享二"}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let events = read_feed(&app, "", 2, 5).await;
        let summary: Vec<(i64, &str, &str, i64)> = events
            .iter()
            .map(|e| {
                (
                    e["position"].as_i64().unwrap(),
                    e["resource_type"].as_str().unwrap(),
                    e["operation"].as_str().unwrap(),
                    e["version"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (1, "institution", "created", 1),
                (2, "institution_status_change", "created", 1),
                (3, "institution", "updated", 2),
                (4, "institution_status_change", "created", 1),
                (5, "institution", "updated", 3),
            ]
        );
        assert_eq!(events[0]["resource_id"], id.as_str());
        assert_eq!(
            events[0]["data"]["contact_phone"], "13812345678",
            "the province gets it in full"
        );
        assert_eq!(events[2]["data"]["status"], "registered");
        assert_eq!(events[3]["data"]["to_status"], "registered");
        assert_eq!(events[4]["data"]["name"], "共享二");
        let only = read_feed(&app, "&types=institution_status_change", 50, 2).await;
        assert!(
            only.iter()
                .all(|e| e["resource_type"] == "institution_status_change")
        );
        let consumer = app.token("data_consumer", None, None);
        let end: Value = app
            .get_json(
                "/api/v1/sharing/changes?after=0&limit=50&types=nothing_such",
                Some(&consumer),
            )
            .await;
        assert_eq!(end["items"], json!([]));
        assert_eq!(
            end["next_after"], 5,
            "a filtered read moves on to the last position handed out"
        );
        let beyond = app
            .get("/api/v1/sharing/changes?after=6", Some(&consumer))
            .await;
        let problem = assert_problem(beyond, 409, "feed_position_ahead").await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("the last is 5")
        );
        let province = app.token("province_admin", None, None);
        assert_problem(
            app.get("/api/v1/sharing/changes", Some(&province)).await,
            403,
            "role_not_allowed",
        )
        .await;
        assert_problem(
            app.get("/api/v1/sharing/changes", None).await,
            401,
            "token_missing",
        )
        .await;
        let stored = crate::audit::scalar(
            &app.db,
            "SELECT COUNT(*) AS n FROM change_events WHERE data_enc LIKE '%13812345678%'",
        )
        .await;
        assert_eq!(stored, 0, "shared data is encrypted at rest");
    })
    .await;
}

#[tokio::test]
async fn concurrent_writers_holding_transactions_open_leave_no_gap_in_the_feed() {
    each_backend(|app| async move {
        let cipher = safetrain::crypto::DataCipher::from_settings(&app.settings).unwrap();
        const WRITERS: usize = 8;
        const EACH: usize = 6;
        let writers = (0..WRITERS).map(|w| {
            let (db, cipher) = (app.db.clone(), cipher.clone());
            tokio::spawn(async move {
                for n in 0..EACH {
                    let txn = safetrain::db::begin_write(&db).await.unwrap();
                    let change = Change::new(
                        "feed_probe",
                        uuid::Uuid::now_v7(),
                        Operation::Created,
                        1,
                        &json!({"writer": w, "n": n}),
                    )
                    .unwrap();
                    changes::append(&txn, &cipher, &[change]).await.unwrap();
                    // Held open on purpose: later transactions may commit first.
                    tokio::time::sleep(Duration::from_millis(((w * 7 + n * 13) % 40) as u64)).await;
                    txn.commit().await.unwrap();
                }
            })
        });
        let writers: Vec<_> = writers.collect();
        let events = read_feed(&app, "&types=feed_probe", 3, WRITERS * EACH).await;
        for w in writers {
            w.await.unwrap();
        }
        let positions: Vec<i64> = events
            .iter()
            .map(|e| e["position"].as_i64().unwrap())
            .collect();
        let expected: Vec<i64> = (1..=(WRITERS * EACH) as i64).collect();
        assert_eq!(
            positions, expected,
            "consecutive positions, no gap, no duplicate"
        );
        let distinct: BTreeSet<(i64, i64)> = events
            .iter()
            .map(|e| {
                (
                    e["data"]["writer"].as_i64().unwrap(),
                    e["data"]["n"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            distinct.len(),
            WRITERS * EACH,
            "every committed change arrived once"
        );
        for w in 0..WRITERS as i64 {
            let mine: Vec<i64> = events
                .iter()
                .filter(|e| e["data"]["writer"] == w)
                .map(|e| e["data"]["n"].as_i64().unwrap())
                .collect();
            assert_eq!(
                mine,
                (0..EACH as i64).collect::<Vec<_>>(),
                "a writer's changes keep its order"
            );
        }
    })
    .await;
}
