//! Courses: filing, courseware with video facts from the files, two-level review, versions and
//! the lifecycle.
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{
    TestApp, assert_problem, created, each_backend, each_backend_with, institution_body,
};

const MP4_720P: &[u8] = include_bytes!("fixtures/lecture-720p.mp4");
const MP4_480P: &[u8] = include_bytes!("fixtures/lecture-480p.mp4");
const MP4V: &[u8] = include_bytes!("fixtures/lecture-mpeg4.mp4");
const AVI: &[u8] = include_bytes!("fixtures/lecture-mpeg4.avi");
const LONG: &[u8] = include_bytes!("fixtures/lecture-20min.mp4");

/// An institution with its admin's token and one teacher.
pub struct Filer {
    pub institution: String,
    pub admin: String,
    pub teacher: String,
}

pub async fn filer(app: &TestApp, city: &str, n: u32) -> Filer {
    let inst = app
        .create_institution(&institution_body(city, n, &format!("培训机构{n}")))
        .await;
    let institution = inst["id"].as_str().unwrap().to_owned();
    let admin = app.token("institution_admin", None, Some(&institution));
    let res = app
        .post(
            "/api/v1/teachers",
            Some(&admin),
            &json!({"institution_id": institution, "name": "王五", "title": "高级工程师",
                "qualifications": [], "specialities": ["电工作业"], "biography": "从事安全生产培训十年。"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let teacher = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Filer {
        institution,
        admin,
        teacher,
    }
}

pub fn course_body(f: &Filer, title: &str) -> Value {
    json!({
        "institution_id": f.institution,
        "title": title,
        "description": "低压电工作业安全技术理论与实操。",
        "hours": "0.1",
        "training_categories": ["special_operation"],
        "operation_types": ["0102"],
        "training_types": ["initial"],
        "teacher_ids": [f.teacher]
    })
}

pub async fn create_course(app: &TestApp, f: &Filer, title: &str) -> Value {
    let res = app
        .post("/api/v1/courses", Some(&f.admin), &course_body(f, title))
        .await;
    assert_eq!(
        res.status(),
        201,
        "{}",
        res.text().await.unwrap_or_default()
    );
    res.json().await.unwrap()
}

/// Adds a video to a course and uploads `file` as its file; answers the upload's response.
pub async fn add_video(app: &TestApp, f: &Filer, course: &str, file: &[u8]) -> reqwest::Response {
    let res = app
        .post(
            &format!("/api/v1/courses/{course}/courseware"),
            Some(&f.admin),
            &json!({"title": "第一讲 电气安全基础", "kind": "video", "position": 1.0}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let piece: Value = res.json().await.unwrap();
    upload(
        app,
        &f.admin,
        piece["id"].as_str().unwrap(),
        "video/mp4",
        file.to_vec(),
    )
    .await
}

pub async fn upload(
    app: &TestApp,
    token: &str,
    id: &str,
    media_type: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    app.request(
        Method::PUT,
        &format!("/api/v1/courseware/{id}/file"),
        Some(token),
    )
    .header("Content-Type", media_type)
    .body(bytes)
    .send()
    .await
    .expect("PUT")
}

pub async fn move_to(app: &TestApp, token: &str, course: &str, status: &str) -> reqwest::Response {
    app.post(
        &format!("/api/v1/courses/{course}/status"),
        Some(token),
        &json!({"status": status, "reason": "测试"}),
    )
    .await
}

pub fn review(level: &str, failing: &[&str]) -> Value {
    let mut items = serde_json::Map::new();
    for item in [
        "content",
        "form",
        "ideology",
        "video_format",
        "video_quality",
        "copyright",
    ] {
        let verdict = if failing.contains(&item) {
            json!({"verdict": "fail", "comment": "需要修改"})
        } else {
            json!({"verdict": "pass"})
        };
        items.insert(item.to_owned(), verdict);
    }
    json!({"level": level, "items": items})
}

pub async fn post_review(
    app: &TestApp,
    token: &str,
    course: &str,
    body: &Value,
) -> reqwest::Response {
    app.post(
        &format!("/api/v1/courses/{course}/reviews"),
        Some(token),
        body,
    )
    .await
}

/// Takes a course with a passing video through both reviews to publication.
pub async fn publish(app: &TestApp, f: &Filer, course: &str) -> Value {
    let res = move_to(app, &f.admin, course, "submitted").await;
    assert_eq!(res.status(), 200);
    approve_and_publish(app, f, course).await
}

/// Takes a submitted version through both reviews; a platform operator publishes it.
pub async fn approve_and_publish(app: &TestApp, f: &Filer, course: &str) -> Value {
    let operator = app.token("platform_operator", None, None);
    let steps = [
        (&f.admin, Some("institution"), "institution_approved"),
        (&operator, Some("platform"), "platform_approved"),
        (&operator, None, "published"),
    ];
    let mut last = Value::Null;
    for (token, level, status) in steps {
        if let Some(level) = level {
            let res = post_review(app, token, course, &review(level, &[])).await;
            assert_eq!(res.status(), 201, "{level} review");
        }
        let res = move_to(app, token, course, status).await;
        assert_eq!(res.status(), 200, "{status}");
        last = res.json().await.unwrap();
    }
    last
}

/// The version an ETag (`"v3"`) names.
fn version(tag: &str) -> i32 {
    tag.trim_matches('"')
        .trim_start_matches('v')
        .parse()
        .unwrap()
}

/// A new course of `f`'s titled `course`, with one piece of courseware of `kind` (no file yet);
/// answers the course's id and the piece's.
async fn new_piece(
    app: &TestApp,
    f: &Filer,
    course: &str,
    title: &str,
    kind: &str,
) -> (String, String) {
    let cid = id(&create_course(app, f, course).await);
    let res = app
        .post(
            &format!("/api/v1/courses/{cid}/courseware"),
            Some(&f.admin),
            &json!({"title": title, "kind": kind, "position": 1}),
        )
        .await;
    (cid, id(&created(res).await))
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_course_is_filed_reviewed_twice_and_published() {
    each_backend(|app| async move {
        let f = filer(&app, "440100", 1).await;
        let course = create_course(&app, &f, "低压电工作业安全技术培训").await;
        let cid = id(&course);
        assert_eq!(course["status"], "draft");
        assert_eq!(course["version_number"], 1);
        assert_eq!(course["hours"], "0.1");
        assert!(course["published_version"].is_null());

        let res = add_video(&app, &f, &cid, MP4_720P).await;
        assert_eq!(res.status(), 200);
        let piece: Value = res.json().await.unwrap();
        assert_eq!(piece["file"]["media_type"], "video/mp4");
        assert_eq!(
            piece["file"]["sha256"],
            hex::encode(Sha256::digest(MP4_720P))
        );
        let video = &piece["video"];
        assert_eq!(
            (video["video_codec"].as_str(), video["audio_codec"].as_str()),
            (Some("h264"), Some("aac"))
        );
        assert_eq!(
            (video["width"].as_u64(), video["height"].as_u64()),
            (Some(1280), Some(720))
        );
        assert!(piece["video_format"]["passed"].as_bool().unwrap());
        assert!(piece["video_quality"]["passed"].as_bool().unwrap());

        let published = publish(&app, &f, &cid).await;
        assert_eq!(published["status"], "published");
        assert_eq!(published["review_status"], "published");
        assert_eq!(published["published_version"], 1);
        assert!(published["published_at"].is_string());

        let history = app
            .get_json(
                &format!("/api/v1/courses/{cid}/status-changes"),
                Some(&f.admin),
            )
            .await;
        let steps: Vec<&str> = history["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["to_status"].as_str().unwrap())
            .collect();
        assert_eq!(
            steps,
            [
                "submitted",
                "institution_approved",
                "platform_approved",
                "published"
            ]
        );
        assert_eq!(history["items"][1]["actor_role"], "institution_admin");
        assert_eq!(history["items"][2]["actor_role"], "platform_operator");
        let reviews = app
            .get_json(&format!("/api/v1/courses/{cid}/reviews"), Some(&f.admin))
            .await;
        assert_eq!(reviews.as_array().unwrap().len(), 2);

        // Regulators of its city read it; another city's do not.
        let city = app.token("city_admin", Some("440100"), None);
        assert_eq!(
            app.get_json(&format!("/api/v1/courses/{cid}"), Some(&city))
                .await,
            published
        );
        let other = app.token("city_admin", Some("440300"), None);
        assert_problem(
            app.get(&format!("/api/v1/courses/{cid}"), Some(&other))
                .await,
            404,
            "not_found",
        )
        .await;
        // A regulator suspends it and reinstates it, with reasons kept.
        let res = move_to(&app, &city, &cid, "suspended").await;
        assert_eq!(res.json::<Value>().await.unwrap()["status"], "suspended");
        let res = move_to(&app, &f.admin, &cid, "published").await;
        assert_problem(res, 403, "role_not_allowed").await;
        let res = move_to(&app, &city, &cid, "published").await;
        assert_eq!(res.json::<Value>().await.unwrap()["status"], "published");
    })
    .await;
}

#[tokio::test]
async fn publishing_needs_every_item_passed_at_both_levels() {
    each_backend(|app| async move {
        let f = filer(&app, "440100", 1).await;
        let cid = id(&create_course(&app, &f, "安全管理人员培训").await);
        assert_eq!(add_video(&app, &f, &cid, MP4_720P).await.status(), 200);
        let operator = app.token("platform_operator", None, None);

        let res = move_to(&app, &f.admin, &cid, "published").await;
        assert_problem(res, 409, "illegal_transition").await;
        assert_eq!(
            move_to(&app, &f.admin, &cid, "submitted").await.status(),
            200
        );
        // Without a review, or with an item failed, the institution cannot approve.
        let p = assert_problem(
            move_to(&app, &f.admin, &cid, "institution_approved").await,
            409,
            "review_incomplete",
        )
        .await;
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .contains("institution review: content, form"),
            "{p}"
        );
        let res = post_review(&app, &f.admin, &cid, &review("institution", &["copyright"])).await;
        assert_eq!(res.json::<Value>().await.unwrap()["passed"], false);
        let p = assert_problem(
            move_to(&app, &f.admin, &cid, "institution_approved").await,
            409,
            "review_incomplete",
        )
        .await;
        assert_eq!(
            p["detail"],
            "not passed yet — institution review: copyright"
        );
        // A failed item needs a comment; a review has a verdict on every item.
        let mut body = review("institution", &[]);
        body["items"]["content"] = json!({"verdict": "fail"});
        assert_problem(
            post_review(&app, &f.admin, &cid, &body).await,
            400,
            "validation_failed",
        )
        .await;
        let mut body = review("institution", &[]);
        body["items"].as_object_mut().unwrap().remove("form");
        assert_problem(
            post_review(&app, &f.admin, &cid, &body).await,
            400,
            "validation_failed",
        )
        .await;
        // Each level is its reviewer's, in its turn.
        assert_problem(
            post_review(&app, &operator, &cid, &review("institution", &[])).await,
            403,
            "role_not_allowed",
        )
        .await;
        assert_problem(
            post_review(&app, &operator, &cid, &review("platform", &[])).await,
            409,
            "illegal_transition",
        )
        .await;
        assert_eq!(
            post_review(&app, &f.admin, &cid, &review("institution", &[]))
                .await
                .status(),
            201
        );
        assert_eq!(
            move_to(&app, &f.admin, &cid, "institution_approved")
                .await
                .status(),
            200
        );
        assert_problem(
            move_to(&app, &f.admin, &cid, "platform_approved").await,
            403,
            "role_not_allowed",
        )
        .await;
        let p = assert_problem(
            move_to(&app, &operator, &cid, "platform_approved").await,
            409,
            "review_incomplete",
        )
        .await;
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .starts_with("not passed yet — platform review:"),
            "{p}"
        );
        let course = app
            .get_json(&format!("/api/v1/courses/{cid}"), Some(&f.admin))
            .await;
        assert_eq!(course["status"], "institution_approved");
    })
    .await;
}

#[tokio::test]
async fn a_video_out_of_policy_is_named_and_cannot_pass_review() {
    each_backend(|app| async move {
        let f = filer(&app, "440100", 1).await;
        let cid = id(&create_course(&app, &f, "特种作业培训").await);
        let piece: Value = add_video(&app, &f, &cid, MP4_480P)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(piece["video_format"]["passed"], true);
        assert_eq!(piece["video_quality"]["passed"], false);
        assert_eq!(
            piece["video_quality"]["failures"],
            json!(["the resolution is 854×480; at least 1280×720 is required"])
        );
        let other: Value = add_video(&app, &f, &cid, MP4V).await.json().await.unwrap();
        let failures = other["video_format"]["failures"].as_array().unwrap();
        assert_eq!(failures[0], "the video codec is mpeg4; accepted: h264");

        assert_eq!(
            move_to(&app, &f.admin, &cid, "submitted").await.status(),
            200
        );
        // Each automatic item on its own: passing it is refused even when the other is failed.
        for (item, other) in [
            ("video_format", "video_quality"),
            ("video_quality", "video_format"),
        ] {
            let p = assert_problem(
                post_review(&app, &f.admin, &cid, &review("institution", &[other])).await,
                409,
                "automatic_check_failed",
            )
            .await;
            assert!(p["detail"].as_str().unwrap().contains(item), "{p} ({item})");
        }
        // Failing the items the check failed is a review like any other.
        let res = post_review(
            &app,
            &f.admin,
            &cid,
            &review("institution", &["video_format", "video_quality"]),
        )
        .await;
        assert_eq!(res.status(), 201);
    })
    .await;
}

#[tokio::test]
async fn a_quiz_file_is_taken_up_to_512_kib() {
    each_backend(|app| async move {
        let f = filer(&app, "440100", 1).await;
        let (_, pid) = new_piece(&app, &f, "主要负责人培训", "测验", "quiz").await;
        let quiz = json!({"questions": [{"id": "q1", "kind": "true_false", "text": "可以带电作业。", "options": ["对", "错"], "answer": [1]}]});
        // The same quiz, padded with the white space JSON allows after it.
        let padded = |size: usize| {
            let mut bytes = serde_json::to_vec(&quiz).unwrap();
            bytes.resize(size, b' ');
            bytes
        };
        let _quiet = crate::template::MEASURING.read().await;
        let res = upload(&app, &f.admin, &pid, "application/json", padded(512 * 1024)).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());
        let p = assert_problem(
            upload(&app, &f.admin, &pid, "application/json", padded(512 * 1024 + 1)).await,
            422,
            "file_rejected",
        )
        .await;
        assert_eq!(p["detail"], "a quiz is at most 524288 bytes");
    })
    .await;
}

#[tokio::test]
async fn a_file_that_is_not_of_its_kind_is_a_clear_422_and_nothing_is_kept() {
    each_backend(|app| async move {
        let f = filer(&app, "440100", 1).await;
        let (cid, pid) = new_piece(&app, &f, "主要负责人培训", "第一讲", "video").await;
        let cut = MP4_720P[..MP4_720P.len() / 3].to_vec();
        for (bytes, words) in [
            (AVI.to_vec(), "not an MP4"),
            (b"plain text, not a video".to_vec(), "not an MP4"),
            (cut, "MP4"),
        ] {
            let p = assert_problem(
                upload(&app, &f.admin, &pid, "video/mp4", bytes).await,
                422,
                "file_rejected",
            )
            .await;
            assert!(p["detail"].as_str().unwrap().contains(words), "{p}");
        }
        assert_problem(
            upload(
                &app,
                &f.admin,
                &pid,
                "application/pdf",
                b"%PDF-1.7\n%%EOF".to_vec(),
            )
            .await,
            415,
            "unsupported_media_type",
        )
        .await;
        assert_problem(
            upload(&app, &f.admin, &pid, "video/x-msvideo", AVI.to_vec()).await,
            415,
            "unsupported_media_type",
        )
        .await;
        let listed = app
            .get_json(&format!("/api/v1/courses/{cid}/courseware"), Some(&f.admin))
            .await;
        assert!(listed[0]["file"].is_null(), "{listed}");
        let dir = app
            .settings
            .data_path("blobs")
            .join(format!("courses/{cid}/courseware/{pid}"));
        assert_eq!(
            std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0),
            0,
            "no blob left"
        );
        // A document is a PDF, checked by its content.
        let res = app
            .post(
                &format!("/api/v1/courses/{cid}/courseware"),
                Some(&f.admin),
                &json!({"title": "讲义", "kind": "document", "position": 2}),
            )
            .await;
        let doc = id(&res.json::<Value>().await.unwrap());
        assert_problem(
            upload(
                &app,
                &f.admin,
                &doc,
                "application/pdf",
                b"not a pdf".to_vec(),
            )
            .await,
            422,
            "file_rejected",
        )
        .await;
        let res = upload(
            &app,
            &f.admin,
            &doc,
            "application/pdf",
            b"%PDF-1.7\n1 0 obj\nendobj\n%%EOF\n".to_vec(),
        )
        .await;
        assert_eq!(res.status(), 200);
    })
    .await;
}

#[tokio::test]
async fn hours_must_agree_with_the_videos_and_the_answer_says_by_how_much() {
    each_backend(|app| async move {
        let f = filer(&app, "440100", 1).await;
        let mut body = course_body(&f, "两学时的课程");
        body["hours"] = json!("2");
        let res = app.post("/api/v1/courses", Some(&f.admin), &body).await;
        let cid = id(&res.json::<Value>().await.unwrap());
        let res = move_to(&app, &f.admin, &cid, "submitted").await;
        assert_problem(res, 409, "courseware_incomplete").await;
        assert_eq!(add_video(&app, &f, &cid, MP4_720P).await.status(), 200);
        let p = assert_problem(
            move_to(&app, &f.admin, &cid, "submitted").await,
            409,
            "hours_mismatch",
        )
        .await;
        let detail = p["detail"].as_str().unwrap();
        assert!(
            detail.starts_with(
                "2 学时 is 90.0 minutes, the videos last 0.0 minutes: 90.0 minutes apart"
            ),
            "{detail}"
        );
        let course = app
            .get_json(&format!("/api/v1/courses/{cid}"), Some(&f.admin))
            .await;
        assert_eq!(course["status"], "draft", "nothing changed");
    })
    .await;
}

#[tokio::test]
async fn the_videos_durations_add_up_and_the_tolerance_is_inclusive() {
    each_backend_with(
        |s| s.courses.hours_tolerance_minutes = 3,
        |app| async move {
            let f = filer(&app, "440100", 1).await;
            // 0.4 学时 = 18 minutes beside a 20-minute video: within the 3 minutes allowed.
            let mut body = course_body(&f, "十八分钟");
            body["hours"] = json!("0.4");
            let res = app.post("/api/v1/courses", Some(&f.admin), &body).await;
            let cid = id(&res.json::<Value>().await.unwrap());
            assert_eq!(add_video(&app, &f, &cid, LONG).await.status(), 200);
            let before = app
                .get(&format!("/api/v1/courses/{cid}"), Some(&f.admin))
                .await;
            let etag = before.headers()["etag"].to_str().unwrap().to_owned();
            let before: Value = before.json().await.unwrap();
            let res = move_to(&app, &f.admin, &cid, "submitted").await;
            assert_eq!(
                res.status(),
                200,
                "{}",
                res.text().await.unwrap_or_default()
            );
            // A status move is a new version of the course: its ETag moves by one, the old one is stale.
            let after = app
                .get(&format!("/api/v1/courses/{cid}"), Some(&f.admin))
                .await;
            let new_etag = after.headers()["etag"].to_str().unwrap().to_owned();
            assert_eq!(version(&new_etag), version(&etag) + 1);
            let after: Value = after.json().await.unwrap();
            assert!(after["updated_at"].as_str().unwrap() > before["updated_at"].as_str().unwrap());
            // 0.3 学时 = 13.5 minutes: 6.5 minutes from the video's 20.
            let mut body = course_body(&f, "十三分半");
            body["hours"] = json!("0.3");
            let res = app.post("/api/v1/courses", Some(&f.admin), &body).await;
            let cid = id(&res.json::<Value>().await.unwrap());
            assert_eq!(add_video(&app, &f, &cid, LONG).await.status(), 200);
            let p = assert_problem(
                move_to(&app, &f.admin, &cid, "submitted").await,
                409,
                "hours_mismatch",
            )
            .await;
            let detail = p["detail"].as_str().unwrap();
            assert!(
                detail.contains("the videos last 20.0 minutes: 6.5 minutes apart"),
                "{detail}"
            );
        },
    )
    .await;
}

#[tokio::test]
async fn another_institution_cannot_reach_a_course() {
    each_backend(|app| async move {
        let f = filer(&app, "440100", 1).await;
        let intruder = filer(&app, "440100", 2).await;
        let course = create_course(&app, &f, "本机构课程").await;
        let cid = id(&course);
        let url = format!("/api/v1/courses/{cid}");
        let res = app
            .patch(
                &url,
                Some(&intruder.admin),
                Some("*"),
                &json!({"title": "改名"}),
            )
            .await;
        assert_problem(res, 404, "not_found").await;
        assert_problem(app.get(&url, Some(&intruder.admin)).await, 404, "not_found").await;
        assert_problem(
            move_to(&app, &intruder.admin, &cid, "submitted").await,
            404,
            "not_found",
        )
        .await;
        let res = app
            .post(
                &format!("{url}/courseware"),
                Some(&intruder.admin),
                &json!({"title": "x", "kind": "video", "position": 1}),
            )
            .await;
        assert_problem(res, 404, "not_found").await;
        // Filing for another institution, or with its teachers, is refused.
        let res = app
            .post(
                "/api/v1/courses",
                Some(&intruder.admin),
                &course_body(&f, "冒名"),
            )
            .await;
        assert_problem(res, 403, "institution_out_of_scope").await;
        let mut body = course_body(&intruder, "借用师资");
        body["teacher_ids"] = json!([f.teacher]);
        let p = assert_problem(
            app.post("/api/v1/courses", Some(&intruder.admin), &body)
                .await,
            400,
            "validation_failed",
        )
        .await;
        assert_eq!(p["errors"][0]["rule"], "unknown_teacher");
        assert_eq!(
            app.get_json(&url, Some(&f.admin)).await,
            course,
            "unchanged"
        );
        let mine = app.get_json("/api/v1/courses", Some(&intruder.admin)).await;
        assert_eq!(mine["items"], json!([]));
    })
    .await;
}

#[tokio::test]
async fn editing_a_published_course_opens_a_version_under_review() {
    each_backend(|app| async move {
        let f = filer(&app, "440100", 1).await;
        let cid = id(&create_course(&app, &f, "第一版").await);
        assert_eq!(add_video(&app, &f, &cid, MP4_720P).await.status(), 200);
        publish(&app, &f, &cid).await;
        let url = format!("/api/v1/courses/{cid}");
        let current = app.get(&url, Some(&f.admin)).await;
        let etag = current.headers()["etag"].to_str().unwrap().to_owned();
        let res = app
            .patch(
                &url,
                Some(&f.admin),
                Some(&etag),
                &json!({"title": "第二版"}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let edited: Value = res.json().await.unwrap();
        assert_eq!(
            (edited["status"].as_str(), edited["review_status"].as_str()),
            (Some("published"), Some("draft"))
        );
        assert_eq!(
            (
                edited["version_number"].as_i64(),
                edited["published_version"].as_i64()
            ),
            (Some(2), Some(1))
        );
        assert_eq!(edited["title"], "第二版");
        let versions = app
            .get_json(&format!("{url}/versions"), Some(&f.admin))
            .await;
        let summary: Vec<(i64, &str, &str)> = versions
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["number"].as_i64().unwrap(),
                    v["title"].as_str().unwrap(),
                    v["review_status"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [(1, "第一版", "published"), (2, "第二版", "draft")]
        );
        let pieces = app
            .get_json(&format!("{url}/courseware"), Some(&f.admin))
            .await;
        assert_eq!(
            pieces[0]["version_number"], 2,
            "courseware is copied to the new version"
        );
        assert!(pieces[0]["file"].is_object());

        // A version under review cannot change; the new one is published through review.
        assert_eq!(
            move_to(&app, &f.admin, &cid, "submitted").await.status(),
            200
        );
        let res = app
            .patch(&url, Some(&f.admin), Some("*"), &json!({"title": "第三版"}))
            .await;
        assert_problem(res, 409, "course_under_review").await;
        let operator = app.token("platform_operator", None, None);
        let published = approve_and_publish(&app, &f, &cid).await;
        assert_eq!(published["published_version"], 2);
        let versions = app
            .get_json(&format!("{url}/versions"), Some(&f.admin))
            .await;
        assert_eq!(versions[0]["review_status"], "superseded");
        assert_eq!(versions[1]["review_status"], "published");
        // Retired is final.
        assert_eq!(move_to(&app, &f.admin, &cid, "retired").await.status(), 200);
        assert_problem(
            move_to(&app, &operator, &cid, "published").await,
            409,
            "illegal_transition",
        )
        .await;
        let res = app
            .patch(&url, Some(&f.admin), Some("*"), &json!({"title": "第四版"}))
            .await;
        assert_problem(res, 409, "course_retired").await;
    })
    .await;
}

#[tokio::test]
async fn a_listed_term_blocks_a_submission_or_goes_to_review_as_configured() {
    let terms: Value =
        serde_json::from_str(include_str!("../../fixtures/screening_terms.json")).unwrap();
    let term = terms[0]["terms"][0].as_str().unwrap().to_owned();
    let category = terms[0]["category"].as_str().unwrap().to_owned();
    let spaced: String = term.chars().map(|c| format!("{c} ")).collect();
    let (term, category, spaced) = (&term, &category, &spaced);
    each_backend(|app| async move {
        let f = filer(&app, "440100", 1).await;
        let mut body = course_body(&f, &format!("课程{spaced}"));
        body["description"] = json!(format!("本课程{term}。"));
        let cid = id(&app
            .post("/api/v1/courses", Some(&f.admin), &body)
            .await
            .json::<Value>()
            .await
            .unwrap());
        assert_eq!(add_video(&app, &f, &cid, MP4_720P).await.status(), 200);
        let p = assert_problem(
            move_to(&app, &f.admin, &cid, "submitted").await,
            409,
            "screening_hit",
        )
        .await;
        let fields: Vec<(&str, &str)> = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["field"].as_str().unwrap(), e["rule"].as_str().unwrap()))
            .collect();
        assert_eq!(
            fields,
            [
                ("title", category.as_str()),
                ("description", category.as_str())
            ]
        );
    })
    .await;
    each_backend_with(
        |s| s.courses.screening = safetrain::config::ScreeningAction::Review,
        |app| async move {
            let f = filer(&app, "440100", 1).await;
            let cid = id(&create_course(&app, &f, &format!("课程{term}")).await);
            assert_eq!(add_video(&app, &f, &cid, MP4_720P).await.status(), 200);
            assert_eq!(
                move_to(&app, &f.admin, &cid, "submitted").await.status(),
                200
            );
        },
    )
    .await;
}

#[tokio::test]
async fn a_courseware_file_is_read_whole_or_by_range() {
    each_backend(|app| async move {
        let f = filer(&app, "440100", 1).await;
        let cid = id(&create_course(&app, &f, "可分段读取").await);
        let piece: Value = add_video(&app, &f, &cid, MP4_720P)
            .await
            .json()
            .await
            .unwrap();
        let url = format!("/api/v1/courseware/{}/file", id(&piece));
        let operator = app.token("platform_operator", None, None);
        let res = app.get(&url, Some(&operator)).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["accept-ranges"], "bytes");
        assert_eq!(res.bytes().await.unwrap().as_ref(), MP4_720P);
        let size = MP4_720P.len();
        for (range, start, end) in [
            ("bytes=0-99", 0, 100),
            ("bytes=-10", size - 10, size),
            ("bytes=100-", 100, size),
        ] {
            let res = app
                .request(Method::GET, &url, Some(&operator))
                .header("Range", range)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 206, "{range}");
            assert_eq!(
                res.headers()["content-range"].to_str().unwrap(),
                format!("bytes {start}-{}/{size}", end - 1)
            );
            assert_eq!(res.bytes().await.unwrap().as_ref(), &MP4_720P[start..end]);
        }
        let res = app
            .request(Method::GET, &url, Some(&operator))
            .header("Range", format!("bytes={size}-"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.headers()["content-range"].to_str().unwrap(),
            format!("bytes */{size}")
        );
        assert_problem(res, 416, "range_not_satisfiable").await;
        let other = filer(&app, "440100", 2).await;
        assert_problem(app.get(&url, Some(&other.admin)).await, 404, "not_found").await;
    })
    .await;
}

#[tokio::test]
async fn the_list_filters_and_sorts_by_title_or_publication() {
    each_backend(|app| async move {
        let f = filer(&app, "440100", 1).await;
        let mut ids = Vec::new();
        for title in ["丙课程", "甲课程", "乙课程"] {
            ids.push(id(&create_course(&app, &f, title).await));
        }
        let mut body = course_body(&f, "安全管理");
        body["training_categories"] = json!(["safety_manager"]);
        body["operation_types"] = json!([]);
        app.post("/api/v1/courses", Some(&f.admin), &body).await;
        let titles = |page: &Value| -> Vec<String> {
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["title"].as_str().unwrap().to_owned())
                .collect()
        };
        let op = app.token("platform_operator", None, None);
        let page = app
            .get_json("/api/v1/courses?category=safety_manager", Some(&op))
            .await;
        assert_eq!(titles(&page), ["安全管理"]);
        let page = app
            .get_json(
                "/api/v1/courses?category=special_operation&sort=title",
                Some(&op),
            )
            .await;
        let mut sorted = vec!["丙课程", "甲课程", "乙课程"];
        sorted.sort();
        assert_eq!(titles(&page), sorted);
        // Paging by one keeps the order, descending too.
        let mut seen = Vec::new();
        let mut url = "/api/v1/courses?category=special_operation&sort=-title&limit=1".to_owned();
        loop {
            let page = app.get_json(&url, Some(&op)).await;
            seen.extend(titles(&page));
            match page["next_cursor"].as_str() {
                Some(c) => {
                    url = format!(
                        "/api/v1/courses?category=special_operation&sort=-title&limit=1&cursor={c}"
                    )
                }
                None => break,
            }
        }
        sorted.reverse();
        assert_eq!(seen, sorted);
        // By publication: only published courses, in publication order.
        for cid in [&ids[2], &ids[0]] {
            assert_eq!(add_video(&app, &f, cid, MP4_720P).await.status(), 200);
            publish(&app, &f, cid).await;
        }
        let page = app
            .get_json("/api/v1/courses?sort=published_at", Some(&op))
            .await;
        assert_eq!(titles(&page), ["乙课程", "丙课程"]);
        let page = app
            .get_json(
                "/api/v1/courses?sort=-published_at&status=published",
                Some(&op),
            )
            .await;
        assert_eq!(titles(&page), ["丙课程", "乙课程"]);
        let page = app
            .get_json("/api/v1/courses?status=draft", Some(&op))
            .await;
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
        let page = app
            .get_json("/api/v1/courses?overdue=false", Some(&op))
            .await;
        assert_eq!(
            page["items"].as_array().unwrap().len(),
            4,
            "no deadline is due"
        );
        let res = app.get("/api/v1/courses?sort=rating", Some(&op)).await;
        assert_problem(res, 400, "validation_failed").await;
    })
    .await;
}

/// The process's peak resident memory (VmHWM), in KiB (under nextest each test has a process of
/// its own; under `cargo test` the tests share one).
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test]
async fn a_200_mb_upload_streams_with_memory_flat() {
    each_backend(|app| async move {
        let f = filer(&app, "440100", 1).await;
        let (_, pid) = new_piece(&app, &f, "大文件", "长视频", "video").await;
        // The real video, then a 200 MB `free` box (which an MP4 reader skips), sent as a stream.
        let padding: u64 = 200 * 1024 * 1024;
        let mut header = ((padding + 8) as u32).to_be_bytes().to_vec();
        header.extend_from_slice(b"free");
        let chunk = vec![0u8; 256 * 1024];
        let chunks = (padding as usize) / chunk.len();
        let stream = futures_util::stream::iter(
            std::iter::once(MP4_720P.to_vec())
                .chain(std::iter::once(header))
                .chain((0..chunks).map(move |_| chunk.clone()))
                .map(Ok::<_, std::io::Error>),
        );
        // Tests that allocate megabytes on purpose wait while this one measures (under
        // `cargo test` they share its process, and the peak is the process's).
        let measuring = crate::template::MEASURING.write().await;
        let before = peak_rss_kib();
        let res = app
            .request(
                Method::PUT,
                &format!("/api/v1/courseware/{pid}/file"),
                Some(&f.admin),
            )
            .header("Content-Type", "video/mp4")
            .body(reqwest::Body::wrap_stream(stream))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            200,
            "{}",
            res.text().await.unwrap_or_default()
        );
        let piece: Value = res.json().await.unwrap();
        assert_eq!(piece["file"]["size"], MP4_720P.len() as u64 + 8 + padding);
        assert_eq!(piece["video"]["width"], 1280);
        let grown = peak_rss_kib().saturating_sub(before);
        drop(measuring);
        assert!(
            grown < 64 * 1024,
            "peak memory grew by {grown} KiB for a 200 MB upload"
        );
    })
    .await;
}

#[tokio::test]
async fn a_fixed_path_beside_a_template_answers_405_for_its_missing_methods() {
    each_backend(|app| async move {
        let token = app.token(
            "institution_admin",
            None,
            Some("01938a6e-8f1c-7c3a-9a55-5c1f0c1e2d3f"),
        );
        for method in [Method::PATCH, Method::POST, Method::DELETE] {
            let res = app
                .request(method.clone(), "/api/v1/courses/overdue", Some(&token))
                .json(&json!({"title": "x"}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.headers()["allow"], "GET", "{method}");
            assert_problem(res, 405, "method_not_allowed").await;
        }
        // The template beside it still serves its own methods.
        let res = app
            .request(
                Method::DELETE,
                "/api/v1/courses/01938a6e-8f1c-7c3a-9a55-5c1f0c1e2d3f",
                Some(&token),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["allow"], "GET, PATCH");
        let res = app
            .patch(
                "/api/v1/courses/01938a6e-8f1c-7c3a-9a55-5c1f0c1e2d3f",
                Some(&token),
                Some("*"),
                &json!({"title": "x"}),
            )
            .await;
        assert_problem(res, 404, "not_found").await;
    })
    .await;
}

#[tokio::test]
async fn the_list_sorts_and_filters_by_the_current_title_and_category() {
    each_backend(|app| async move {
        let f = filer(&app, "440100", 1).await;
        let first = create_course(&app, &f, "B 低压电工").await;
        create_course(&app, &f, "C 高压电工").await;
        let listed = |query: &'static str| {
            let (app, admin) = (&app, f.admin.clone());
            async move {
                let page = app
                    .get_json(&format!("/api/v1/courses?{query}"), Some(&admin))
                    .await;
                page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["title"].as_str().unwrap().to_owned())
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(listed("sort=title").await, ["B 低压电工", "C 高压电工"]);
        // Renamed and moved to another category, the draft lists by what it now says.
        let path = format!("/api/v1/courses/{}", id(&first));
        let current = app.get(&path, Some(&f.admin)).await;
        let etag = current.headers()["etag"].to_str().unwrap().to_owned();
        let before: Value = current.json().await.unwrap();
        let res = app
            .patch(
                &path,
                Some(&f.admin),
                Some(&etag),
                &json!({"title": "D 安全管理", "training_categories": ["safety_manager"], "operation_types": []}),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());
        let next = res.headers()["etag"].to_str().unwrap().to_owned();
        assert_eq!(version(&next), version(&etag) + 1, "the edit makes the next version");
        let after: Value = res.json().await.unwrap();
        let at = |c: &Value| c["updated_at"].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        assert!(at(&after) > at(&before), "{after}");
        assert_eq!(listed("sort=title").await, ["C 高压电工", "D 安全管理"]);
        assert_eq!(listed("category=safety_manager").await, ["D 安全管理"]);
        assert_eq!(listed("category=special_operation").await, ["C 高压电工"]);
    })
    .await;
}
