use actix_web::{HttpResponse, web};
use serde_json::Value;

use crate::helpers::{
    Backend, DbProxy, TestDb, assert_problem, backends, each_backend, each_backend_with,
    spawn_with, test_settings, via_port,
};

#[tokio::test]
async fn liveness_readiness_and_metrics_answer() {
    each_backend(|app| async move {
        assert_eq!(app.get_json("/healthz", None).await["status"], "ok");
        assert_eq!(app.get_json("/readyz", None).await["status"], "ready");
        app.get("/api/v1/cities", None).await;
        let metrics = app.get("/metrics", None).await.text().await.unwrap();
        for name in [
            "safetrain_http_requests_total",
            "safetrain_audit_records_lost_total",
            "safetrain_audit_queue_depth",
            "safetrain_database_up 1",
        ] {
            assert!(metrics.contains(name), "{name} missing");
        }
        assert!(
            metrics.contains("route=\"/api/v1/cities\""),
            "requests are counted by route template"
        );
    })
    .await;
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_problems() {
    each_backend(|app| async move {
        assert_problem(
            app.get("/api/v1/nothing-here", None).await,
            404,
            "not_found",
        )
        .await;
        let res = app
            .request(reqwest::Method::DELETE, "/api/v1/institutions", None)
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["allow"], "GET, POST");
        assert_problem(res, 405, "method_not_allowed").await;
        let res = app
            .request(reqwest::Method::PUT, "/api/v1/cities/440100", None)
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["allow"], "GET");
    })
    .await;
}

#[tokio::test]
async fn swagger_ui_and_the_spec_are_served_locally() {
    each_backend(|app| async move {
        let ui = app.get("/docs/", None).await;
        assert_eq!(ui.status(), 200);
        assert!(ui.text().await.unwrap().contains("swagger"));
        let initializer = app
            .get("/docs/swagger-initializer.js", None)
            .await
            .text()
            .await
            .unwrap();
        assert!(initializer.contains("/api-docs/openapi.json"));
        let quiet = crate::template::MEASURING.read().await;
        let served: Value = app.get_json("/api-docs/openapi.json", None).await;
        drop(quiet);
        let committed: Value =
            serde_json::from_str(include_str!("../../openapi/openapi.json")).unwrap();
        assert_eq!(
            served, committed,
            "the server publishes the committed contract"
        );
    })
    .await;
}

fn panicking_route(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/api/v1/test-panic",
        web::get().to(|| async {
            if std::hint::black_box(true) {
                panic!("secret internals: password=hunter2");
            }
            HttpResponse::Ok().finish()
        }),
    );
}

#[tokio::test]
async fn a_panicking_handler_answers_500_without_internals_and_is_audited() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = spawn_with(test_settings(&db), panicking_route).await;
        let caller = app.token("province_admin", None, None);
        let res = app.get("/api/v1/test-panic", Some(&caller)).await;
        let problem = assert_problem(res, 500, "internal_error").await;
        assert!(
            !problem.to_string().contains("hunter2") && !problem.to_string().contains("secret"),
            "{problem}"
        );
        assert_eq!(
            app.get("/healthz", None).await.status(),
            200,
            "the server lives on"
        );
        app.settle_audit().await;
        let auditor = app.token("auditor", None, None);
        let logs: Value = app
            .get_json("/api/v1/audit-logs?status=500", Some(&auditor))
            .await;
        assert_eq!(logs["items"].as_array().unwrap().len(), 1, "{backend:?}");
        assert_eq!(
            logs["items"][0]["actor"]["role"], "province_admin",
            "the caller is known even when the handler panicked"
        );
        app.handle.stop(false).await;
        db.drop_db().await;
    }
}

#[tokio::test]
async fn rate_limits_apply_per_ip_when_anonymous_and_per_subject_when_signed_in() {
    each_backend_with(
        |s| {
            s.rate_limit.anonymous_per_second = 1;
            s.rate_limit.anonymous_burst = 3;
            s.rate_limit.authenticated_per_second = 1;
            s.rate_limit.authenticated_burst = 2;
        },
        |app| async move {
            let mut statuses = Vec::new();
            for _ in 0..4 {
                statuses.push(app.get("/api/v1/cities", None).await.status().as_u16());
            }
            assert_eq!(&statuses[..3], &[200, 200, 200]);
            let limited = app.get("/api/v1/cities", None).await;
            let retry: u64 = limited.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(retry >= 1);
            assert_problem(limited, 429, "rate_limited").await;
            let a = app.token("province_admin", None, None);
            let b = app.token("auditor", None, None);
            assert_eq!(
                app.get("/api/v1/cities", Some(&a)).await.status(),
                200,
                "signed-in callers have their own bucket"
            );
            assert_eq!(app.get("/api/v1/cities", Some(&a)).await.status(), 200);
            assert_eq!(app.get("/api/v1/cities", Some(&a)).await.status(), 429);
            assert_eq!(
                app.get("/api/v1/cities", Some(&b)).await.status(),
                200,
                "per subject"
            );
        },
    )
    .await;
}

#[tokio::test]
async fn refused_tokens_spend_the_anonymous_limit_of_their_ip() {
    each_backend_with(
        |s| {
            s.rate_limit.anonymous_per_second = 1;
            s.rate_limit.anonymous_burst = 3;
        },
        |app| async move {
            for _ in 0..3 {
                assert_problem(
                    app.get("/api/v1/institutions", Some("not-a-token")).await,
                    401,
                    "token_malformed",
                )
                .await;
            }
            let guessing = app.get("/api/v1/institutions", Some("not-a-token")).await;
            assert!(guessing.headers().contains_key("retry-after"));
            assert_problem(guessing, 429, "rate_limited").await;
            assert_eq!(
                app.get("/api/v1/cities", None).await.status(),
                429,
                "the same bucket as anonymous calls from that IP"
            );
            let admin = app.token("province_admin", None, None);
            assert_eq!(
                app.get("/api/v1/cities", Some(&admin)).await.status(),
                200,
                "a valid token has its own bucket"
            );
        },
    )
    .await;
}

/// PostgreSQL only: the embedded SQLite file cannot become unreachable the way a server can.
#[tokio::test]
async fn a_lost_database_answers_503_and_recovers_without_restart() {
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let db = TestDb::new(Backend::Postgres).await;
    let target = crate::helpers::postgres_host_port().unwrap();
    let mut proxy = DbProxy::start(&target).await;
    let mut settings = test_settings(&db);
    settings.database.url = Some(via_port(&db.url, proxy.port).into());
    settings.database.connect_timeout_secs = 1;
    let app = spawn_with(settings, |_| {}).await;
    assert_eq!(app.get("/readyz", None).await.status(), 200);

    proxy.cut();
    let down = app.get("/readyz", None).await;
    assert!(down.headers().contains_key("retry-after"));
    assert_problem(down, 503, "service_unavailable").await;
    let read = app.get("/api/v1/cities/440100/institutions", None).await;
    assert!(read.headers().contains_key("retry-after"));
    assert_problem(read, 503, "service_unavailable").await;

    proxy.restore().await;
    let mut ready = false;
    for _ in 0..100 {
        if app.get("/readyz", None).await.status() == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ready, "ready again once the database is back");
    assert_eq!(
        app.get("/api/v1/cities/440100/institutions", None)
            .await
            .status(),
        200
    );
    app.settle_audit().await;
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(
        metrics.contains("safetrain_audit_records_lost_total 0"),
        "the 503s were audited once the database came back"
    );
    let auditor = app.token("auditor", None, None);
    let logs: Value = app
        .get_json("/api/v1/audit-logs?status=503", Some(&auditor))
        .await;
    let items = logs["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        1,
        "the refused API read (operations endpoints are not audited)"
    );
    assert_eq!(items[0]["route"], "/api/v1/cities/{code}/institutions");
    app.handle.stop(false).await;
    proxy.cut();
    db.drop_db().await;
}
