//! Regression tests of the attack run's findings (issue 8), each on both databases.
use std::time::Duration;

use base64::Engine;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::audit::scalar;
use crate::helpers::{TestApp, assert_problem, each_backend, each_backend_with, institution_body};

fn cursor_of(key: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.to_string())
}

/// Every audit row and stored body as text, to look for a value that must not be there.
async fn audit_text(app: &TestApp) -> String {
    app.settle_audit().await;
    let rows = safetrain::audit::entity::Entity::find_all(&app.db).await;
    let bodies = safetrain::audit::bodies::Entity::find_all(&app.db).await;
    format!("{rows}\n{bodies}")
}

trait FindAll {
    async fn find_all(db: &sea_orm::DatabaseConnection) -> String;
}

impl<E: sea_orm::EntityTrait> FindAll for E
where
    E::Model: std::fmt::Debug,
{
    async fn find_all(db: &sea_orm::DatabaseConnection) -> String {
        format!("{:?}", E::find().all(db).await.unwrap())
    }
}

#[tokio::test]
async fn dates_beyond_the_documented_range_answer_400_naming_the_field_on_both_backends() {
    each_backend(|app| async move {
        let far = json!(["-5000-01-01T00:00:00Z", "x", uuid::Uuid::now_v7()]);
        let res = app
            .get(
                &format!(
                    "/api/v1/cities/440100/institutions?cursor={}",
                    cursor_of(&far)
                ),
                None,
            )
            .await;
        let problem = assert_problem(res, 400, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "cursor");
        let auditor = app.token("auditor", None, None);
        for path in [
            "/api/v1/audit-logs?from=-5000-01-01T00:00:00Z",
            "/api/v1/audit-logs/verify?to=-5000-01-01T00:00:00Z",
            "/api/v1/audit-logs?to=1000-01-01T00:00:00Z",
        ] {
            let problem = assert_problem(
                app.get(path, Some(&auditor)).await,
                400,
                "validation_failed",
            )
            .await;
            let field = problem["errors"][0]["field"].as_str().unwrap();
            assert!(field == "from" || field == "to", "{path}: {problem}");
        }
        let admin = app.token("city_admin", Some("440100"), None);
        let mut body = institution_body("440100", 800, "远古");
        body["business_term_end"] = json!("-5000-01-01");
        let problem = assert_problem(
            app.post("/api/v1/institutions", Some(&admin), &body).await,
            400,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], "business_term_end");
        assert_eq!(problem["errors"][0]["rule"], "range");
        let inst = app
            .create_institution(&institution_body("440100", 801, "正常"))
            .await;
        let path = format!("/api/v1/institutions/{}", inst["id"].as_str().unwrap());
        let patch = app
            .patch(
                &path,
                Some(&admin),
                Some("\"v1\""),
                &json!({"business_term_end": "-5000-01-01"}),
            )
            .await;
        let problem = assert_problem(patch, 400, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "business_term_end");
    })
    .await;
}

#[tokio::test]
async fn a_nul_inside_a_decoded_cursor_answers_400() {
    each_backend(|app| async move {
        let key = json!(["2026-01-01T00:00:00Z", "a\u{0}b", uuid::Uuid::now_v7()]);
        let res = app
            .get(
                &format!(
                    "/api/v1/cities/440100/institutions?cursor={}",
                    cursor_of(&key)
                ),
                None,
            )
            .await;
        let problem = assert_problem(res, 400, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "cursor");
    })
    .await;
}

#[tokio::test]
async fn a_phone_sent_in_the_wrong_shape_is_neither_echoed_nor_stored() {
    each_backend(|app| async move {
        let admin = app.token("city_admin", Some("440100"), None);
        for (n, shape) in [
            json!(13812345678u64),
            json!(["13812345678"]),
            json!({"n": "13812345678"}),
        ]
        .into_iter()
        .enumerate()
        {
            let mut body = institution_body("440100", 810 + n as u32, "电话");
            body["contact_phone"] = shape;
            let res = app.post("/api/v1/institutions", Some(&admin), &body).await;
            let text = res.text().await.unwrap();
            assert!(text.contains("contact_phone"), "{text}");
            assert!(
                !text.contains("1381234"),
                "the answer does not echo it: {text}"
            );
        }
        assert!(
            !audit_text(&app).await.contains("1381234"),
            "the audit log does not keep it"
        );
    })
    .await;
}

#[tokio::test]
async fn idempotency_keys_keep_no_personal_data_replay_the_current_state_and_expire() {
    each_backend(|app| async move {
        let admin = app.token("city_admin", Some("440100"), None);
        let send = |body: Value| {
            let (app, admin) = (&app, admin.clone());
            async move {
                app.request(Method::POST, "/api/v1/institutions", Some(&admin))
                    .header("Idempotency-Key", "once-1")
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let body = institution_body("440100", 820, "幂等二");
        let first: Value = send(body.clone()).await.json().await.unwrap();
        let stored = scalar(&app.db, "SELECT COUNT(*) AS n FROM idempotency_keys").await;
        assert_eq!(stored, 1);
        let row = texts(
            &app.db,
            "SELECT subject || key || route || request_hash || resource_type || location AS t FROM idempotency_keys",
        )
        .await
        .join("\n");
        assert!(!row.contains("13812345678") && !row.contains("1381234"), "{row}");
        let path = format!("/api/v1/institutions/{}", first["id"].as_str().unwrap());
        let changed = app.patch(&path, Some(&admin), Some("\"v1\""), &json!({"contact_phone": "13900001111"})).await;
        assert_eq!(changed.status(), 200);
        let replay = send(body.clone()).await;
        assert_eq!(replay.headers()["idempotent-replayed"], "true");
        assert_eq!(replay.headers()["etag"], "\"v2\"");
        let replayed: Value = replay.json().await.unwrap();
        assert_eq!(replayed["contact_phone"], "13900001111", "the institution as it is now");
        app.db
            .execute_unprepared("UPDATE idempotency_keys SET expires_at = '2020-01-01T00:00:00Z'")
            .await
            .unwrap();
        let other = send(institution_body("440100", 821, "过期之后")).await;
        assert_eq!(other.status(), 201, "an expired key is free again");
        assert!(other.headers().get("idempotent-replayed").is_none());
        assert_eq!(safetrain::context::purge_expired(&app.db).await.unwrap(), 0, "the expired use gave way");
        app.db
            .execute_unprepared("UPDATE idempotency_keys SET expires_at = '2020-01-01T00:00:00Z'")
            .await
            .unwrap();
        assert_eq!(safetrain::context::purge_expired(&app.db).await.unwrap(), 1, "an expired key is purged");
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) AS n FROM idempotency_keys").await, 0);
    })
    .await;
}

use sea_orm::ConnectionTrait;

#[tokio::test]
async fn secrets_are_recognised_by_pattern_and_unknown_routes_keep_no_body() {
    each_backend(|app| async move {
        let admin = app.token("city_admin", Some("440100"), None);
        let mut body = institution_body("440100", 830, "秘密");
        for key in [
            "passwd",
            "client_secret",
            "new_password",
            "id_token",
            "api_key",
            "private_key",
        ] {
            body[key] = json!(format!("s3cr3t-{key}"));
        }
        assert_problem(
            app.post("/api/v1/institutions", Some(&admin), &body).await,
            400,
            "validation_failed",
        )
        .await;
        let unknown = app
            .post(
                "/api/v1/nowhere",
                None,
                &json!({"password": "s3cr3t-anon", "note": "visible?"}),
            )
            .await;
        assert_problem(unknown, 404, "not_found").await;
        let text = audit_text(&app).await;
        assert!(!text.contains("s3cr3t"), "no secret reaches the audit log");
        assert!(
            !text.contains("visible?"),
            "an unknown route's body is not kept"
        );
    })
    .await;
}

#[tokio::test]
async fn refused_requests_are_counted_per_client_not_stored_one_by_one() {
    each_backend_with(
        |s| {
            s.rate_limit.anonymous_per_second = 1;
            s.rate_limit.anonymous_burst = 2;
            s.audit.refused_window_secs = 1;
        },
        |app| async move {
            let big = json!({"padding": "x".repeat(60_000)});
            let mut refused = 0;
            for _ in 0..30 {
                let res = app.post("/api/v1/institutions", None, &big).await;
                if res.status() == 429 {
                    refused += 1;
                }
            }
            assert!(refused >= 25, "the flood was refused: {refused}");
            tokio::time::sleep(Duration::from_millis(1500)).await;
            let rows = scalar(
                &app.db,
                "SELECT COUNT(*) AS n FROM audit_logs WHERE status = 429",
            )
            .await;
            assert!(
                (1..=3).contains(&rows),
                "one record per client and window, not {rows}"
            );
            let text = audit_text(&app).await;
            assert!(
                !text.contains("xxxxxxxxxx"),
                "no body of a refused request is kept"
            );
            let counted: u64 = texts(
                &app.db,
                "SELECT response_body AS t FROM audit_logs WHERE status = 429",
            )
            .await
            .iter()
            .map(|t| {
                serde_json::from_str::<Value>(t).unwrap()["refused"]
                    .as_u64()
                    .unwrap()
            })
            .sum();
            assert_eq!(counted, refused, "every refusal counted");
        },
    )
    .await;
}

/// The text column `t` of every row `sql` selects.
async fn texts(db: &sea_orm::DatabaseConnection, sql: &str) -> Vec<String> {
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap();
    rows.iter()
        .filter_map(|r| r.try_get::<Option<String>>("", "t").unwrap())
        .collect()
}

/// Reads the status line of the answer on `stream` (bounded wait).
async fn status_line<R: tokio::io::AsyncRead + Unpin>(stream: &mut R) -> String {
    let mut buf = vec![0u8; 4096];
    let mut got = Vec::new();
    for _ in 0..100 {
        match tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buf)).await {
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => {
                got.extend_from_slice(&buf[..n]);
                if got.windows(2).any(|w| w == b"\r\n") {
                    break;
                }
            }
            Ok(Err(_)) => break,
            Err(_) => continue,
        }
    }
    String::from_utf8_lossy(&got)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

#[tokio::test]
async fn tokens_and_limits_come_before_the_body_and_a_slow_body_times_out() {
    each_backend_with(
        |s| s.http.body_timeout_secs = 1,
        |app| async move {
            let addr = app.address.trim_start_matches("http://").to_owned();
            let head = |auth: &str| {
                format!(
                    "POST /api/v1/institutions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{auth}Content-Length: 200000\r\n\r\n{{"
                )
            };
            let mut anon = TcpStream::connect(&addr).await.unwrap();
            anon.write_all(head("").as_bytes()).await.unwrap();
            assert!(status_line(&mut anon).await.contains(" 401 "), "refused before the body arrives");
            let token = app.token("city_admin", Some("440100"), None);
            let slow = TcpStream::connect(&addr).await.unwrap();
            let (mut reader, mut writer) = slow.into_split();
            writer.write_all(head(&format!("Authorization: Bearer {token}\r\n")).as_bytes()).await.unwrap();
            let trickle = async {
                for _ in 0..20 {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    if writer.write_all(b" ").await.is_err() {
                        break;
                    }
                }
            };
            let (_, line) = tokio::join!(trickle, status_line(&mut reader));
            assert!(line.contains(" 408 "), "a body that does not arrive in time: {line}");
        },
    )
    .await;
}

#[tokio::test]
async fn a_client_over_its_connection_cap_is_refused_and_probes_are_never_rate_limited() {
    each_backend_with(
        |s| {
            s.http.max_connections_per_ip = 3;
            s.rate_limit.anonymous_per_second = 1;
            s.rate_limit.anonymous_burst = 1;
        },
        |app| async move {
            let addr = app.address.trim_start_matches("http://").to_owned();
            let mut held = Vec::new();
            for _ in 0..3 {
                held.push(TcpStream::connect(&addr).await.unwrap());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            let mut extra = TcpStream::connect(&addr).await.unwrap();
            extra
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                .await
                .unwrap();
            assert!(
                status_line(&mut extra).await.contains(" 429 "),
                "the fourth connection is refused"
            );
            drop(held.pop());
            drop(extra);
            tokio::time::sleep(Duration::from_millis(100)).await;
            let mut again = TcpStream::connect(&addr).await.unwrap();
            for _ in 0..20 {
                again
                    .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    .await
                    .unwrap();
                assert!(
                    status_line(&mut again).await.contains(" 200 "),
                    "probes are not rate-limited"
                );
            }
            // Two held and `again`: the cap still counts them after others closed.
            let mut over = TcpStream::connect(&addr).await.unwrap();
            over.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                .await
                .unwrap();
            assert!(
                status_line(&mut over).await.contains(" 429 "),
                "a connection closing does not forget the others still open"
            );
            drop(held);
        },
    )
    .await;
}

#[tokio::test]
async fn a_graceful_stop_answers_in_flight_requests_properly() {
    for round in 0..2 {
        each_backend(|app| async move {
            let token = app.token("province_admin", None, None);
            for n in 0..3 {
                app.create_institution(&institution_body("440100", 860 + n, &format!("停机{n}")))
                    .await;
            }
            // Reads that each need the database, on both workers, while the server stops.
            let burst: Vec<_> = (0..64)
                .map(|i| {
                    let client = reqwest::Client::new();
                    let url = app.url(if i % 2 == 0 {
                        "/api/v1/institutions?limit=200"
                    } else {
                        "/api/v1/audit-logs?limit=50"
                    });
                    let token = token.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_millis((i % 8) as u64)).await;
                        client
                            .get(url)
                            .bearer_auth(token)
                            .send()
                            .await
                            .map(|r| r.status().as_u16())
                    })
                })
                .collect();
            tokio::time::sleep(Duration::from_millis(4)).await;
            app.handle.stop(true).await;
            for answer in burst {
                if let Ok(status) = answer.await.unwrap() {
                    assert!(status == 200 || status == 503, "round {round}: {status}");
                }
            }
        })
        .await;
    }
}

#[tokio::test]
async fn a_city_admin_reads_the_audit_records_of_its_citys_resources_only() {
    each_backend(|app| async move {
        let province = crate::helpers::tokens::platform(
            &app.settings,
            "province_admin",
            Some("440300"),
            None,
            "prov-with-city",
        );
        let res = app
            .post(
                "/api/v1/institutions",
                Some(&province),
                &institution_body("440300", 840, "深圳机构"),
            )
            .await;
        assert_eq!(
            res.status(),
            201,
            "a city claim does not narrow a province admin"
        );
        let sz_inst: Value = res.json().await.unwrap();
        let gz = app.token("city_admin", Some("440100"), None);
        let probe = app
            .get(
                &format!("/api/v1/institutions/{}", sz_inst["id"].as_str().unwrap()),
                Some(&gz),
            )
            .await;
        assert_problem(probe, 404, "not_found").await;
        app.settle_audit().await;
        let gz_view: Value = app
            .get_json("/api/v1/audit-logs?limit=200", Some(&gz))
            .await;
        let gz_items = gz_view["items"].as_array().unwrap();
        assert!(
            gz_items.iter().all(|r| r["status"] != 201),
            "440100 does not read another city's create: {gz_view}"
        );
        let sz = app.token("city_admin", Some("440300"), None);
        let sz_view: Value = app
            .get_json("/api/v1/audit-logs?limit=200", Some(&sz))
            .await;
        let sz_items = sz_view["items"].as_array().unwrap();
        assert!(
            sz_items
                .iter()
                .any(|r| r["status"] == 201 && r["resource_city"] == "440300")
        );
        assert!(
            sz_items
                .iter()
                .any(|r| r["status"] == 404 && r["actor"]["city"] == "440100"),
            "440300 sees the probe against its institution"
        );
        let auditor = app.token("auditor", None, None);
        let all: Value = app
            .get_json("/api/v1/audit-logs?status=201&limit=200", Some(&auditor))
            .await;
        let create = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["route"] == "/api/v1/institutions")
            .unwrap();
        assert_eq!(
            create["actor"]["city"],
            Value::Null,
            "the unused claim is not recorded"
        );
    })
    .await;
}

#[tokio::test]
async fn malformed_requests_are_counted_not_logged_one_by_one() {
    each_backend(|app| async move {
        let addr = app.address.trim_start_matches("http://").to_owned();
        let before = metric(&app, "safetrain_http_protocol_errors_total").await;
        for raw in [b"GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), {
            let mut big = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ".to_vec();
            big.extend(std::iter::repeat_n(b'a', 140_000));
            big.extend_from_slice(b"\r\n\r\n");
            big
        }] {
            let mut s = TcpStream::connect(&addr).await.unwrap();
            let _ = s.write_all(&raw).await;
            let line = status_line(&mut s).await;
            assert!(line.contains(" 400 ") || line.contains(" 431 "), "{line}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let after = metric(&app, "safetrain_http_protocol_errors_total").await;
        assert!(after >= before + 2, "{before} -> {after}");
    })
    .await;
}

async fn metric(app: &TestApp, name: &str) -> u64 {
    let text = app.get("/metrics", None).await.text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0)
}

#[tokio::test]
async fn ids_are_read_in_their_standard_form_only() {
    each_backend(|app| async move {
        let inst = app
            .create_institution(&institution_body("440100", 850, "拼写"))
            .await;
        let id = inst["id"].as_str().unwrap();
        let admin = app.token("province_admin", None, None);
        let upper = app
            .get(
                &format!("/api/v1/institutions/{}", id.to_uppercase()),
                Some(&admin),
            )
            .await;
        assert_eq!(upper.status(), 200, "UUIDs are case-insensitive (RFC 9562)");
        for alias in [
            id.replace('-', ""),
            format!("{{{id}}}"),
            format!("urn:uuid:{id}"),
        ] {
            let res = app
                .get(&format!("/api/v1/institutions/{alias}"), Some(&admin))
                .await;
            assert_problem(res, 404, "not_found").await;
        }
    })
    .await;
}
