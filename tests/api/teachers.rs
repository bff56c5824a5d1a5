//! Teachers: an institution's admin manages its own, regulators read within their scope, and a
//! photo is checked by its content and kept in the blob store.
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, assert_problem, each_backend, each_backend_with, institution_body};

const JPEG: &[u8] = include_bytes!("fixtures/teacher.jpg");
const PNG: &[u8] = include_bytes!("fixtures/teacher.png");

/// An institution in `city` (numbered `n`) and its admin's token.
async fn institution(app: &TestApp, city: &str, n: u32) -> (String, String) {
    let inst = app
        .create_institution(&institution_body(city, n, &format!("机构{n}")))
        .await;
    let id = inst["id"].as_str().unwrap().to_owned();
    let token = app.token("institution_admin", None, Some(&id));
    (id, token)
}

fn teacher_body(institution: &str) -> Value {
    json!({
        "institution_id": institution,
        "name": "王五",
        "title": "高级工程师",
        "qualifications": [
            {"name": "注册安全工程师", "number": "0044123", "issued_by": "人力资源和社会保障部", "valid_until": "2029-12-31"},
            {"name": "特种作业操作证（电工）", "number": "T440100001", "issued_by": "广州市应急管理局"}
        ],
        "specialities": ["电工作业", "危险化学品安全"],
        "biography": "从事安全生产培训十年。"
    })
}

async fn create_teacher(app: &TestApp, token: &str, institution: &str) -> Value {
    let res = app
        .post("/api/v1/teachers", Some(token), &teacher_body(institution))
        .await;
    assert_eq!(
        res.status(),
        201,
        "{}",
        res.text().await.unwrap_or_default()
    );
    res.json().await.unwrap()
}

async fn put_photo(
    app: &TestApp,
    token: &str,
    id: &str,
    media_type: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    app.request(
        Method::PUT,
        &format!("/api/v1/teachers/{id}/photo"),
        Some(token),
    )
    .header("Content-Type", media_type)
    .body(bytes)
    .send()
    .await
    .expect("PUT")
}

/// The blob files kept for one teacher's photos.
fn photo_files(app: &TestApp, id: &str) -> usize {
    let dir = app
        .settings
        .data_path("blobs")
        .join(format!("teachers/{id}/photo"));
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

#[tokio::test]
async fn an_institution_admin_manages_its_own_teachers() {
    each_backend(|app| async move {
        let (inst, admin) = institution(&app, "440100", 1).await;
        let res = app
            .post("/api/v1/teachers", Some(&admin), &teacher_body(&inst))
            .await;
        assert_eq!(res.status(), 201);
        assert_eq!(res.headers()["etag"], "\"v1\"");
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        let teacher: Value = res.json().await.unwrap();
        let id = teacher["id"].as_str().unwrap().to_owned();
        assert_eq!(location, format!("/api/v1/teachers/{id}"));
        assert_eq!(teacher["city_code"], "440100", "the institution's city");
        assert_eq!(teacher["qualifications"][0]["valid_until"], "2029-12-31");
        assert!(teacher["qualifications"][1]["valid_until"].is_null());
        assert_eq!(
            teacher["specialities"],
            json!(["电工作业", "危险化学品安全"])
        );
        assert!(teacher["photo"].is_null());
        assert_eq!(app.get_json(&location, Some(&admin)).await, teacher);

        // The edit needs the current ETag; a list sent replaces the list.
        let edit = json!({"title": "正高级工程师", "specialities": ["电工作业"]});
        let res = app.patch(&location, Some(&admin), None, &edit).await;
        assert_problem(res, 428, "if_match_required").await;
        let res = app
            .patch(&location, Some(&admin), Some("\"v1\""), &edit)
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["etag"], "\"v2\"");
        let edited: Value = res.json().await.unwrap();
        assert_eq!(edited["title"], "正高级工程师");
        assert_eq!(edited["specialities"], json!(["电工作业"]));
        assert_eq!(edited["name"], "王五", "fields not sent are kept");
        let res = app
            .patch(&location, Some(&admin), Some("\"v1\""), &edit)
            .await;
        assert_problem(res, 412, "etag_mismatch").await;

        // Regulators of its city and platform operators read it; nobody else.
        for token in [
            app.token("city_admin", Some("440100"), None),
            app.token("province_admin", None, None),
            app.token("platform_operator", None, None),
        ] {
            assert_eq!(app.get_json(&location, Some(&token)).await, edited);
            let page = app.get_json("/api/v1/teachers", Some(&token)).await;
            assert_eq!(page["items"], json!([edited]));
        }
        let shenzhen = app.token("city_admin", Some("440300"), None);
        assert_problem(app.get(&location, Some(&shenzhen)).await, 404, "not_found").await;
        let page = app.get_json("/api/v1/teachers", Some(&shenzhen)).await;
        assert_eq!(page["items"], json!([]));
        let learner = app.token("learner", None, None);
        assert_problem(
            app.get(&location, Some(&learner)).await,
            403,
            "role_not_allowed",
        )
        .await;
        // The feed carries the creation and the edit, with the teacher as shared.
        let events = crate::changes::read_feed(&app, "&types=teacher", 50, 2).await;
        let summary: Vec<(Value, Value)> = events
            .iter()
            .map(|e| (e["operation"].clone(), e["version"].clone()))
            .collect();
        assert_eq!(
            summary,
            [(json!("created"), json!(1)), (json!("updated"), json!(2))]
        );
        assert_eq!(events[1]["data"], edited);
        // Regulators read but do not edit.
        let city = app.token("city_admin", Some("440100"), None);
        let res = app
            .post("/api/v1/teachers", Some(&city), &teacher_body(&inst))
            .await;
        assert_problem(res, 403, "role_not_allowed").await;
    })
    .await;
}

#[tokio::test]
async fn another_institution_cannot_reach_a_teacher() {
    each_backend(|app| async move {
        let (inst, admin) = institution(&app, "440100", 1).await;
        let (other, intruder) = institution(&app, "440100", 2).await;
        let teacher = create_teacher(&app, &admin, &inst).await;
        let location = format!("/api/v1/teachers/{}", teacher["id"].as_str().unwrap());

        let res = app
            .post("/api/v1/teachers", Some(&intruder), &teacher_body(&inst))
            .await;
        assert_problem(res, 403, "institution_out_of_scope").await;
        assert_problem(app.get(&location, Some(&intruder)).await, 404, "not_found").await;
        let res = app
            .patch(
                &location,
                Some(&intruder),
                Some("*"),
                &json!({"name": "改名"}),
            )
            .await;
        assert_problem(res, 404, "not_found").await;
        let res = put_photo(
            &app,
            &intruder,
            teacher["id"].as_str().unwrap(),
            "image/jpeg",
            JPEG.to_vec(),
        )
        .await;
        assert_problem(res, 404, "not_found").await;
        let mine = app.get_json("/api/v1/teachers", Some(&intruder)).await;
        assert_eq!(mine["items"], json!([]));
        // Filtering by another institution shows nothing either.
        let filtered = app
            .get_json(
                &format!("/api/v1/teachers?institution_id={inst}"),
                Some(&intruder),
            )
            .await;
        assert_eq!(filtered["items"], json!([]));
        let own = create_teacher(&app, &intruder, &other).await;
        let city = app.token("city_admin", Some("440100"), None);
        let filtered = app
            .get_json(
                &format!("/api/v1/teachers?institution_id={other}"),
                Some(&city),
            )
            .await;
        assert_eq!(filtered["items"], json!([own]));
        // The untouched teacher is as it was.
        assert_eq!(app.get_json(&location, Some(&admin)).await, teacher);
    })
    .await;
}

#[tokio::test]
async fn an_exited_institution_cannot_change_its_teachers() {
    each_backend(|app| async move {
        let (inst, admin) = institution(&app, "440100", 1).await;
        let teacher = create_teacher(&app, &admin, &inst).await;
        let id = teacher["id"].as_str().unwrap();
        assert_eq!(app.set_status(&inst, "exited").await.status(), 200);
        let res = app
            .post("/api/v1/teachers", Some(&admin), &teacher_body(&inst))
            .await;
        assert_problem(res, 409, "institution_exited").await;
        let res = app
            .patch(
                &format!("/api/v1/teachers/{id}"),
                Some(&admin),
                Some("*"),
                &json!({"name": "改名"}),
            )
            .await;
        assert_problem(res, 409, "institution_exited").await;
        let res = put_photo(&app, &admin, id, "image/jpeg", JPEG.to_vec()).await;
        assert_problem(res, 409, "institution_exited").await;
        assert_eq!(photo_files(&app, id), 0, "nothing was stored");
        assert_eq!(
            app.get_json(&format!("/api/v1/teachers/{id}"), Some(&admin))
                .await,
            teacher
        );
    })
    .await;
}

#[tokio::test]
async fn a_teacher_body_breaking_a_rule_changes_nothing() {
    each_backend(|app| async move {
        let (inst, admin) = institution(&app, "440100", 1).await;
        let many: Vec<Value> = (0..21).map(|i| json!(format!("专长{i}"))).collect();
        for (field, value, rule) in [
            ("specialities", json!(many), "length"),
            ("name", json!(" "), "not_blank"),
            ("title", json!("x".repeat(101)), "length"),
            ("institution_id", json!("not-a-uuid"), "format"),
        ] {
            let mut body = teacher_body(&inst);
            body[field] = value;
            let res = app.post("/api/v1/teachers", Some(&admin), &body).await;
            let problem = assert_problem(res, 400, "validation_failed").await;
            assert_eq!(problem["errors"][0]["field"], field, "{problem}");
            let _ = rule;
        }
        let mut body = teacher_body(&inst);
        body["qualifications"][0]["number"] = json!("");
        let res = app.post("/api/v1/teachers", Some(&admin), &body).await;
        assert_problem(res, 400, "validation_failed").await;
        let page = app.get_json("/api/v1/teachers", Some(&admin)).await;
        assert_eq!(page["items"], json!([]), "nothing was created");

        let teacher = create_teacher(&app, &admin, &inst).await;
        let location = format!("/api/v1/teachers/{}", teacher["id"].as_str().unwrap());
        for edit in [
            json!({}),
            json!({"name": null}),
            json!({"institution_id": inst}),
        ] {
            let res = app.patch(&location, Some(&admin), Some("*"), &edit).await;
            assert_problem(res, 400, "validation_failed").await;
        }
        assert_eq!(app.get_json(&location, Some(&admin)).await, teacher);
    })
    .await;
}

#[tokio::test]
async fn a_photo_is_checked_by_its_content_and_streamed_to_the_blob_store() {
    each_backend(|app| async move {
        let (inst, admin) = institution(&app, "440100", 1).await;
        let teacher = create_teacher(&app, &admin, &inst).await;
        let id = teacher["id"].as_str().unwrap().to_owned();
        let photo_url = format!("/api/v1/teachers/{id}/photo");
        assert_problem(app.get(&photo_url, Some(&admin)).await, 404, "no_photo").await;

        let res = put_photo(&app, &admin, &id, "image/jpeg", JPEG.to_vec()).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["etag"], "\"v2\"");
        let with_photo: Value = res.json().await.unwrap();
        let photo = &with_photo["photo"];
        assert_eq!(photo["media_type"], "image/jpeg");
        assert_eq!(
            (photo["width"].as_u64(), photo["height"].as_u64()),
            (Some(160), Some(200))
        );
        assert_eq!(photo["size"], JPEG.len());
        assert_eq!(photo["sha256"], hex::encode(Sha256::digest(JPEG)));

        // Regulators read it back as uploaded.
        let city = app.token("city_admin", Some("440100"), None);
        let res = app.get(&photo_url, Some(&city)).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "image/jpeg");
        assert_eq!(res.bytes().await.unwrap().as_ref(), JPEG);

        // Refused files: nothing kept, the teacher unchanged.
        let mut cut = JPEG.to_vec();
        cut.truncate(JPEG.len() - 100);
        let mut renamed = b"%PDF-1.7\n".to_vec();
        renamed.extend_from_slice(JPEG);
        for (media_type, bytes, code, status) in [
            ("image/jpeg", PNG.to_vec(), "file_rejected", 422),
            ("image/jpeg", cut, "file_rejected", 422),
            ("image/jpeg", renamed, "file_rejected", 422),
            ("image/jpeg", Vec::new(), "file_rejected", 422),
            ("image/gif", PNG.to_vec(), "unsupported_media_type", 415),
            (
                "application/octet-stream",
                JPEG.to_vec(),
                "unsupported_media_type",
                415,
            ),
        ] {
            let res = put_photo(&app, &admin, &id, media_type, bytes).await;
            let problem = assert_problem(res, status, code).await;
            assert!(problem["detail"].as_str().unwrap().len() > 10, "{problem}");
        }
        assert_eq!(photo_files(&app, &id), 1, "refused files leave nothing");
        let location = format!("/api/v1/teachers/{id}");
        assert_eq!(app.get_json(&location, Some(&admin)).await, with_photo);

        // A new photo replaces the old one, whose file is deleted.
        let res = put_photo(&app, &admin, &id, "image/png; charset=binary", PNG.to_vec()).await;
        assert_eq!(res.status(), 200);
        let replaced: Value = res.json().await.unwrap();
        assert_eq!(replaced["photo"]["media_type"], "image/png");
        assert_eq!(photo_files(&app, &id), 1, "the old photo is deleted");
        let res = app.get(&photo_url, Some(&admin)).await;
        assert_eq!(res.headers()["content-type"], "image/png");
        assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);

        // The audit log keeps the upload's hash and size, never its bytes.
        app.settle_audit().await;
        let auditor = app.token("auditor", None, None);
        let page = app
            .get_json(
                "/api/v1/audit-logs?resource_type=teacher&limit=200",
                Some(&auditor),
            )
            .await;
        let uploads: Vec<&Value> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["method"] == "PUT" && r["status"] == 200)
            .map(|r| &r["request_body"])
            .collect();
        assert_eq!(uploads.len(), 2, "{page}");
        for (record, file) in uploads.iter().zip([PNG, JPEG]) {
            assert_eq!(
                **record,
                json!({"sha256": hex::encode(Sha256::digest(file)), "size": file.len()}),
                "newest first"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_photo_over_the_cap_is_refused_and_nothing_is_kept() {
    each_backend_with(
        |s| s.blobs.max_image_mib = 1,
        |app| async move {
            let (inst, admin) = institution(&app, "440100", 1).await;
            let teacher = create_teacher(&app, &admin, &inst).await;
            let id = teacher["id"].as_str().unwrap().to_owned();
            // (Megabyte bodies must not count in a test measuring allocations meanwhile.)
            let _quiet = crate::template::MEASURING.read().await;
            // A real JPEG padded past the cap, sent with its length and streamed without one.
            let mut big = vec![0u8; 1024 * 1024];
            big.extend_from_slice(JPEG);
            let res = put_photo(&app, &admin, &id, "image/jpeg", big.clone()).await;
            assert_problem(res, 413, "payload_too_large").await;
            let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
                big.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
            let res = app
                .request(
                    Method::PUT,
                    &format!("/api/v1/teachers/{id}/photo"),
                    Some(&admin),
                )
                .header("Content-Type", "image/jpeg")
                .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
                    chunks,
                )))
                .send()
                .await
                .unwrap();
            assert_problem(res, 413, "payload_too_large").await;
            assert_eq!(photo_files(&app, &id), 0);
            let location = format!("/api/v1/teachers/{id}");
            assert_eq!(app.get_json(&location, Some(&admin)).await, teacher);
        },
    )
    .await;
}

#[tokio::test]
async fn photos_go_to_an_s3_compatible_store_when_configured() {
    let s3 = crate::helpers::s3::S3Server::start().await;
    each_backend_with(
        |s| s3.configure(s),
        |app| async move {
            let (inst, admin) = institution(&app, "440100", 1).await;
            let teacher = create_teacher(&app, &admin, &inst).await;
            let id = teacher["id"].as_str().unwrap().to_owned();
            let res = put_photo(&app, &admin, &id, "image/jpeg", JPEG.to_vec()).await;
            assert_eq!(res.status(), 200);
            assert_eq!(photo_files(&app, &id), 0, "nothing on the local disk");
            let res = app
                .get(&format!("/api/v1/teachers/{id}/photo"), Some(&admin))
                .await;
            assert_eq!(res.status(), 200);
            assert_eq!(res.bytes().await.unwrap().as_ref(), JPEG);
        },
    )
    .await;
}

/// A body sent in two halves, `pause` apart.
fn slow_body(bytes: &[u8], pause: std::time::Duration) -> reqwest::Body {
    let (a, b) = bytes.split_at(bytes.len() / 2);
    let (a, b) = (a.to_vec(), b.to_vec());
    let stream = futures_util::stream::unfold(0u8, move |step| {
        let (a, b) = (a.clone(), b.clone());
        async move {
            match step {
                0 => Some((Ok::<_, std::io::Error>(a), 1)),
                1 => {
                    tokio::time::sleep(pause).await;
                    Some((Ok(b), 2))
                }
                _ => None,
            }
        }
    });
    reqwest::Body::wrap_stream(stream)
}

#[tokio::test]
async fn a_file_upload_slower_than_its_deadline_answers_408_and_keeps_nothing() {
    each_backend_with(
        |s| s.http.upload_timeout_secs = 1,
        |app| async move {
            let (inst, admin) = institution(&app, "440100", 1).await;
            let teacher = create_teacher(&app, &admin, &inst).await;
            let id = teacher["id"].as_str().unwrap().to_owned();
            let res = app
                .request(
                    Method::PUT,
                    &format!("/api/v1/teachers/{id}/photo"),
                    Some(&admin),
                )
                .header("Content-Type", "image/jpeg")
                .body(slow_body(JPEG, std::time::Duration::from_millis(2500)))
                .send()
                .await
                .unwrap();
            assert_problem(res, 408, "request_timeout").await;
            assert_eq!(photo_files(&app, &id), 0, "nothing was stored");
        },
    )
    .await;
}

#[tokio::test]
async fn a_file_upload_has_its_own_body_deadline_and_json_keeps_the_short_one() {
    each_backend_with(
        |s| {
            s.http.body_timeout_secs = 1;
            s.http.upload_timeout_secs = 30;
        },
        |app| async move {
            let (inst, admin) = institution(&app, "440100", 1).await;
            let teacher = create_teacher(&app, &admin, &inst).await;
            let id = teacher["id"].as_str().unwrap().to_owned();
            let pause = std::time::Duration::from_millis(1500);
            let res = app
                .request(
                    Method::PUT,
                    &format!("/api/v1/teachers/{id}/photo"),
                    Some(&admin),
                )
                .header("Content-Type", "image/jpeg")
                .body(slow_body(JPEG, pause))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "an upload slower than the JSON deadline");
            let edit = serde_json::to_vec(&json!({"title": "讲师"})).unwrap();
            let res = app
                .request(
                    Method::PATCH,
                    &format!("/api/v1/teachers/{id}"),
                    Some(&admin),
                )
                .header("Content-Type", "application/json")
                .header("If-Match", "*")
                .body(slow_body(&edit, pause))
                .send()
                .await
                .unwrap();
            assert_problem(res, 408, "request_timeout").await;
        },
    )
    .await;
}
