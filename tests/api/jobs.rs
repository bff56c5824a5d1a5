//! Background jobs: the sealer drains a backlog in one run and then rests, a leased job renews
//! its lease between steps, the purge runs on its schedule, and the chain's head is anchored.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::{ConnectionTrait, Database, EntityTrait};
use serde_json::Value;

use crate::audit::scalar;
use crate::helpers::institution_body;
use crate::helpers::{
    TestApp, TestDb, backends, each_backend, each_backend_with, spawn_with, test_settings,
};

/// The steps a job has run so far, from `/metrics`.
async fn steps(app: &TestApp, job: &str) -> u64 {
    let text = app.get("/metrics", None).await.text().await.unwrap();
    let key = format!("safetrain_job_steps_total{{job=\"{job}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&key))
        .map(|n| n.trim().parse().unwrap())
        .unwrap_or(0)
}

/// Waits (bounded) until `sql` counts zero.
async fn until_zero(db: &sea_orm::DatabaseConnection, sql: &str) {
    for _ in 0..200 {
        if scalar(db, sql).await == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never reached zero: {sql}");
}

#[tokio::test]
async fn the_sealer_drains_a_backlog_larger_than_a_batch_in_one_run_and_then_rests() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let settings = test_settings(&db);
        let first = spawn_with(settings.clone(), |_| {}).await;
        for _ in 0..13 {
            first.get("/api/v1/cities", None).await;
        }
        first.settle_audit().await;
        first.handle.stop(true).await;
        first.task.await.unwrap().unwrap();
        // The backlog: every record unsealed again, to be linked anew.
        let conn = Database::connect(&db.url).await.unwrap();
        conn.execute_unprepared(
            "UPDATE audit_logs SET chain_seq = NULL, prev_hash = NULL, chain_hash = NULL",
        )
        .await
        .unwrap();
        let backlog = scalar(&conn, "SELECT MAX(id) AS n FROM audit_logs").await;
        assert!(backlog > 13);
        let mut settings = settings;
        settings.audit.seal_batch_size = 5;
        settings.audit.seal_interval_ms = 3_600_000;
        let app = spawn_with(settings, |_| {}).await;
        until_zero(
            &conn,
            &format!(
                "SELECT COUNT(*) AS n FROM audit_logs WHERE chain_seq IS NULL AND id <= {backlog}"
            ),
        )
        .await;
        let report = safetrain::audit::verify::verify(&conn, None, None)
            .await
            .unwrap();
        assert!(report.ok, "{backend:?}: {report:?}");
        // The backlog took ceil(n / 5) + 1 steps in its run; then the sealer sleeps its interval.
        let after_drain = steps(&app, "audit_sealer").await;
        assert!(
            after_drain >= 3,
            "{backend:?}: several batches: {after_drain}"
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(
            steps(&app, "audit_sealer").await,
            after_drain,
            "{backend:?}: an idle sealer does not spin"
        );
        app.handle.stop(false).await;
        conn.close().await.ok();
        db.drop_db().await;
    }
}

#[tokio::test]
async fn a_leased_job_renews_its_lease_before_every_step_of_a_long_run() {
    each_backend(|app| async move {
        let expiries = Arc::new(Mutex::new(Vec::new()));
        let mut jobs =
            safetrain::jobs::Jobs::new(Arc::new(safetrain::metrics::Metrics::new().unwrap()));
        let (db, seen) = (app.db.clone(), expiries.clone());
        let mut left = 5;
        jobs.spawn_leased(
            "probe",
            app.db.clone(),
            Duration::from_secs(60),
            Duration::from_secs(3600),
            move || {
                let (db, seen) = (db.clone(), seen.clone());
                left -= 1;
                let more = left > 0;
                async move {
                    let at = safetrain::db::lease::expires_at(&db, "probe")
                        .await
                        .unwrap();
                    seen.lock()
                        .unwrap()
                        .push(at.expect("the lease is held while a step runs"));
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    if more {
                        safetrain::jobs::Step::More
                    } else {
                        safetrain::jobs::Step::Idle
                    }
                }
            },
        );
        for _ in 0..200 {
            if expiries.lock().unwrap().len() >= 5 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        jobs.shutdown().await;
        let seen = expiries.lock().unwrap().clone();
        assert_eq!(seen.len(), 5, "one run of five steps, then rest");
        assert!(
            seen.windows(2).all(|w| w[0] < w[1]),
            "renewed before each step: {seen:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_running_purge_removes_records_past_retention_on_its_schedule() {
    each_backend_with(
        |s| s.audit.purge_interval_secs = 1,
        |app| async move {
            app.get("/api/v1/cities", None).await;
            app.settle_audit().await;
            // Age the first records beyond retention; the purge job takes them on its own.
            app.db
                .execute_unprepared(
                    "UPDATE audit_logs SET occurred_at = '2020-01-01T00:00:00Z' WHERE chain_seq <= 1",
                )
                .await
                .unwrap();
            until_zero(&app.db, "SELECT COUNT(*) AS n FROM audit_logs WHERE chain_seq = 1").await;
            let checkpoints = safetrain::audit::seal::checkpoint::Entity::find()
                .all(&app.db)
                .await
                .unwrap();
            assert_eq!(checkpoints.len(), 1);
            assert_eq!(checkpoints[0].chain_seq, 1);
            let auditor = app.token("auditor", None, None);
            let report: Value = app.get_json("/api/v1/audit-logs/verify", Some(&auditor)).await;
            assert_eq!(report["ok"], true, "the new head links to the checkpoint: {report}");
        },
    )
    .await;
}

#[tokio::test]
async fn deleting_the_oldest_records_is_reported_as_a_missing_head() {
    each_backend(|app| async move {
        for _ in 0..4 {
            app.get("/api/v1/cities", None).await;
        }
        app.settle_audit().await;
        app.db
            .execute_unprepared("DELETE FROM audit_logs WHERE chain_seq <= 2")
            .await
            .unwrap();
        let auditor = app.token("auditor", None, None);
        let report: Value = app
            .get_json("/api/v1/audit-logs/verify", Some(&auditor))
            .await;
        assert_eq!(report["ok"], false, "{report}");
        assert_eq!(report["breach"], "head_missing");
        let head = scalar(
            &app.db,
            "SELECT id AS n FROM audit_logs WHERE chain_seq = 3",
        )
        .await;
        assert_eq!(report["first_broken"], head);
    })
    .await;
}

#[tokio::test]
async fn a_record_whose_content_hash_was_recomputed_still_breaks_its_link() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    each_backend(|app| async move {
        for _ in 0..3 {
            app.get("/api/v1/cities/440100", None).await;
        }
        app.settle_audit().await;
        let victim = safetrain::audit::entity::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.chain_seq == Some(2))
            .unwrap();
        // Rewritten the way the server computes it: only the chain link can tell.
        let mut forged = victim.clone();
        forged.response_body = Some("{\"code\":\"440300\"}".into());
        forged.content_hash = safetrain::audit::chain::content_hash(&forged);
        let mut row: safetrain::audit::entity::ActiveModel = victim.clone().into();
        row.response_body = Set(forged.response_body.clone());
        row.content_hash = Set(forged.content_hash.clone());
        row.update(&app.db).await.unwrap();
        let auditor = app.token("auditor", None, None);
        let report: Value = app
            .get_json("/api/v1/audit-logs/verify", Some(&auditor))
            .await;
        assert_eq!(report["ok"], false, "{report}");
        assert_eq!(report["first_broken"], victim.id);
        assert_eq!(report["breach"], "altered");
    })
    .await;
}

#[tokio::test]
async fn a_long_log_is_purged_in_chunks_each_leaving_a_verifiable_head() {
    each_backend_with(
        |s| s.audit.purge_interval_secs = 3600,
        |app| async move {
            for _ in 0..9 {
                app.get("/api/v1/cities", None).await;
            }
            app.settle_audit().await;
            // Every stored body unused for years: they go too, but only with the last chunk,
            // once no record that could point at them is left.
            app.db
                .execute_unprepared("UPDATE audit_bodies SET used_at = '2000-01-01T00:00:00Z'")
                .await
                .unwrap();
            let old_bodies =
                "SELECT COUNT(*) AS n FROM audit_bodies WHERE used_at < '2001-01-01T00:00:00Z'";
            let bodies = scalar(&app.db, old_bodies).await;
            assert!(bodies >= 1, "a page of cities is stored as a body");
            let sealed = scalar(
                &app.db,
                "SELECT COUNT(*) AS n FROM audit_logs WHERE chain_seq IS NOT NULL",
            )
            .await;
            assert!(sealed >= 5);
            // Retention 0: every sealed record is past it.
            let mut chunks = Vec::new();
            loop {
                let (n, more) = safetrain::audit::seal::purge(&app.db, 0, 2).await.unwrap();
                chunks.push(n as i64);
                let report = safetrain::audit::verify::verify(&app.db, None, None)
                    .await
                    .unwrap();
                assert!(
                    report.ok,
                    "the head links to the checkpoint after every chunk: {report:?}"
                );
                if !more {
                    break;
                }
                assert_eq!(
                    scalar(&app.db, old_bodies).await,
                    bodies,
                    "bodies stay while records past retention remain: {chunks:?}"
                );
            }
            let (last, whole) = chunks.split_last().unwrap();
            assert!(
                whole.iter().all(|n| *n == 2),
                "a whole chunk per transaction until the last: {chunks:?}"
            );
            assert!(
                (1..=2).contains(last),
                "the last chunk says no more is left: {chunks:?}"
            );
            assert!(chunks.len() >= 5);
            assert!(chunks.iter().sum::<i64>() >= sealed);
            assert_eq!(
                scalar(&app.db, old_bodies).await,
                0,
                "the last chunk took the bodies"
            );
        },
    )
    .await;
}

#[tokio::test]
async fn reading_the_audit_log_records_which_records_were_read_not_a_copy() {
    each_backend(|app| async move {
        app.get("/api/v1/cities", None).await;
        app.settle_audit().await;
        let auditor = app.token("auditor", None, None);
        let res = app
            .get("/api/v1/audit-logs?limit=200", Some(&auditor))
            .await;
        let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        let page: Value = res.json().await.unwrap();
        let ids: Vec<i64> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        assert!(!ids.is_empty());
        app.settle_audit().await;
        let again: Value = app
            .get_json("/api/v1/audit-logs?limit=200", Some(&auditor))
            .await;
        let record = again["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["request_id"] == request_id.as_str())
            .unwrap()
            .clone();
        assert_eq!(record["response_body"]["records"], serde_json::json!(ids));
        assert!(
            record["response_body"].get("items").is_none(),
            "no second copy of the records"
        );
    })
    .await;
}

#[tokio::test]
async fn a_starting_server_purges_expired_idempotency_keys_and_keeps_live_ones() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let settings = test_settings(&db);
        let first = spawn_with(settings.clone(), |_| {}).await;
        let admin = first.token("city_admin", Some("440100"), None);
        for (key, n) in [("expired-1", 850), ("live-1", 851)] {
            let res = first
                .request(reqwest::Method::POST, "/api/v1/institutions", Some(&admin))
                .header("Idempotency-Key", key)
                .json(&institution_body("440100", n, &format!("幂等清理{n}")))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 201);
        }
        first.handle.stop(true).await;
        first.task.await.unwrap().unwrap();
        let conn = Database::connect(&db.url).await.unwrap();
        conn.execute_unprepared(
            "UPDATE idempotency_keys SET expires_at = '2020-01-01T00:00:00Z' WHERE key = 'expired-1'",
        )
        .await
        .unwrap();
        let app = spawn_with(settings, |_| {}).await;
        until_zero(
            &conn,
            "SELECT COUNT(*) AS n FROM idempotency_keys WHERE key = 'expired-1'",
        )
        .await;
        assert_eq!(
            scalar(
                &conn,
                "SELECT COUNT(*) AS n FROM idempotency_keys WHERE key = 'live-1'"
            )
            .await,
            1,
            "{backend:?}: a key within its time stays"
        );
        app.handle.stop(false).await;
        conn.close().await.ok();
        db.drop_db().await;
    }
}
