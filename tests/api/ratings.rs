//! Ratings: a learner rates what they studied, once per version; screened comments; the
//! low-satisfaction flag and the takedown a platform operator decides.
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::changes::read_feed;
use crate::courses::{add_video, create_course, filer, publish};
use crate::helpers::{TestApp, assert_problem, each_backend, each_backend_with, tokens};
use safetrain::ratings::entity::{evidence, rating};

const MP4_720P: &[u8] = include_bytes!("fixtures/lecture-720p.mp4");

/// A published course of a new institution of `city`; answers its id and the filer.
async fn published(app: &TestApp, city: &str, n: u32) -> (String, crate::courses::Filer) {
    let f = filer(app, city, n).await;
    let course = create_course(app, &f, "低压电工作业安全技术培训").await;
    let id = course["id"].as_str().unwrap().to_owned();
    assert_eq!(add_video(app, &f, &id, MP4_720P).await.status(), 200);
    publish(app, &f, &id).await;
    (id, f)
}

fn learner(app: &TestApp, n: u32) -> String {
    tokens::platform(
        &app.settings,
        "learner",
        None,
        None,
        &format!("learner-{n}"),
    )
}

/// Records, through the data layer, that learner `n` studied `version` of `course` (what
/// study sessions will write).
async fn studied(app: &TestApp, n: u32, course: &str, version: i32) {
    evidence::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        learner_subject: Set(format!("learner-{n}")),
        course_id: Set(course.parse().unwrap()),
        version_number: Set(version),
        minutes: Set(45),
        recorded_at: Set(chrono::Utc::now()),
    }
    .insert(&app.db)
    .await
    .expect("evidence");
}

async fn rate(app: &TestApp, token: &str, course: &str, body: &Value) -> reqwest::Response {
    app.post(
        &format!("/api/v1/courses/{course}/ratings"),
        Some(token),
        body,
    )
    .await
}

fn scores(content: u8, settings: u8, teacher: u8) -> Value {
    json!({"content": content, "settings": settings, "teacher": teacher})
}

#[tokio::test]
async fn a_learner_rates_a_version_they_studied_once() {
    each_backend(|app| async move {
        let (course, f) = published(&app, "440100", 1).await;
        let me = learner(&app, 1);

        // No study evidence: refused, nothing kept.
        let res = rate(&app, &me, &course, &scores(5, 4, 3)).await;
        assert_problem(res, 403, "no_study_evidence").await;
        // Evidence of another course or version does not count.
        studied(&app, 1, &course, 2).await;
        let res = rate(&app, &me, &course, &scores(5, 4, 3)).await;
        assert_problem(res, 403, "no_study_evidence").await;
        assert_eq!(rating::Entity::find().count(&app.db).await.unwrap(), 0);

        studied(&app, 1, &course, 1).await;
        // A score out of range is a 400 naming the field.
        let mut bad = scores(5, 4, 3);
        bad["teacher"] = json!(6);
        let problem = assert_problem(
            rate(&app, &me, &course, &bad).await,
            400,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], "teacher");
        assert_eq!(rating::Entity::find().count(&app.db).await.unwrap(), 0);

        let mut body = scores(5, 4, 3);
        body["comment"] = json!("讲解清楚，案例实用。");
        let res = rate(&app, &me, &course, &body).await;
        assert_eq!(res.status(), 201);
        let rated: Value = res.json().await.unwrap();
        assert_eq!(rated["version_number"], 1);
        assert_eq!(
            (&rated["content"], &rated["settings"], &rated["teacher"]),
            (&json!(5), &json!(4), &json!(3))
        );
        assert_eq!(rated["comment"], "讲解清楚，案例实用。");
        assert_eq!(rated["comment_status"], "visible");

        // Once per version.
        let res = rate(&app, &me, &course, &scores(1, 1, 1)).await;
        assert_problem(res, 409, "already_rated").await;

        // A second learner, without a comment.
        studied(&app, 2, &course, 1).await;
        let res = rate(&app, &learner(&app, 2), &course, &scores(4, 4, 4)).await;
        assert_eq!(res.status(), 201);
        let second: Value = res.json().await.unwrap();
        assert_eq!(second["comment_status"], "none");
        assert!(second["comment"].is_null());

        // Averages per version, and the ratings, for learners and the institution alike.
        for token in [&me, &f.admin] {
            let all = app
                .get_json(&format!("/api/v1/courses/{course}/ratings"), Some(token))
                .await;
            let summary = &all["summaries"][0];
            assert_eq!(summary["version_number"], 1);
            assert_eq!(summary["ratings"], 2);
            assert_eq!(summary["content"], 4.5);
            assert_eq!(summary["settings"], 4.0);
            assert_eq!(summary["teacher"], 3.5);
            assert_eq!(summary["overall"], 4.0);
            assert_eq!(all["items"].as_array().unwrap().len(), 2);
            assert_eq!(all["items"][0]["comment"], "讲解清楚，案例实用。");
        }
        // Paged by cursor.
        let res = app
            .get(
                &format!("/api/v1/courses/{course}/ratings?limit=1"),
                Some(&me),
            )
            .await;
        assert!(res.headers().get("link").is_some());
        let first: Value = res.json().await.unwrap();
        assert_eq!(first["items"].as_array().unwrap().len(), 1);
        let cursor = first["next_cursor"].as_str().unwrap();
        let rest = app
            .get_json(
                &format!("/api/v1/courses/{course}/ratings?limit=1&cursor={cursor}"),
                Some(&me),
            )
            .await;
        assert_eq!(rest["items"][0]["id"], second["id"]);
        assert!(rest["next_cursor"].is_null());

        // Another institution's admin does not reach the course; only learners rate.
        let other = filer(&app, "440300", 2).await;
        let res = app
            .get(
                &format!("/api/v1/courses/{course}/ratings"),
                Some(&other.admin),
            )
            .await;
        assert_problem(res, 404, "not_found").await;
        let res = rate(&app, &f.admin, &course, &scores(5, 5, 5)).await;
        assert_problem(res, 403, "role_not_allowed").await;

        // Every rating is a change event.
        let events = read_feed(&app, "&types=course_rating", 50, 2).await;
        assert_eq!(events.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn learners_reach_only_published_courses() {
    each_backend(|app| async move {
        let f = filer(&app, "440100", 1).await;
        let draft = create_course(&app, &f, "未发布的课程").await;
        let id = draft["id"].as_str().unwrap();
        studied(&app, 1, id, 1).await;
        let me = learner(&app, 1);
        assert_problem(
            rate(&app, &me, id, &scores(3, 3, 3)).await,
            404,
            "not_found",
        )
        .await;
        let res = app
            .get(&format!("/api/v1/courses/{id}/ratings"), Some(&me))
            .await;
        assert_problem(res, 404, "not_found").await;
        let missing = uuid::Uuid::now_v7();
        let res = rate(&app, &me, &missing.to_string(), &scores(3, 3, 3)).await;
        assert_problem(res, 404, "not_found").await;
    })
    .await;
}

#[tokio::test]
async fn a_comment_with_a_listed_term_is_held_until_a_moderator_decides() {
    each_backend(|app| async move {
        // 赌博 is on the built-in obscenity_violence list.
        let province = app.token("province_admin", None, None);
        let (course, _) = published(&app, "440100", 1).await;
        studied(&app, 1, &course, 1).await;
        let me = learner(&app, 1);
        let mut body = scores(4, 4, 4);
        body["comment"] = json!("课后群里有人组织赌博。");
        let res = rate(&app, &me, &course, &body).await;
        assert_eq!(res.status(), 201);
        let held: Value = res.json().await.unwrap();
        assert_eq!(held["comment_status"], "held");
        assert!(held["comment"].is_null(), "hidden from the learner");
        assert!(held["screening_hits"].is_null());
        let rid = held["id"].as_str().unwrap();

        // Hidden from readers, shown to platform operators with the hits.
        let path = format!("/api/v1/courses/{course}/ratings");
        let seen = app.get_json(&path, Some(&me)).await;
        assert!(seen["items"][0]["comment"].is_null());
        assert_eq!(seen["summaries"][0]["ratings"], 1, "the scores count");
        let operator = app.token("platform_operator", None, None);
        let seen = app.get_json(&path, Some(&operator)).await;
        assert_eq!(seen["items"][0]["comment"], "课后群里有人组织赌博。");
        assert_eq!(seen["items"][0]["screening_hits"][0]["field"], "comment");
        assert_eq!(
            seen["items"][0]["screening_hits"][0]["rule"],
            "obscenity_violence"
        );

        // Only platform operators decide, once.
        let moderation = format!("/api/v1/course-ratings/{rid}/moderation");
        let decision = json!({"decision": "remove", "reason": "含有谣言"});
        let res = app.post(&moderation, Some(&province), &decision).await;
        assert_problem(res, 403, "role_not_allowed").await;
        let res = app.post(&moderation, Some(&operator), &decision).await;
        assert_eq!(res.status(), 200);
        let removed: Value = res.json().await.unwrap();
        assert_eq!(removed["comment_status"], "removed");
        let res = app
            .post(
                &moderation,
                Some(&operator),
                &json!({"decision": "publish", "reason": "误判"}),
            )
            .await;
        assert_problem(res, 409, "already_decided").await;
        let seen = app.get_json(&path, Some(&me)).await;
        assert!(seen["items"][0]["comment"].is_null());
        assert_eq!(seen["items"][0]["comment_status"], "removed");
        let feed = read_feed(&app, "&types=course_rating", 50, 2).await;
        assert_eq!(
            (&feed[1]["operation"], &feed[1]["version"]),
            (&json!("updated"), &json!(2)),
            "the moderation is the rating's second version"
        );

        // A second learner's held comment, published by the moderator, is shown to all.
        studied(&app, 2, &course, 1).await;
        let res = rate(&app, &learner(&app, 2), &course, &body).await;
        let rid: Value = res.json().await.unwrap();
        let res = app
            .post(
                &format!(
                    "/api/v1/course-ratings/{}/moderation",
                    rid["id"].as_str().unwrap()
                ),
                Some(&operator),
                &json!({"decision": "publish", "reason": "反映的是真实问题"}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let seen = app.get_json(&path, Some(&me)).await;
        assert_eq!(seen["items"][1]["comment"], "课后群里有人组织赌博。");
        assert_eq!(seen["items"][1]["comment_status"], "visible");
        let missing = uuid::Uuid::now_v7();
        let res = app
            .post(
                &format!("/api/v1/course-ratings/{missing}/moderation"),
                Some(&operator),
                &decision,
            )
            .await;
        assert_problem(res, 404, "not_found").await;
    })
    .await;
}

/// Three ratings of version 1 from learners 1..=3 with these scores.
async fn rate_all(app: &TestApp, course: &str, all: &[(u8, u8, u8)], first: u32) {
    for (i, (c, s, t)) in all.iter().enumerate() {
        let n = first + i as u32;
        studied(app, n, course, 1).await;
        let res = rate(app, &learner(app, n), course, &scores(*c, *s, *t)).await;
        assert_eq!(res.status(), 201);
    }
}

async fn flags(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    app.get_json(&format!("/api/v1/course-flags{query}"), Some(token))
        .await["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn low_satisfaction_flags_a_course_and_a_takedown_suspends_it() {
    each_backend_with(
        |s| {
            s.courses.ratings.flag_min_ratings = 3;
            s.courses.ratings.flag_below = 3.0;
        },
        |app| async move {
            let operator = app.token("platform_operator", None, None);
            let (course, f) = published(&app, "440100", 1).await;
            // Two low ratings: not enough to flag.
            rate_all(&app, &course, &[(2, 2, 2), (3, 3, 3)], 1).await;
            assert!(flags(&app, &operator, "").await.is_empty());
            // The third takes the overall average to 22/9 = 2.44, below 3.
            rate_all(&app, &course, &[(2, 2, 3)], 3).await;
            let raised = flags(&app, &operator, "").await;
            assert_eq!(raised.len(), 1);
            let flag = &raised[0];
            assert_eq!(flag["course_id"], course.as_str());
            assert_eq!(flag["version_number"], 1);
            assert_eq!(flag["average"], 2.44);
            assert_eq!(flag["ratings"], 3);
            assert_eq!(flag["status"], "open");
            let feed = read_feed(&app, "&types=course_flag", 50, 1).await;
            assert_eq!(feed.len(), 1, "raised: one event");
            assert_eq!(
                (&feed[0]["operation"], &feed[0]["version"]),
                (&json!("created"), &json!(1))
            );
            // One flag per version, however many more low ratings come.
            rate_all(&app, &course, &[(1, 1, 1)], 4).await;
            assert_eq!(flags(&app, &operator, "").await.len(), 1);

            // Read within scope.
            let city = app.token("city_admin", Some("440100"), None);
            let elsewhere = app.token("city_admin", Some("440300"), None);
            assert_eq!(flags(&app, &city, "").await.len(), 1);
            assert!(flags(&app, &elsewhere, "").await.is_empty());
            assert_eq!(flags(&app, &f.admin, "?status=open").await.len(), 1);
            assert!(flags(&app, &f.admin, "?status=dismissed").await.is_empty());

            let fid = flag["id"].as_str().unwrap();
            let decision = format!("/api/v1/course-flags/{fid}/decision");
            let body = json!({"decision": "take_down", "reason": "满意度低，下架更新"});
            let res = app.post(&decision, Some(&city), &body).await;
            assert_problem(res, 403, "role_not_allowed").await;
            let res = app.post(&decision, Some(&operator), &body).await;
            assert_eq!(res.status(), 200);
            let decided: Value = res.json().await.unwrap();
            assert_eq!(decided["status"], "taken_down");
            assert_eq!(decided["decision_reason"], "满意度低，下架更新");
            assert!(decided["decided_at"].is_string());

            // The course is suspended, the reason in its history.
            let c = app
                .get_json(&format!("/api/v1/courses/{course}"), Some(&f.admin))
                .await;
            assert_eq!(c["status"], "suspended");
            let history = app
                .get_json(
                    &format!("/api/v1/courses/{course}/status-changes"),
                    Some(&f.admin),
                )
                .await;
            let last = history["items"].as_array().unwrap().last().unwrap().clone();
            assert_eq!(last["to_status"], "suspended");
            assert_eq!(
                last["reason"],
                "taken down for low satisfaction: 满意度低，下架更新"
            );
            assert_eq!(last["actor_role"], "platform_operator");
            // Learners no longer reach it.
            let res = rate(&app, &learner(&app, 9), &course, &scores(5, 5, 5)).await;
            assert_problem(res, 404, "not_found").await;

            // Decided once.
            let res = app.post(&decision, Some(&operator), &body).await;
            assert_problem(res, 409, "already_decided").await;
            assert_eq!(flags(&app, &operator, "?status=taken_down").await.len(), 1);
            let events = read_feed(&app, "&types=course_flag", 50, 2).await;
            assert_eq!(events.len(), 2, "raised and decided");
            assert_eq!(
                (&events[1]["operation"], &events[1]["version"]),
                (&json!("updated"), &json!(2))
            );
        },
    )
    .await;
}

#[tokio::test]
async fn a_dismissed_flag_keeps_the_course_online_and_an_average_at_the_threshold_is_not_low() {
    each_backend_with(
        |s| {
            s.courses.ratings.flag_min_ratings = 2;
            s.courses.ratings.flag_below = 3.0;
        },
        |app| async move {
            let operator = app.token("platform_operator", None, None);
            let (at, _) = published(&app, "440100", 1).await;
            // Exactly 3.00: not below.
            rate_all(&app, &at, &[(3, 3, 3), (2, 3, 4)], 1).await;
            assert!(flags(&app, &operator, "").await.is_empty());

            let (low, f) = published(&app, "440100", 2).await;
            rate_all(&app, &low, &[(1, 2, 3), (3, 2, 3)], 11).await;
            let raised = flags(&app, &operator, "").await;
            assert_eq!(raised.len(), 1);
            assert_eq!(raised[0]["average"], 2.33);
            let fid = raised[0]["id"].as_str().unwrap();
            let res = app
                .post(
                    &format!("/api/v1/course-flags/{fid}/decision"),
                    Some(&operator),
                    &json!({"decision": "dismiss", "reason": "评分样本偏少"}),
                )
                .await;
            assert_eq!(res.status(), 200);
            assert_eq!(res.json::<Value>().await.unwrap()["status"], "dismissed");
            let c = app
                .get_json(&format!("/api/v1/courses/{low}"), Some(&f.admin))
                .await;
            assert_eq!(c["status"], "published");
            rate_all(&app, &low, &[(1, 1, 1)], 13).await;
            assert_eq!(
                flags(&app, &operator, "").await.len(),
                1,
                "not flagged again"
            );
            let res = app
                .post(
                    &format!("/api/v1/course-flags/{}/decision", uuid::Uuid::now_v7()),
                    Some(&operator),
                    &json!({"decision": "dismiss", "reason": "无"}),
                )
                .await;
            assert_problem(res, 404, "not_found").await;
        },
    )
    .await;
}

#[tokio::test]
async fn a_failed_write_is_not_mistaken_for_a_second_rating() {
    use sea_orm::ConnectionTrait;
    each_backend(|app| async move {
        let (course, _) = published(&app, "440100", 1).await;
        studied(&app, 1, &course, 1).await;
        let refuse = match app.db.get_database_backend() {
            sea_orm::DbBackend::Postgres => vec![
                "CREATE FUNCTION refuse_rating() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'ratings refused'; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER refuse_rating BEFORE INSERT ON course_ratings FOR EACH ROW EXECUTE FUNCTION refuse_rating()",
            ],
            _ => vec!["CREATE TRIGGER refuse_rating BEFORE INSERT ON course_ratings BEGIN SELECT RAISE(ABORT, 'ratings refused'); END"],
        };
        for sql in refuse {
            app.db.execute_unprepared(sql).await.unwrap();
        }
        let res = rate(&app, &learner(&app, 1), &course, &scores(4, 4, 4)).await;
        assert_problem(res, 500, "internal_error").await;
        assert_eq!(rating::Entity::find().count(&app.db).await.unwrap(), 0);
    })
    .await;
}
