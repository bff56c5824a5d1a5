//! The course discussion space: enrolled learners ask, the institution and other enrolled
//! learners reply; screened text is held, readers report, moderators hide and restore, and
//! nothing is deleted; the regulators count unanswered questions.
use chrono::SubsecRound;
use safetrain::discussions::dto::PostStatus;
use safetrain::discussions::entity::post;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::courses::{Filer, filer};
use crate::enrolments::{enrol, published_course, small_programmes};
use crate::helpers::{TestApp, assert_problem, created, each_backend_with, tokens};
use crate::learners::{create_learner, id_number, kept_texts, learner_body};

/// A course of one institution, two learners enrolled in it and one who is not.
struct Space {
    f: Filer,
    course: String,
    asker: String,
    peer: String,
    outsider: String,
}

fn settings(s: &mut safetrain::config::Settings) {
    s.courses.video.min_bitrate_kbps = 1;
    small_programmes(s, "0.1");
}

/// A learner of `f` (number `n`), enrolled in `course` when given; answers a token.
async fn learner(app: &TestApp, f: &Filer, n: u32, course: Option<&str>) -> String {
    let phone = format!("139{n:08}");
    let l = create_learner(
        app,
        &f.admin,
        &learner_body(&f.institution, &id_number(n), &phone),
    )
    .await;
    let id = l["id"].as_str().unwrap().to_owned();
    if let Some(course) = course {
        enrol(app, &f.admin, &id, course).await;
    }
    tokens::platform(&app.settings, "learner", None, None, &id)
}

async fn space(app: &TestApp, city: &str, n: u32) -> Space {
    let f = filer(app, city, n).await;
    let course = published_course(app, &f, "低压电工作业").await;
    Space {
        asker: learner(app, &f, n * 10 + 1, Some(&course)).await,
        peer: learner(app, &f, n * 10 + 2, Some(&course)).await,
        outsider: learner(app, &f, n * 10 + 3, None).await,
        course,
        f,
    }
}

async fn ask(
    app: &TestApp,
    token: &str,
    course: &str,
    title: &str,
    body: &str,
) -> reqwest::Response {
    app.post(
        &format!("/api/v1/courses/{course}/threads"),
        Some(token),
        &json!({"title": title, "body": body}),
    )
    .await
}

async fn asked(app: &TestApp, token: &str, course: &str, body: &str) -> Value {
    created(ask(app, token, course, "第三章的案例", body).await).await
}

async fn reply(app: &TestApp, token: &str, thread: &str, body: &str) -> reqwest::Response {
    app.post(
        &format!("/api/v1/threads/{thread}/posts"),
        Some(token),
        &json!({"body": body}),
    )
    .await
}

async fn replied(app: &TestApp, token: &str, thread: &str, body: &str) -> Value {
    created(reply(app, token, thread, body).await).await
}

async fn moderate(app: &TestApp, token: &str, post: &str, action: &str) -> reqwest::Response {
    app.post(
        &format!("/api/v1/posts/{post}/moderation"),
        Some(token),
        &json!({"action": action, "reason": "与课程无关"}),
    )
    .await
}

/// The replies of a thread as `token` lists them.
async fn replies(app: &TestApp, token: &str, thread: &str) -> Vec<Value> {
    let res = app
        .get(&format!("/api/v1/threads/{thread}/posts"), Some(token))
        .await;
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// The versions of a resource's change events, in the order they were written.
async fn versions(app: &TestApp, kind: &str, id: &str) -> Vec<i64> {
    use sea_orm::ConnectionTrait;
    let sql = format!(
        "SELECT version AS v FROM change_events WHERE resource_type = '{kind}' AND resource_id = '{id}' ORDER BY id"
    );
    app.db
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| i64::from(r.try_get::<i32>("", "v").unwrap()))
        .collect()
}

fn at(v: &Value) -> chrono::DateTime<chrono::Utc> {
    v.as_str().unwrap().parse().unwrap()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

fn listed_term() -> String {
    let terms: Value =
        serde_json::from_str(include_str!("../../fixtures/screening_terms.json")).unwrap();
    terms[0]["terms"][0].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn enrolled_learners_and_the_institution_talk_and_nobody_else_reads_or_posts() {
    each_backend_with(settings, |app| async move {
        let s = space(&app, "440100", 1).await;
        let threads = format!("/api/v1/courses/{}/threads", s.course);
        // Not enrolled, or another institution, or another city: 404 whatever they do.
        assert_problem(ask(&app, &s.outsider, &s.course, "问题", "请问").await, 404, "not_found").await;
        assert_problem(app.get(&threads, Some(&s.outsider)).await, 404, "not_found").await;
        let link = "案例见 <a href=\"http://example.com/x\">这里</a> http://example.com/y";
        let thread = asked(&app, &s.asker, &s.course, link).await;
        let t = id(&thread);
        assert_eq!(thread["status"], "published");
        assert_eq!(thread["opening"]["body"], link, "kept and answered as plain text, as written");
        assert_eq!(thread["opening"]["mine"], true);
        assert!(thread["opening"]["author_subject"].is_null(), "learners do not see subjects");
        assert!(thread["answered_at"].is_null());
        let path = format!("/api/v1/threads/{t}");
        assert_problem(app.get(&path, Some(&s.outsider)).await, 404, "not_found").await;
        assert_problem(reply(&app, &s.outsider, &t, "我也想知道").await, 404, "not_found").await;
        let g = filer(&app, "440300", 2).await;
        assert_problem(app.get(&path, Some(&g.admin)).await, 404, "not_found").await;
        assert_problem(reply(&app, &g.admin, &t, "答复").await, 404, "not_found").await;
        let elsewhere = app.token("city_admin", Some("440300"), None);
        assert_problem(app.get(&path, Some(&elsewhere)).await, 404, "not_found").await;
        assert_problem(app.get(&threads, None).await, 401, "token_missing").await;
        // The city's regulators read; they do not post.
        let city = app.token("city_admin", Some("440100"), None);
        let seen = app.get_json(&path, Some(&city)).await;
        assert_eq!(seen["title"], "第三章的案例");
        assert!(seen["opening"]["author_subject"].is_string(), "staff see who wrote it");
        assert_problem(reply(&app, &city, &t, "答复").await, 403, "role_not_allowed").await;
        assert_problem(ask(&app, &s.f.admin, &s.course, "问题", "请问").await, 403, "role_not_allowed").await;

        // Another enrolled learner replies: not yet an answer; the institution's reply is.
        let from_peer = replied(&app, &s.peer, &t, "在附件里").await;
        assert_eq!(from_peer["status"], "published");
        assert!(app.get_json(&path, Some(&s.asker)).await["answered_at"].is_null());
        let asked_at = at(&app.get_json(&path, Some(&s.asker)).await["created_at"]);
        app.clock.freeze_at(asked_at.trunc_subsecs(0) + chrono::Duration::minutes(5));
        let from_institution = replied(&app, &s.f.admin, &t, "已上传到第三章课件").await;
        assert_eq!(from_institution["author_role"], "institution_admin");
        let answered = app.get_json(&path, Some(&s.asker)).await;
        assert_eq!(at(&answered["answered_at"]), asked_at.trunc_subsecs(0) + chrono::Duration::minutes(5));
        assert_eq!(at(&answered["updated_at"]), asked_at.trunc_subsecs(0) + chrono::Duration::minutes(5), "answering changes the thread");
        let listed = replies(&app, &s.asker, &t).await;
        let order: Vec<&str> = listed.iter().map(|p| p["body"].as_str().unwrap()).collect();
        assert_eq!(order, ["在附件里", "已上传到第三章课件"], "oldest first");
        assert_eq!(listed[0]["mine"], false);
        let page = app.get_json(&threads, Some(&s.peer)).await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        assert_eq!(page["items"][0]["opening"]["body"], link);
        let unanswered = app.get_json(&format!("{threads}?unanswered=true"), Some(&s.peer)).await;
        assert_eq!(unanswered["items"].as_array().unwrap().len(), 0);

        // Each write is one change event of its resource.
        let events = crate::audit::scalar(
            &app.db,
            &format!("SELECT COUNT(*) AS n FROM change_events WHERE resource_type = 'discussion_post' AND resource_id IN ('{}', '{}')", id(&from_peer), id(&from_institution)),
        )
        .await;
        assert_eq!(events, 2);
        let thread_events = crate::audit::scalar(
            &app.db,
            &format!("SELECT COUNT(*) AS n FROM change_events WHERE resource_type = 'discussion_thread' AND resource_id = '{t}'"),
        )
        .await;
        assert_eq!(thread_events, 2, "created, then answered");

        // A courseware item of another course is refused.
        let res = app
            .post(&threads, Some(&s.asker), &json!({"title": "问题", "body": "请问", "courseware_id": uuid::Uuid::now_v7()}))
            .await;
        let p = assert_problem(res, 400, "validation_failed").await;
        assert_eq!(p["errors"][0]["rule"], "unknown_courseware");
    })
    .await;
}

#[tokio::test]
async fn a_screened_post_is_held_and_invisible_to_others_until_released() {
    each_backend_with(settings, |app| async move {
        let s = space(&app, "440100", 1).await;
        let t = id(&asked(&app, &s.asker, &s.course, "请问").await);
        let term = listed_term();
        let held = replied(&app, &s.peer, &t, &format!("看这里{term}")).await;
        assert_eq!(held["status"], "pending", "its author sees it as pending");
        assert!(held["body"].as_str().unwrap().contains(&term));
        assert!(
            held["screening_hits"].is_null(),
            "the hits are the moderators'"
        );
        assert!(
            replies(&app, &s.asker, &t).await.is_empty(),
            "others do not see it"
        );
        assert_eq!(replies(&app, &s.peer, &t).await.len(), 1);
        assert_problem(
            app.post(
                &format!("/api/v1/posts/{}/reports", id(&held)),
                Some(&s.asker),
                &json!({"reason": "广告"}),
            )
            .await,
            404,
            "not_found",
        )
        .await;
        // The institution sees it in its queue with its hits and deadline.
        let queue = app
            .get_json("/api/v1/moderation-queue", Some(&s.f.admin))
            .await;
        let items = queue["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["reason"], "held");
        assert_eq!(items[0]["post"]["id"], held["id"]);
        assert_eq!(items[0]["post"]["screening_hits"][0]["field"], "body");
        let queued: chrono::DateTime<chrono::Utc> =
            items[0]["queued_at"].as_str().unwrap().parse().unwrap();
        let due: chrono::DateTime<chrono::Utc> =
            items[0]["due_at"].as_str().unwrap().parse().unwrap();
        assert_eq!(due - queued, chrono::Duration::hours(24));
        assert_eq!(items[0]["overdue"], false);
        let other = filer(&app, "440300", 2).await;
        assert!(
            app.get_json("/api/v1/moderation-queue", Some(&other.admin))
                .await["items"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        // Held threads too: listed to their authors and the moderators only.
        let pending = asked(&app, &s.asker, &s.course, &format!("{term}？")).await;
        assert_eq!(pending["status"], "pending");
        let threads = format!("/api/v1/courses/{}/threads", s.course);
        assert_eq!(
            app.get_json(&threads, Some(&s.peer)).await["items"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            app.get_json(&threads, Some(&s.asker)).await["items"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_problem(
            app.get(&format!("/api/v1/threads/{}", id(&pending)), Some(&s.peer))
                .await,
            404,
            "not_found",
        )
        .await;
        assert_problem(
            reply(&app, &s.asker, &id(&pending), "补充").await,
            409,
            "thread_not_open",
        )
        .await;

        // Released: everyone reads it, and it leaves the queue.
        let res = moderate(&app, &s.f.admin, &id(&held), "restore").await;
        assert_eq!(res.status(), 200);
        let released: Value = res.json().await.unwrap();
        assert_eq!(released["status"], "published");
        assert_eq!(released["moderation"]["reason"], "与课程无关");
        let seen = replies(&app, &s.asker, &t).await;
        assert_eq!(
            (seen.len(), seen[0]["status"].as_str()),
            (1, Some("published"))
        );
        assert!(
            seen[0]["moderation"].is_null(),
            "the moderation is the moderators'"
        );
        let queue = app
            .get_json("/api/v1/moderation-queue", Some(&s.f.admin))
            .await;
        assert_eq!(
            queue["items"].as_array().unwrap().len(),
            1,
            "only the held thread is left"
        );
        assert_problem(
            moderate(&app, &s.f.admin, &id(&held), "restore").await,
            409,
            "illegal_transition",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn a_hidden_post_keeps_its_text_and_only_its_institution_or_the_platform_moderates() {
    each_backend_with(settings, |app| async move {
        let s = space(&app, "440100", 1).await;
        let t = id(&asked(&app, &s.asker, &s.course, "请问").await);
        let rude = replied(&app, &s.peer, &t, "这门课不值得学，去某网站买答案").await;
        let post = id(&rude);
        // A reader reports it, once; it waits in the queue.
        app.clock
            .freeze_at(at(&rude["created_at"]).trunc_subsecs(0) + chrono::Duration::minutes(10));
        let report = format!("/api/v1/posts/{post}/reports");
        let res = app
            .post(&report, Some(&s.asker), &json!({"reason": "广告"}))
            .await;
        assert_eq!(res.status(), 201);
        assert_problem(
            app.post(&report, Some(&s.asker), &json!({"reason": "广告"}))
                .await,
            409,
            "already_reported",
        )
        .await;
        let queue = app
            .get_json(
                "/api/v1/moderation-queue",
                Some(&app.token("platform_operator", None, None)),
            )
            .await;
        assert_eq!(queue["items"][0]["reason"], "reported");
        let reported_at = at(&rude["created_at"]).trunc_subsecs(0) + chrono::Duration::minutes(10);
        assert_eq!(at(&queue["items"][0]["queued_at"]), reported_at);
        assert_eq!(
            at(&queue["items"][0]["post"]["updated_at"]),
            reported_at,
            "queueing changes the post"
        );
        assert_eq!(queue["items"][0]["reports"][0]["reason"], "广告");

        // Who moderates: not another institution (404), not a learner or regulator (403).
        let other = filer(&app, "440300", 2).await;
        assert_problem(
            moderate(&app, &other.admin, &post, "hide").await,
            404,
            "not_found",
        )
        .await;
        assert_problem(
            moderate(&app, &s.asker, &post, "hide").await,
            403,
            "role_not_allowed",
        )
        .await;
        let city = app.token("city_admin", Some("440100"), None);
        assert_problem(
            moderate(&app, &city, &post, "hide").await,
            403,
            "role_not_allowed",
        )
        .await;
        app.clock
            .freeze_at(at(&rude["created_at"]).trunc_subsecs(0) + chrono::Duration::minutes(30));
        let res = moderate(&app, &s.f.admin, &post, "hide").await;
        assert_eq!(res.status(), 200);
        let hidden: Value = res.json().await.unwrap();
        assert_eq!(
            at(&hidden["updated_at"]),
            at(&rude["created_at"]).trunc_subsecs(0) + chrono::Duration::minutes(30)
        );
        assert_eq!(at(&hidden["moderation"]["at"]), at(&hidden["updated_at"]));
        assert_problem(
            moderate(&app, &s.f.admin, &post, "hide").await,
            409,
            "illegal_transition",
        )
        .await;

        // Shown as hidden, without its text, but to its author and the moderators.
        let seen = replies(&app, &s.asker, &t).await;
        assert_eq!(
            (seen[0]["status"].as_str(), seen[0]["body"].is_null()),
            (Some("hidden"), true)
        );
        assert_eq!(replies(&app, &s.peer, &t).await[0]["body"], rude["body"]);
        let by_staff = replies(&app, &s.f.admin, &t).await;
        assert_eq!(by_staff[0]["body"], rude["body"]);
        assert_eq!(by_staff[0]["moderation"]["reason"], "与课程无关");
        assert!(
            app.get_json("/api/v1/moderation-queue", Some(&s.f.admin))
                .await["items"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        // Nothing deleted: the row keeps the text, and so does the audit log.
        let row = post::Entity::find_by_id(post.parse::<uuid::Uuid>().unwrap())
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (row.body.as_str(), row.status),
            ("这门课不值得学，去某网站买答案", PostStatus::Hidden)
        );
        assert!(
            kept_texts(&app)
                .await
                .contains("这门课不值得学，去某网站买答案")
        );
        // A hidden post takes no reports; restored, it is back for everyone.
        assert_problem(
            app.post(&report, Some(&s.f.admin), &json!({"reason": "广告"}))
                .await,
            409,
            "thread_not_open",
        )
        .await;
        assert_eq!(
            moderate(
                &app,
                &app.token("platform_operator", None, None),
                &post,
                "restore"
            )
            .await
            .status(),
            200
        );
        assert_eq!(replies(&app, &s.asker, &t).await[0]["body"], rude["body"]);
        assert_eq!(
            versions(&app, "discussion_post", &post).await,
            [1, 2, 3, 4],
            "written, reported, hidden, restored"
        );
        // A decision closes the reports: reported anew, the queue shows the new report alone.
        let res = app
            .post(&report, Some(&s.f.admin), &json!({"reason": "仍是广告"}))
            .await;
        assert_eq!(res.status(), 201);
        let queue = app
            .get_json("/api/v1/moderation-queue", Some(&s.f.admin))
            .await;
        let reports = queue["items"][0]["reports"].as_array().unwrap();
        assert_eq!(
            (reports.len(), reports[0]["reason"].as_str()),
            (1, Some("仍是广告"))
        );
    })
    .await;
}

#[tokio::test]
async fn an_answer_is_accepted_by_the_threads_author_or_the_institution_only() {
    each_backend_with(settings, |app| async move {
        let s = space(&app, "440100", 1).await;
        let thread = asked(&app, &s.asker, &s.course, "请问").await;
        let t = id(&thread);
        let first = id(&replied(&app, &s.peer, &t, "在附件里").await);
        let second = id(&replied(&app, &s.peer, &t, "也可以问老师").await);
        let accept = |post: String, token: String| {
            let app = &app;
            async move {
                app.post(
                    &format!("/api/v1/posts/{post}/acceptance"),
                    Some(&token),
                    &json!({}),
                )
                .await
            }
        };
        assert_problem(
            accept(first.clone(), s.peer.clone()).await,
            403,
            "not_thread_author",
        )
        .await;
        assert_problem(
            accept(first.clone(), s.outsider.clone()).await,
            404,
            "not_found",
        )
        .await;
        assert_problem(
            accept(id(&thread["opening"]), s.asker.clone()).await,
            409,
            "not_a_reply",
        )
        .await;
        let res = accept(first.clone(), s.asker.clone()).await;
        assert_eq!(res.status(), 200);
        let answered: Value = res.json().await.unwrap();
        assert_eq!(answered["accepted_post_id"], first.as_str());
        let at = answered["answered_at"].clone();
        assert!(at.is_string());
        let listed = replies(&app, &s.peer, &t).await;
        assert_eq!(
            (
                listed[0]["accepted"].as_bool(),
                listed[1]["accepted"].as_bool()
            ),
            (Some(true), Some(false))
        );
        // The institution may change it; the question stays answered since the first time.
        let res = accept(second.clone(), s.f.admin.clone()).await;
        assert_eq!(res.status(), 200);
        let changed: Value = res.json().await.unwrap();
        assert_eq!(
            (
                changed["accepted_post_id"].as_str(),
                &changed["answered_at"]
            ),
            (Some(second.as_str()), &at)
        );
        // Hiding another reply leaves the answer; hiding the answer unmarks it.
        assert_eq!(
            moderate(&app, &s.f.admin, &first, "hide").await.status(),
            200
        );
        assert_eq!(
            app.get_json(&format!("/api/v1/threads/{t}"), Some(&s.asker))
                .await["accepted_post_id"],
            second.as_str()
        );
        assert_eq!(
            moderate(&app, &s.f.admin, &second, "hide").await.status(),
            200
        );
        assert!(
            app.get_json(&format!("/api/v1/threads/{t}"), Some(&s.asker))
                .await["accepted_post_id"]
                .is_null()
        );
        assert_eq!(
            versions(&app, "discussion_thread", &t).await,
            [1, 2, 3, 4],
            "asked, accepted, accepted anew, unmarked"
        );
        assert_problem(accept(second, s.asker.clone()).await, 409, "not_a_reply").await;
    })
    .await;
}

#[tokio::test]
async fn posting_is_limited_per_caller() {
    each_backend_with(
        |s| {
            settings(s);
            s.discussion.posts_per_window = 2;
            s.discussion.window_minutes = 10;
        },
        |app| async move {
            let s = space(&app, "440100", 1).await;
            app.clock.freeze_at("2026-12-07T02:00:00Z".parse().unwrap());
            let t = id(&asked(&app, &s.asker, &s.course, "请问").await);
            replied(&app, &s.asker, &t, "补充一下").await;
            let res = reply(&app, &s.asker, &t, "再补充").await;
            let retry = res.headers()["retry-after"].to_str().unwrap().to_owned();
            assert_problem(res, 429, "posting_limited").await;
            assert_eq!(retry, "600");
            assert_problem(
                ask(&app, &s.asker, &s.course, "新问题", "请问").await,
                429,
                "posting_limited",
            )
            .await;
            // Per caller: another learner posts on.
            replied(&app, &s.peer, &t, "我来回答").await;
            app.clock.advance(std::time::Duration::from_secs(599));
            let res = reply(&app, &s.asker, &t, "再补充").await;
            assert_eq!(res.headers()["retry-after"], "1");
            assert_problem(res, 429, "posting_limited").await;
            app.clock.advance(std::time::Duration::from_secs(1));
            replied(&app, &s.asker, &t, "再补充").await;
            // At once, six replies by one caller with one place left: exactly one gets it.
            let third = learner(&app, &s.f, 14, Some(&s.course)).await;
            replied(&app, &third, &t, "一").await;
            let texts: Vec<String> = (0..6).map(|n| format!("同时{n}")).collect();
            let burst = futures_util::future::join_all(
                texts.iter().map(|text| reply(&app, &third, &t, text)),
            )
            .await;
            let mut statuses: Vec<u16> = burst.iter().map(|r| r.status().as_u16()).collect();
            statuses.sort();
            assert_eq!(statuses, [201, 429, 429, 429, 429, 429]);
        },
    )
    .await;
}

#[tokio::test]
async fn unanswered_questions_are_counted_per_institution_for_the_regulators() {
    each_backend_with(settings, |app| async move {
        app.clock.freeze_at("2026-12-01T02:00:00Z".parse().unwrap());
        let a = space(&app, "440100", 1).await;
        let b = space(&app, "440300", 2).await;
        let first = id(&asked(&app, &a.asker, &a.course, "一").await);
        asked(&app, &a.peer, &a.course, "二").await;
        asked(&app, &b.asker, &b.course, "三").await;
        let report = |token: String| {
            let app = &app;
            async move {
                app.get_json("/api/v1/reports/discussions", Some(&token))
                    .await
            }
        };
        let province = app.token("province_admin", None, None);
        assert!(
            report(province.clone()).await["institutions"]
                .as_array()
                .unwrap()
                .is_empty(),
            "not waited long enough"
        );
        app.clock
            .advance(std::time::Duration::from_secs(48 * 3600 + 1));
        // A learner's reply is no answer; the institution's is.
        replied(&app, &a.peer, &first, "同问").await;
        let all = report(province.clone()).await;
        assert_eq!(all["unanswered_hours"], 48);
        let rows = all["institutions"].as_array().unwrap();
        let count = |inst: &str| {
            rows.iter()
                .find(|r| r["institution_id"] == inst)
                .map(|r| r["unanswered"].as_u64().unwrap())
        };
        assert_eq!(
            (count(&a.f.institution), count(&b.f.institution)),
            (Some(2), Some(1))
        );
        let oldest = rows
            .iter()
            .find(|r| r["institution_id"] == a.f.institution.as_str())
            .unwrap()["oldest_asked_at"]
            .as_str()
            .unwrap();
        assert_eq!(
            oldest.parse::<chrono::DateTime<chrono::Utc>>().unwrap(),
            "2026-12-01T02:00:00Z"
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap()
        );
        replied(&app, &a.f.admin, &first, "见第三章").await;
        let city = report(app.token("city_admin", Some("440100"), None)).await;
        let rows = city["institutions"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "the city's institutions only");
        assert_eq!(
            (
                rows[0]["institution_id"].as_str(),
                rows[0]["unanswered"].as_u64()
            ),
            (Some(a.f.institution.as_str()), Some(1))
        );
        let own = report(b.f.admin.clone()).await;
        assert_eq!(
            own["institutions"][0]["institution_id"],
            b.f.institution.as_str()
        );
        assert_problem(
            app.get("/api/v1/reports/discussions", Some(&a.asker)).await,
            403,
            "role_not_allowed",
        )
        .await;
        // A reported post is due a day after the report, to the second.
        let post = id(&replied(
            &app,
            &b.peer,
            &id(&asked(&app, &b.peer, &b.course, "四").await),
            "广告",
        )
        .await);
        let res = app
            .post(
                &format!("/api/v1/posts/{post}/reports"),
                Some(&b.asker),
                &json!({"reason": "广告"}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let queue = |overdue: bool| {
            let (app, token) = (&app, b.f.admin.clone());
            async move {
                let page = app
                    .get_json(
                        &format!("/api/v1/moderation-queue?overdue={overdue}"),
                        Some(&token),
                    )
                    .await;
                page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| {
                        (
                            i["post"]["id"].as_str().unwrap().to_owned(),
                            i["overdue"].as_bool().unwrap(),
                        )
                    })
                    .collect::<Vec<_>>()
            }
        };
        app.clock.advance(std::time::Duration::from_secs(24 * 3600));
        assert_eq!(queue(true).await, []);
        assert_eq!(
            queue(false).await,
            [(post.clone(), false)],
            "due this very second, not past it"
        );
        app.clock.advance(std::time::Duration::from_secs(1));
        assert_eq!(queue(true).await, [(post.clone(), true)]);
        assert_eq!(queue(false).await, []);
    })
    .await;
}
