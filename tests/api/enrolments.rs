//! Programmes and enrolments: a learner enrolled by its institution in a programme that fits
//! it, with published courses that fit the programme and reach its hours; read by the learner,
//! its institution and the regulators of its city.
use serde_json::{Value, json};

use crate::courses::{Filer, add_video, create_course, filer, publish};
use crate::helpers::{TestApp, assert_problem, created, each_backend_with};
use crate::learners::{create_learner, id_number, learner_body, sign_in};

const MP4_720P: &[u8] = include_bytes!("fixtures/lecture-720p.mp4");

/// Settings whose programmes need only `hours` 学时 (the test videos are seconds long).
pub fn small_programmes(s: &mut safetrain::config::Settings, hours: &str) {
    let text = include_str!("../../fixtures/programmes.json").replace(
        r#""initial": "48", "review": "8""#,
        &format!(r#""initial": "{hours}", "review": "{hours}""#),
    );
    let path = std::env::temp_dir().join(format!("programmes-{}.json", uuid::Uuid::now_v7()));
    std::fs::write(&path, text).unwrap();
    s.study.programmes_file = Some(path);
}

/// A published course (0.1 学时, one 720p video) of `f`'s institution; answers its id.
pub async fn published_course(app: &TestApp, f: &Filer, title: &str) -> String {
    let course = create_course(app, f, title).await;
    let id = course["id"].as_str().unwrap().to_owned();
    assert_eq!(add_video(app, f, &id, MP4_720P).await.status(), 200);
    publish(app, f, &id).await;
    id
}

/// Enrols `learner` (by `admin`, its institution) in the low-voltage electrician programme with
/// `course`; answers the enrolment's id.
pub async fn enrol(app: &TestApp, admin: &str, learner: &str, course: &str) -> String {
    let res = app
        .post(
            "/api/v1/enrolments",
            Some(admin),
            &json!({"learner_id": learner, "programme_code": "special_operation-0102-initial", "course_ids": [course]}),
        )
        .await;
    created(res).await["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn programmes_are_public_with_their_hours() {
    each_backend_with(
        |_| {},
        |app| async move {
            let all: Value = app.get_json("/api/v1/programmes", None).await;
            let find = |code: &str| {
                all.as_array()
                    .unwrap()
                    .iter()
                    .find(|p| p["code"] == code)
                    .cloned()
                    .unwrap()
            };
            assert_eq!(
                find("principal_person-general-initial")["required_hours"],
                "32"
            );
            assert_eq!(
                find("safety_manager-fireworks-refresher")["required_hours"],
                "16"
            );
            assert_eq!(find("special_operation-0102-review")["required_hours"], "8");
            let some: Value = app
                .get_json(
                    "/api/v1/programmes?training_category=special_operation&operation_type=0102",
                    None,
                )
                .await;
            let codes: Vec<&str> = some
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["code"].as_str().unwrap())
                .collect();
            assert_eq!(
                codes,
                [
                    "special_operation-0102-initial",
                    "special_operation-0102-review"
                ]
            );
        },
    )
    .await;
}

#[tokio::test]
async fn a_learner_is_enrolled_with_courses_that_fit_and_reach_the_hours() {
    each_backend_with(|s| small_programmes(s, "0.2"), |app| async move {
        let f = filer(&app, "440100", 1).await;
        let learner = create_learner(&app, &f.admin, &learner_body(&f.institution, &id_number(1), "13900000001")).await;
        let learner_id = learner["id"].as_str().unwrap().to_owned();
        let first = published_course(&app, &f, "低压电工作业（一）").await;
        let body = |courses: &[&str], programme: &str| json!({"learner_id": learner_id, "programme_code": programme, "course_ids": courses});
        let enrol = |b: Value| {
            let app = &app;
            let token = f.admin.clone();
            async move { app.post("/api/v1/enrolments", Some(&token), &b).await }
        };
        let p = assert_problem(enrol(body(&[&first], "special_operation-0102-initial")).await, 400, "validation_failed").await;
        assert_eq!((p["errors"][0]["field"].as_str(), p["errors"][0]["rule"].as_str()), (Some("course_ids"), Some("too_few_hours")));
        let p = assert_problem(enrol(body(&[&first], "special_operation-0101-initial")).await, 400, "validation_failed").await;
        assert_eq!(p["errors"][0]["rule"], "not_for_learner");
        let draft = create_course(&app, &f, "未发布").await;
        let p = assert_problem(enrol(body(&[&first, draft["id"].as_str().unwrap()], "special_operation-0102-initial")).await, 400, "validation_failed").await;
        assert_eq!(p["errors"][0]["rule"], "unknown_course");
        let second = published_course(&app, &f, "低压电工作业（二）").await;
        let res = enrol(body(&[&first, &second], "special_operation-0102-initial")).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap_or_default());
        let enrolment: Value = res.json().await.unwrap();
        assert_eq!(enrolment["required_hours"], "0.2");
        assert_eq!(enrolment["required_seconds"], 540, "0.2 学时 of 45 minutes");
        assert_eq!((enrolment["credited_seconds"].as_i64(), enrolment["remaining_seconds"].as_i64()), (Some(0), Some(540)));
        let courses = enrolment["courses"].as_array().unwrap();
        assert_eq!(courses.len(), 2);
        assert_eq!((courses[0]["course_id"].as_str(), courses[0]["version_number"].as_i64()), (Some(first.as_str()), Some(1)));
        assert_eq!(courses[1]["title"], "低压电工作业（二）");
        assert_eq!(courses[0]["quiz"], "none");
        assert_problem(enrol(body(&[&first, &second], "special_operation-0102-initial")).await, 409, "already_enrolled").await;

        // Who reads it.
        let path = format!("/api/v1/enrolments/{}", enrolment["id"].as_str().unwrap());
        let session = sign_in(&app, "13900000001", "Anquan2026").await;
        let own = session["access_token"].as_str().unwrap().to_owned();
        assert_eq!(app.get(&path, Some(&own)).await.status(), 200);
        let mine = app.get_json("/api/v1/enrolments", Some(&own)).await;
        assert_eq!(mine["items"].as_array().unwrap().len(), 1);
        assert_eq!(app.get(&path, Some(&app.token("city_admin", Some("440100"), None))).await.status(), 200);
        let other = create_learner(&app, &f.admin, &learner_body(&f.institution, &id_number(2), "13900000002")).await;
        let _ = other;
        let session = sign_in(&app, "13900000002", "Anquan2026").await;
        let theirs = session["access_token"].as_str().unwrap().to_owned();
        assert_problem(app.get(&path, Some(&theirs)).await, 404, "not_found").await;
        assert_eq!(app.get_json("/api/v1/enrolments", Some(&theirs)).await["items"].as_array().unwrap().len(), 0);
        assert_problem(app.get(&path, Some(&app.token("city_admin", Some("440300"), None))).await, 404, "not_found").await;
        let g = filer(&app, "440300", 2).await;
        assert_problem(app.get(&path, Some(&g.admin)).await, 404, "not_found").await;
        // Another institution cannot enrol this learner.
        let p = assert_problem(app.post("/api/v1/enrolments", Some(&g.admin), &body(&[&first, &second], "special_operation-0102-review")).await, 400, "validation_failed").await;
        assert_eq!(p["errors"][0]["rule"], "unknown_learner");
    })
    .await;
}

#[tokio::test]
async fn a_certificate_needs_every_course_done_not_only_the_programme_hours() {
    each_backend_with(
        |s| small_programmes(s, "0.1"),
        |app| async move {
            let f = filer(&app, "440100", 1).await;
            let learner = create_learner(
                &app,
                &f.admin,
                &learner_body(&f.institution, &id_number(1), "13900000001"),
            )
            .await;
            let first = published_course(&app, &f, "低压电工作业（一）").await;
            let second = published_course(&app, &f, "低压电工作业（二）").await;
            let res = app
                .post(
                    "/api/v1/enrolments",
                    Some(&f.admin),
                    &json!({"learner_id": learner["id"], "programme_code": "special_operation-0102-initial", "course_ids": [first, second]}),
                )
                .await;
            let enrolment = created(res).await["id"].as_str().unwrap().to_owned();
            let regulator = app.token("city_admin", Some("440100"), None);
            // Credit a whole course's 0.1 学时 (270 s) by a regulator's correction.
            let credit = |course: String| {
                let (app, regulator, enrolment) = (&app, regulator.clone(), enrolment.clone());
                async move {
                    let pieces = app
                        .get_json(&format!("/api/v1/courses/{course}/courseware"), Some(&regulator))
                        .await;
                    let body = json!({"course_id": course, "courseware_id": pieces[0]["id"], "seconds": 270, "reason": "申诉成立", "approval": "SS-2026-002"});
                    let path = format!("/api/v1/enrolments/{enrolment}/corrections");
                    created(app.post(&path, Some(&regulator), &body).await).await;
                }
            };
            credit(first.clone()).await;
            let issue = format!("/api/v1/enrolments/{enrolment}/certificate");
            // The programme's hours are met by the first course alone; the second is not done.
            let p = assert_problem(
                app.post(&issue, Some(&f.admin), &json!({})).await,
                409,
                "training_incomplete",
            )
            .await;
            assert_eq!(
                p["detail"],
                "0 seconds of the programme remain; courses not done (hours or quiz): 低压电工作业（二）"
            );
            credit(second).await;
            let cert = created(app.post(&issue, Some(&f.admin), &json!({})).await).await;
            assert_eq!(cert["hours"], "0.1");
        },
    )
    .await;
}

#[tokio::test]
async fn a_programme_fits_the_learners_industry_and_a_course_the_programmes_training_type() {
    each_backend_with(
        |s| small_programmes(s, "0.1"),
        |app| async move {
            let f = filer(&app, "440100", 1).await;
            let course = published_course(&app, &f, "低压电工作业（初训）").await;
            let enrol = |learner: Value, programme: &'static str| {
                let (app, admin, course) = (&app, f.admin.clone(), course.clone());
                async move {
                    let body = json!({"learner_id": learner["id"], "programme_code": programme, "course_ids": [course]});
                    let p = assert_problem(app.post("/api/v1/enrolments", Some(&admin), &body).await, 400, "validation_failed").await;
                    p["errors"][0]["rule"].as_str().unwrap().to_owned()
                }
            };
            // A principal of a hazardous-chemicals employer: the programme of its own industry
            // fits it (the special-operation course then does not fit the programme); another
            // industry's does not.
            let mut body = learner_body(&f.institution, &id_number(1), "13900000001");
            body["training_category"] = json!("principal_person");
            body["operation_type"] = Value::Null;
            let principal = create_learner(&app, &f.admin, &body).await;
            assert_eq!(enrol(principal.clone(), "principal_person-mining-initial").await, "not_for_learner");
            assert_eq!(enrol(principal, "principal_person-hazardous_chemicals-initial").await, "not_for_programme");
            // A refresher learner of the same operation item: a course for initial training only
            // does not fit the refresher programme.
            let mut body = learner_body(&f.institution, &id_number(2), "13900000002");
            body["training_type"] = json!("review");
            let refresher = create_learner(&app, &f.admin, &body).await;
            assert_eq!(enrol(refresher, "special_operation-0102-review").await, "not_for_programme");
        },
    )
    .await;
}
