use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::Value;

use crate::helpers::{
    TestApp, TestDb, assert_problem, backends, each_backend, institution_body, spawn_with,
    test_settings,
};

pub async fn scalar(app_db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    let row = app_db
        .query_one_raw(Statement::from_string(app_db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

async fn exec(app: &TestApp, sql: &str) {
    app.db.execute_unprepared(sql).await.unwrap();
}

#[tokio::test]
async fn a_write_commits_its_audit_record_with_it() {
    each_backend(|app| async move {
        let inst = app.create_institution(&institution_body("440100", 1, "审计")).await;
        let id = inst["id"].as_str().unwrap();
        // No waiting: the record was committed in the same transaction as the row.
        let row = app
            .db
            .query_one_raw(Statement::from_string(
                app.db.get_database_backend(),
                format!("SELECT status, request_body, response_body, actor_subject, route, method FROM audit_logs WHERE resource_id = '{id}'"),
            ))
            .await
            .unwrap()
            .expect("the audit record is there as soon as the 201 is");
        assert_eq!(row.try_get::<i32>("", "status").unwrap(), 201);
        assert_eq!(row.try_get::<String>("", "route").unwrap(), "/api/v1/institutions");
        assert_eq!(row.try_get::<String>("", "actor_subject").unwrap(), "city_admin-440100");
        let request: Value = serde_json::from_str(&row.try_get::<String>("", "request_body").unwrap()).unwrap();
        let response: Value = serde_json::from_str(&row.try_get::<String>("", "response_body").unwrap()).unwrap();
        assert_eq!(request["contact_phone"], "138****5678", "personal fields are masked in the log");
        assert_eq!(response["contact_phone"], "138****5678");
        assert_eq!(response["id"], id);
        assert_eq!(request["name"], "审计");
    })
    .await;
}

#[tokio::test]
async fn reads_and_refusals_are_audited_with_their_request_id() {
    each_backend(|app| async move {
        let res = app.get("/api/v1/cities/440100", None).await;
        let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        let list = app.get("/api/v1/cities", None).await;
        let list_id = list.headers()["x-request-id"].to_str().unwrap().to_owned();
        let refused = app.get("/api/v1/institutions", Some("not-a-token")).await;
        assert_eq!(refused.status(), 401);
        app.settle_audit().await;
        let auditor = app.token("auditor", None, None);
        let page: Value = app
            .get_json("/api/v1/audit-logs?limit=200", Some(&auditor))
            .await;
        let items = page["items"].as_array().unwrap();
        let read = items
            .iter()
            .find(|r| r["request_id"] == request_id.as_str())
            .expect("the read is in the log");
        assert_eq!(read["route"], "/api/v1/cities/{code}");
        assert_eq!(read["status"], 200);
        assert!(read["actor"].is_null());
        assert_eq!(read["response_body"]["code"], "440100");
        // Found by Schemathesis: bodies are any JSON, arrays included, and the schema says so.
        let listed = items
            .iter()
            .find(|r| r["request_id"] == list_id.as_str())
            .expect("the list read");
        assert_eq!(listed["response_body"].as_array().map(Vec::len), Some(22));
        assert!(read["chain_hash"].as_str().unwrap().len() == 64, "sealed");
        let denied = items
            .iter()
            .find(|r| r["status"] == 401)
            .expect("the refusal is in the log");
        assert_eq!(denied["response_body"]["code"], "token_malformed");
        let ids: Vec<i64> = items.iter().map(|r| r["id"].as_i64().unwrap()).collect();
        assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first");
    })
    .await;
}

#[tokio::test]
async fn an_overlong_path_or_method_is_audited_without_stopping_the_writer() {
    each_backend(|app| async move {
        let long_path = format!("/api/v1/{}", "x".repeat(300));
        assert_eq!(app.get(&long_path, None).await.status(), 404);
        let method = reqwest::Method::from_bytes(b"PROPFINDEVERYTHINGATONCE").unwrap();
        let odd = app
            .request(method, "/api/v1/cities", None)
            .send()
            .await
            .unwrap();
        assert!(odd.status().is_client_error());
        let after = app.get("/api/v1/cities/440300", None).await;
        let after_id = after.headers()["x-request-id"].to_str().unwrap().to_owned();
        let report = app.settle_audit().await;
        assert_eq!(report["ok"], true);
        let auditor = app.token("auditor", None, None);
        let page: Value = app
            .get_json("/api/v1/audit-logs?status=404&limit=200", Some(&auditor))
            .await;
        let unmatched = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["route"].as_str().unwrap().starts_with("/api/v1/xxx"))
            .expect("the unmatched path is in the log");
        let route = unmatched["route"].as_str().unwrap();
        assert_eq!(route.chars().count(), 200, "cut to the column's size");
        assert!(route.ends_with('…'));
        let all: Value = app
            .get_json("/api/v1/audit-logs?limit=200", Some(&auditor))
            .await;
        let items = all["items"].as_array().unwrap();
        assert!(
            items.iter().any(|r| r["method"] == "PROPFINDEVERYTH…"),
            "the extension method, cut to 16 characters"
        );
        assert!(
            items.iter().any(|r| r["request_id"] == after_id.as_str()),
            "records after them are still written"
        );
        let metrics = app.get("/metrics", None).await.text().await.unwrap();
        assert!(metrics.contains("safetrain_audit_records_lost_total 0"));
    })
    .await;
}

#[tokio::test]
async fn the_audit_log_filters_and_scopes_by_city() {
    each_backend(|app| async move {
        let gz = app
            .create_institution(&institution_body("440100", 2, "广州"))
            .await;
        let sz = app
            .create_institution(&institution_body("440300", 3, "深圳"))
            .await;
        app.settle_audit().await;
        let auditor = app.token("auditor", None, None);
        let by_resource: Value = app
            .get(
                &format!(
                    "/api/v1/audit-logs?resource_type=institution&resource_id={}",
                    sz["id"].as_str().unwrap()
                ),
                Some(&auditor),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(by_resource["items"].as_array().unwrap().len(), 1);
        let gz_admin = app.token("city_admin", Some("440100"), None);
        let page: Value = app
            .get_json("/api/v1/audit-logs?status=201", Some(&gz_admin))
            .await;
        let seen: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["resource_id"].as_str())
            .collect();
        assert_eq!(
            seen,
            vec![gz["id"].as_str().unwrap()],
            "a city admin sees its city only"
        );
        let future: Value = app
            .get_json(
                "/api/v1/audit-logs?from=2099-01-01T00:00:00Z",
                Some(&auditor),
            )
            .await;
        assert_eq!(future["items"].as_array().unwrap().len(), 0);
        let learner = app.token("learner", None, None);
        assert_problem(
            app.get("/api/v1/audit-logs", Some(&learner)).await,
            403,
            "role_not_allowed",
        )
        .await;
        assert_problem(
            app.get("/api/v1/audit-logs/verify", Some(&gz_admin)).await,
            403,
            "role_not_allowed",
        )
        .await;
        assert_problem(
            app.get("/api/v1/audit-logs?from=yesterday", Some(&auditor))
                .await,
            400,
            "validation_failed",
        )
        .await;
        // Found by Schemathesis on PostgreSQL: a NUL in a filter is refused, not a 500.
        let nul = app
            .get("/api/v1/audit-logs?actor=a%00b", Some(&auditor))
            .await;
        let problem = assert_problem(nul, 400, "validation_failed").await;
        assert_eq!(problem["errors"][0]["rule"], "nul_character");
    })
    .await;
}

#[tokio::test]
async fn verification_names_the_first_altered_or_missing_record() {
    each_backend(|app| async move {
        for n in 0..4 {
            app.create_institution(&institution_body("440100", 10 + n, &format!("链{n}")))
                .await;
        }
        let report = app.settle_audit().await;
        assert_eq!(report["ok"], true, "{report}");
        let total = scalar(&app.db, "SELECT COUNT(*) AS n FROM audit_logs").await;
        assert!(report["checked"].as_i64().unwrap() >= 4);
        let auditor = app.token("auditor", None, None);
        let victim = scalar(
            &app.db,
            "SELECT id AS n FROM audit_logs WHERE status = 201 ORDER BY id LIMIT 1 OFFSET 2",
        )
        .await;
        exec(
            &app,
            &format!("UPDATE audit_logs SET status = 200 WHERE id = {victim}"),
        )
        .await;
        let broken: Value = app
            .get_json("/api/v1/audit-logs/verify", Some(&auditor))
            .await;
        assert_eq!(broken["ok"], false);
        assert_eq!(broken["first_broken"], victim, "{broken}");
        exec(
            &app,
            &format!("UPDATE audit_logs SET status = 201 WHERE id = {victim}"),
        )
        .await;
        let repaired: Value = app
            .get_json("/api/v1/audit-logs/verify", Some(&auditor))
            .await;
        assert_eq!(repaired["ok"], true);
        exec(&app, "DELETE FROM audit_logs WHERE chain_seq = 3").await;
        let after_delete: Value = app
            .get_json("/api/v1/audit-logs/verify", Some(&auditor))
            .await;
        assert_eq!(
            after_delete["ok"], false,
            "a deleted record breaks the chain"
        );
        let next = scalar(
            &app.db,
            "SELECT id AS n FROM audit_logs WHERE chain_seq = 4",
        )
        .await;
        assert_eq!(after_delete["first_broken"], next);
        assert!(total > 0);
    })
    .await;
}

#[tokio::test]
async fn a_large_body_read_again_is_stored_once_shown_in_full_and_verified() {
    each_backend(|app| async move {
        let mut ids = Vec::new();
        for _ in 0..3 {
            let res = app.get("/api/v1/cities", None).await;
            ids.push(res.headers()["x-request-id"].to_str().unwrap().to_owned());
            assert!(res.bytes().await.unwrap().len() > safetrain::audit::bodies::INLINE_MAX);
        }
        let report = app.settle_audit().await;
        assert_eq!(report["ok"], true, "{report}");
        let reads = "FROM audit_logs WHERE route = '/api/v1/cities'";
        assert_eq!(scalar(&app.db, &format!("SELECT COUNT(*) AS n {reads}")).await, 3);
        assert_eq!(
            scalar(&app.db, &format!("SELECT COUNT(DISTINCT response_body_sha256) AS n {reads}")).await,
            1,
            "the three identical answers point at one body"
        );
        assert_eq!(
            scalar(&app.db, &format!("SELECT COUNT(response_body) AS n {reads}")).await,
            0,
            "and do not repeat it inline"
        );
        assert_eq!(
            scalar(
                &app.db,
                &format!("SELECT COUNT(*) AS n FROM audit_bodies WHERE sha256 IN (SELECT response_body_sha256 {reads})")
            )
            .await,
            1
        );
        let auditor = app.token("auditor", None, None);
        let page: Value = app.get_json("/api/v1/audit-logs?limit=200", Some(&auditor)).await;
        for id in &ids {
            let record = page["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["request_id"] == id.as_str())
                .expect("each read has its record");
            assert_eq!(record["response_body"].as_array().unwrap().len(), 22);
            assert_eq!(record["response_body"][0]["code"], "440100");
        }
        exec(
            &app,
            &format!("UPDATE audit_bodies SET body = REPLACE(body, '440300', '440399') WHERE sha256 IN (SELECT response_body_sha256 {reads})"),
        )
        .await;
        let first = scalar(&app.db, &format!("SELECT MIN(chain_seq) AS n {reads}")).await;
        let first_id = scalar(&app.db, &format!("SELECT id AS n FROM audit_logs WHERE chain_seq = {first}")).await;
        let broken: Value = app.get_json("/api/v1/audit-logs/verify", Some(&auditor)).await;
        assert_eq!(broken["ok"], false, "an altered stored body breaks its records");
        assert_eq!(broken["first_broken"], first_id, "{broken}");
    })
    .await;
}

#[tokio::test]
async fn two_servers_share_one_database_and_one_sealer() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let settings = test_settings(&db);
        let a = spawn_with(settings.clone(), |_| {}).await;
        let b = spawn_with(settings, |_| {}).await;
        for n in 0..6u32 {
            let server = if n % 2 == 0 { &a } else { &b };
            server
                .create_institution(&institution_body("440100", 300 + n, &format!("双{n}")))
                .await;
            server.get("/api/v1/cities", None).await;
        }
        let report = a.settle_audit().await;
        assert_eq!(report["ok"], true, "{backend:?}: {report}");
        // Stop both gracefully: each writes its queue and seals what is left before it ends.
        for server in [a, b] {
            server.handle.stop(true).await;
            server.task.await.unwrap().unwrap();
        }
        let conn = Database::connect(&db.url).await.unwrap();
        let total = scalar(&conn, "SELECT COUNT(*) AS n FROM audit_logs").await;
        let sealed = scalar(
            &conn,
            "SELECT COUNT(*) AS n FROM audit_logs WHERE chain_seq IS NOT NULL",
        )
        .await;
        let max_seq = scalar(&conn, "SELECT MAX(chain_seq) AS n FROM audit_logs").await;
        assert_eq!(
            sealed, total,
            "{backend:?}: nothing left unsealed after shutdown"
        );
        assert_eq!(
            max_seq, sealed,
            "{backend:?}: one contiguous chain, no double sealing"
        );
        let verified = safetrain::audit::verify::verify(&conn, None, None)
            .await
            .unwrap();
        assert!(
            verified.ok && verified.checked as i64 == total,
            "{backend:?}: {verified:?}"
        );
        let leases = scalar(
            &conn,
            "SELECT COUNT(*) AS n FROM leases WHERE name = 'audit_sealer'",
        )
        .await;
        assert_eq!(
            leases, 0,
            "{backend:?}: a stopped server gives its lease up"
        );
        conn.close().await.ok();
        db.drop_db().await;
    }
}

#[tokio::test]
async fn queued_records_are_written_on_graceful_shutdown() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let mut settings = test_settings(&db);
        settings.audit.flush_interval_ms = 3_600_000;
        let app = spawn_with(settings, |_| {}).await;
        for _ in 0..25 {
            assert_eq!(app.get("/api/v1/cities", None).await.status(), 200);
        }
        app.handle.stop(true).await;
        app.task.await.unwrap().unwrap();
        let conn = Database::connect(&db.url).await.unwrap();
        let written = scalar(&conn, "SELECT COUNT(*) AS n FROM audit_logs").await;
        assert_eq!(
            written, 25,
            "{backend:?}: every queued read record reached the database"
        );
        conn.close().await.ok();
        db.drop_db().await;
    }
}

#[tokio::test]
async fn sealed_records_past_retention_are_purged_and_retention_is_never_below_180_days() {
    use safetrain::audit::{chain, seal, verify};
    use sea_orm::ActiveModelTrait;
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let settings = test_settings(&db);
        // The test holds the sealer lease, so the server's own sealer stays idle.
        let conn = safetrain::db::connect(&settings).await.unwrap();
        safetrain::db::migrate(&conn).await.unwrap();
        assert!(
            safetrain::db::lease::try_acquire(
                &conn,
                "audit_sealer",
                "the-test",
                chrono::Duration::hours(1)
            )
            .await
            .unwrap()
        );
        let app = spawn_with(settings, |_| {}).await;
        let old = chrono::DateTime::parse_from_rfc3339("2020-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let mut record = safetrain::audit::entity::Model {
            id: 0,
            request_id: uuid::Uuid::now_v7(),
            occurred_at: old,
            actor_subject: None,
            actor_issuer: None,
            actor_role: None,
            actor_city: None,
            actor_institution: None,
            client_ip: "127.0.0.1".into(),
            method: "GET".into(),
            route: "/api/v1/cities".into(),
            resource_type: None,
            resource_id: None,
            resource_city: None,
            status: 200,
            latency_us: 1,
            request_body: None,
            response_body: None,
            content_hash: String::new(),
            chain_seq: None,
            prev_hash: None,
            chain_hash: None,
            request_body_sha256: None,
            response_body_sha256: None,
        };
        record.content_hash = chain::content_hash(&record);
        safetrain::audit::entity::new_record(record)
            .insert(&conn)
            .await
            .unwrap();
        app.create_institution(&institution_body("440100", 400, "保留"))
            .await;
        assert_eq!(
            seal::purge(&conn, 180, 10_000).await.unwrap().0,
            0,
            "{backend:?}: unsealed records are never purged"
        );
        while seal::seal_batch(&conn, 1000).await.unwrap() > 0 {}
        assert_eq!(
            seal::purge(&conn, 180, 10_000).await.unwrap().0,
            1,
            "{backend:?}: the sealed record past retention goes"
        );
        assert_eq!(
            seal::purge(&conn, 180, 10_000).await.unwrap().0,
            0,
            "recent records stay"
        );
        use safetrain::audit::bodies;
        for (sha, used_at) in [
            ("a".repeat(64), old),
            ("b".repeat(64), safetrain::db::now()),
        ] {
            bodies::ActiveModel {
                sha256: sea_orm::ActiveValue::Set(sha),
                body: sea_orm::ActiveValue::Set("[]".into()),
                used_at: sea_orm::ActiveValue::Set(used_at),
            }
            .insert(&conn)
            .await
            .unwrap();
        }
        seal::purge(&conn, 180, 10_000).await.unwrap();
        assert_eq!(
            scalar(
                &conn,
                "SELECT COUNT(*) AS n FROM audit_bodies WHERE sha256 LIKE 'a%'"
            )
            .await,
            0,
            "{backend:?}: a body unused past retention goes"
        );
        assert_eq!(
            scalar(
                &conn,
                "SELECT COUNT(*) AS n FROM audit_bodies WHERE sha256 LIKE 'b%'"
            )
            .await,
            1,
            "{backend:?}: a body in use stays"
        );
        let report = verify::verify(&conn, None, None).await.unwrap();
        assert!(
            report.ok,
            "{backend:?}: the chain still verifies from its new first record"
        );
        conn.close().await.ok();
        app.handle.stop(false).await;
        db.drop_db().await;
    }
    let mut settings = safetrain::config::Settings::default();
    settings.audit.retention_days = 179;
    assert_eq!(settings.validate().unwrap_err().key, "audit.retention_days");
}

#[tokio::test]
async fn an_unread_body_is_recorded_by_its_declared_size_and_no_body_as_nothing() {
    each_backend(|app| async move {
        let body = serde_json::json!({"name": "未读"}).to_string();
        let refused = app
            .request(reqwest::Method::POST, "/api/v1/institutions", None)
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 401);
        let refused_id = refused.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        let empty = app
            .request(reqwest::Method::POST, "/api/v1/institutions", None)
            .header("Content-Type", "application/json")
            .header("Content-Length", "0")
            .send()
            .await
            .unwrap();
        let empty_id = empty.headers()["x-request-id"].to_str().unwrap().to_owned();
        let plain = app.get("/api/v1/cities/440100", None).await;
        let plain_id = plain.headers()["x-request-id"].to_str().unwrap().to_owned();
        app.settle_audit().await;
        let auditor = app.token("auditor", None, None);
        let page: Value = app
            .get_json("/api/v1/audit-logs?limit=200", Some(&auditor))
            .await;
        let record = |id: &str| {
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["request_id"] == id)
                .unwrap()
                .clone()
        };
        assert_eq!(
            record(&refused_id)["request_body"],
            serde_json::json!({"size": body.len(), "read": false}),
            "the token is refused before the body is read"
        );
        assert_eq!(record(&plain_id)["request_body"], Value::Null);
        assert_eq!(
            record(&empty_id)["request_body"],
            Value::Null,
            "an empty body is no body"
        );
    })
    .await;
}
