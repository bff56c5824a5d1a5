//! What every resource gets from the template: the one write path, bodies measured as they
//! stream, the client's address behind a trusted proxy, and metrics on their own address.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::{HttpResponse, web};
use futures_util::StreamExt;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::audit::scalar;
use crate::helpers::{
    TestDb, backends, each_backend, each_backend_with, institution_body, spawn_with, test_settings,
};

/// The largest single allocation since the last reset: buffering a body whole needs one
/// allocation of its size.
pub static LARGEST: AtomicUsize = AtomicUsize::new(0);

/// Held for writing while a test measures [`LARGEST`], and for reading by a test that must make
/// a large allocation (reading a font whole), so that one does not count in the other.
pub static MEASURING: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

pub struct Tracking;

unsafe impl std::alloc::GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }
}

#[tokio::test]
async fn the_write_path_commits_nothing_when_its_audit_record_cannot_be_written() {
    each_backend(|app| async move {
        let block = match app.db.get_database_backend() {
            sea_orm::DbBackend::Postgres => vec![
                "CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_logs FOR EACH ROW EXECUTE FUNCTION refuse_audit()",
            ],
            _ => vec!["CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_logs BEGIN SELECT RAISE(ABORT, 'audit refused'); END"],
        };
        for sql in block {
            app.db.execute_unprepared(sql).await.unwrap();
        }
        let admin = app.token("city_admin", Some("440100"), None);
        let res = app.post("/api/v1/institutions", Some(&admin), &institution_body("440100", 900, "无审计")).await;
        assert_eq!(res.status(), 500, "no 2xx without its audit record");
        app.db.execute_unprepared("DROP TRIGGER refuse_audit ON audit_logs").await.ok();
        app.db.execute_unprepared("DROP TRIGGER IF EXISTS refuse_audit").await.ok();
        for table in ["institutions", "institution_status_changes", "change_events", "idempotency_keys"] {
            let n = scalar(&app.db, &format!("SELECT COUNT(*) AS n FROM {table}")).await;
            assert_eq!(n, 0, "{table}: nothing of the write was committed");
        }
    })
    .await;
}

/// A route of the test only: reads a body chunk by chunk, as an upload will.
fn upload_route(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/api/v1/test-upload",
        web::put().to(|mut body: web::Payload| async move {
            let (mut total, mut largest) = (0usize, 0usize);
            while let Some(chunk) = body.next().await {
                let chunk = chunk?;
                total += chunk.len();
                largest = largest.max(chunk.len());
            }
            Ok::<_, actix_web::Error>(
                HttpResponse::Ok().json(json!({"total": total, "largest_chunk": largest})),
            )
        }),
    )
    .route(
        "/api/v1/test-download",
        web::get().to(|| async {
            // 64 MiB streamed in 64 KiB chunks: far more than socket buffers hold.
            let chunks = futures_util::stream::iter(
                (0..1024).map(|_| Ok::<_, std::io::Error>(web::Bytes::from(vec![7u8; 64 * 1024]))),
            );
            HttpResponse::Ok()
                .content_type("application/octet-stream")
                .streaming(chunks)
        }),
    )
    .route(
        "/api/v1/test-empty",
        web::get().to(|| async { HttpResponse::Ok().finish() }),
    );
}

#[tokio::test]
async fn an_answer_the_client_stops_reading_is_recorded_as_incomplete_and_an_empty_one_as_whole() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = spawn_with(test_settings(&db), upload_route).await;
        let mut stream = tokio::net::TcpStream::connect(app.address.trim_start_matches("http://"))
            .await
            .unwrap();
        stream
            .write_all(b"GET /api/v1/test-download HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut some = vec![0u8; 256 * 1024];
        let mut got = 0;
        while got < some.len() {
            got += stream.read(&mut some[got..]).await.unwrap();
        }
        drop(stream);
        let empty = app.get("/api/v1/test-empty", None).await;
        assert_eq!(empty.status(), 200);
        let auditor = app.token("auditor", None, None);
        let mut records = Vec::new();
        for _ in 0..100 {
            app.settle_audit().await;
            let page: Value = app
                .get_json("/api/v1/audit-logs?limit=200", Some(&auditor))
                .await;
            records = page["items"].as_array().unwrap().clone();
            if records
                .iter()
                .any(|r| r["route"] == "/api/v1/test-download")
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let download = records
            .iter()
            .find(|r| r["route"] == "/api/v1/test-download")
            .expect("recorded");
        assert_eq!(
            download["response_body"]["complete"], false,
            "{backend:?}: {download}"
        );
        assert!(download["response_body"]["size"].as_u64().unwrap() < 64 * 1024 * 1024);
        let empty = records
            .iter()
            .find(|r| r["route"] == "/api/v1/test-empty")
            .expect("recorded");
        assert_eq!(
            empty["response_body"],
            json!({"sha256": hex::encode(Sha256::digest(b"")), "size": 0}),
            "{backend:?}: an empty answer is whole"
        );
        app.handle.stop(false).await;
        db.drop_db().await;
    }
}

#[tokio::test]
async fn a_large_non_json_body_is_recorded_as_its_hash_and_size_without_being_buffered() {
    const SIZE: usize = 10 * 1024 * 1024;
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = spawn_with(test_settings(&db), upload_route).await;
        let chunk: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
        let mut sha = Sha256::new();
        for _ in 0..SIZE / chunk.len() {
            sha.update(&chunk);
        }
        let expected = hex::encode(sha.finalize());
        let measuring = MEASURING.write().await;
        LARGEST.store(0, Ordering::Relaxed);
        let mut stream = tokio::net::TcpStream::connect(app.address.trim_start_matches("http://"))
            .await
            .unwrap();
        let head = format!(
            "PUT /api/v1/test-upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: {SIZE}\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        for _ in 0..SIZE / chunk.len() {
            stream.write_all(&chunk).await.unwrap();
        }
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer))
            .await
            .unwrap()
            .unwrap();
        let answer = String::from_utf8_lossy(&answer).into_owned();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        let sent = answer.split_once("\r\n\r\n").unwrap().1.to_owned();
        assert!(answer.contains(&format!("\"total\":{SIZE}")));
        let largest = LARGEST.load(Ordering::Relaxed);
        drop(measuring);
        // Buffering the body whole needs one allocation of its size (a growing buffer, more);
        // other tests running meanwhile allocate far less than that.
        assert!(
            largest < SIZE,
            "{backend:?}: no allocation as large as the body ({largest} bytes)"
        );
        app.settle_audit().await;
        let auditor = app.token("auditor", None, None);
        let page: Value = app
            .get_json("/api/v1/audit-logs?limit=200", Some(&auditor))
            .await;
        let record = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["route"] == "/api/v1/test-upload")
            .unwrap()
            .clone();
        assert_eq!(
            record["request_body"],
            json!({"sha256": expected, "size": SIZE}),
            "{backend:?}"
        );
        assert_eq!(
            record["response_body"],
            json!({"sha256": hex::encode(Sha256::digest(sent.as_bytes())), "size": sent.len()}),
            "an answer not built by the context is measured as it streams out, whole"
        );
        app.handle.stop(false).await;
        db.drop_db().await;
    }
}

#[tokio::test]
async fn a_trusted_proxys_forwarded_address_reaches_the_audit_record_an_untrusted_one_does_not() {
    for trusted in [true, false] {
        each_backend_with(
            |s| {
                if trusted {
                    s.trusted_proxies = vec!["127.0.0.0/8".into()];
                }
            },
            |app| async move {
                let res = app
                    .request(reqwest::Method::GET, "/api/v1/cities/440100", None)
                    .header("X-Forwarded-For", "198.51.100.1, 203.0.113.7")
                    .send()
                    .await
                    .unwrap();
                let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
                app.settle_audit().await;
                let auditor = app.token("auditor", None, None);
                let page: Value = app
                    .get_json("/api/v1/audit-logs?limit=200", Some(&auditor))
                    .await;
                let record = page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|r| r["request_id"] == request_id.as_str())
                    .unwrap()
                    .clone();
                let expected = if trusted { "203.0.113.7" } else { "127.0.0.1" };
                assert_eq!(record["client_ip"], expected, "trusted: {trusted}");
            },
        )
        .await;
    }
}

#[tokio::test]
async fn metrics_can_be_served_on_an_address_of_their_own() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let mut settings = test_settings(&db);
        settings.metrics_listen = Some("127.0.0.1:0".into());
        let app = safetrain::startup::Application::build(settings)
            .await
            .unwrap();
        let (port, metrics_port) = (app.port(), app.metrics_port().unwrap());
        let handle = app.handle();
        let task = tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::new();
        let main = client
            .get(format!("http://127.0.0.1:{port}/metrics"))
            .send()
            .await
            .unwrap();
        assert_eq!(main.status(), 404, "not on the public address");
        let own = client
            .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
            .send()
            .await
            .unwrap();
        assert_eq!(own.status(), 200);
        assert!(
            own.text()
                .await
                .unwrap()
                .contains("safetrain_audit_queue_depth")
        );
        handle.stop(true).await;
        task.await.unwrap().unwrap();
        db.drop_db().await;
    }
}
