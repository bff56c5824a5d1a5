//! Learners: registered by their institution, personal data encrypted at rest and masked per
//! role, never in the audit log in clear; local sign-in with rotating refresh tokens, one
//! sign-in at a time, lockout; consents to face processing.
use reqwest::Method;
use safetrain::auth::sign_ins::refresh_token;
use safetrain::learners::entity::{consent, learner};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Statement,
};
use serde_json::{Value, json};

use crate::audit::scalar;
use crate::helpers::{TestApp, assert_problem, each_backend, each_backend_with, institution_body};

pub const ID_NUMBER: &str = "440101199003070018";
pub const PHONE: &str = "13912345678";
const PASSWORD: &str = "Anquan2026";

/// An institution in `city` (numbered `n`) and its admin's token.
pub async fn institution(app: &TestApp, city: &str, n: u32) -> (String, String) {
    let inst = app
        .create_institution(&institution_body(city, n, &format!("培训机构{n}")))
        .await;
    let id = inst["id"].as_str().unwrap().to_owned();
    let token = app.token("institution_admin", None, Some(&id));
    (id, token)
}

/// An identity number for learner `n` (born 1990-03-07 in Guangzhou), check character included.
pub fn id_number(n: u32) -> String {
    safetrain::domain::id_number::complete(&format!("44010119900307{:03}", n % 1000)).unwrap()
}

pub fn learner_body(institution: &str, id_number: &str, phone: &str) -> Value {
    json!({
        "institution_id": institution,
        "name": "张三",
        "id_number": id_number,
        "phone": phone,
        "employer_name": "广州某化工有限公司",
        "employer_credit_code": "91440101MA59UFRF1R",
        "industry": "hazardous_chemicals",
        "city_code": "440100",
        "training_category": "special_operation",
        "operation_type": "0102",
        "training_type": "initial",
        "password": PASSWORD
    })
}

pub async fn create_learner(app: &TestApp, token: &str, body: &Value) -> Value {
    let res = app.post("/api/v1/learners", Some(token), body).await;
    assert_eq!(
        res.status(),
        201,
        "{}",
        res.text().await.unwrap_or_default()
    );
    res.json().await.unwrap()
}

pub async fn login(app: &TestApp, login: &str, password: &str) -> reqwest::Response {
    app.post(
        "/api/v1/auth/login",
        None,
        &json!({"login": login, "password": password}),
    )
    .await
}

/// Signs in and answers the token pair.
pub async fn sign_in(app: &TestApp, login_name: &str, password: &str) -> Value {
    let res = login(app, login_name, password).await;
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    assert_eq!(res.headers()["cache-control"], "no-store");
    res.json().await.unwrap()
}

async fn text_rows(app: &TestApp, sql: &str) -> Vec<String> {
    app.db
        .query_all_raw(Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|r| {
            r.try_get::<Option<String>>("", "t")
                .unwrap()
                .unwrap_or_default()
        })
        .collect()
}

/// Every text the audit log and the change feed keep, bodies included.
pub async fn kept_texts(app: &TestApp) -> String {
    let mut all = Vec::new();
    for sql in [
        "SELECT request_body AS t FROM audit_logs",
        "SELECT response_body AS t FROM audit_logs",
        "SELECT body AS t FROM audit_bodies",
        "SELECT data_enc AS t FROM change_events",
    ] {
        all.extend(text_rows(app, sql).await);
    }
    all.join("\n")
}

#[tokio::test]
async fn personal_data_is_encrypted_at_rest_masked_per_role_and_never_logged_in_clear() {
    each_backend(|app| async move {
        let (inst, admin) = institution(&app, "440100", 1).await;
        let created = create_learner(&app, &admin, &learner_body(&inst, ID_NUMBER, PHONE)).await;
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(created["id_number"], ID_NUMBER, "the institution sees it in full");
        assert_eq!(created["phone"], PHONE);
        assert!(created["initial_password"].is_null(), "a password was sent");
        assert!(created.get("password").is_none());

        // At rest: ciphertext under a key id, and a keyed hash that is not a bare hash.
        let row = learner::Entity::find_by_id(id.parse::<uuid::Uuid>().unwrap())
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let get = |c: &str| match c {
            "id_number_enc" => row.id_number_enc.clone(),
            "id_number_hash" => row.id_number_hash.clone(),
            "phone_enc" => row.phone_enc.clone(),
            "phone_hash" => row.phone_hash.clone(),
            _ => row.password_hash.clone(),
        };
        for (enc, plain) in [(get("id_number_enc"), ID_NUMBER), (get("phone_enc"), PHONE)] {
            assert!(enc.starts_with("k1:"), "the key id is kept with the value: {enc}");
            assert!(!enc.contains(plain));
        }
        for (hash, plain) in [(get("id_number_hash"), ID_NUMBER), (get("phone_hash"), PHONE)] {
            use sha2::Digest;
            assert_eq!(hash.len(), 64);
            assert_ne!(hash, hex::encode(sha2::Sha256::digest(plain.as_bytes())));
        }
        assert!(get("password_hash").starts_with("$argon2id$"));
        assert!(!get("password_hash").contains(PASSWORD));

        // Per role: in full for the institution, masked for regulators and operators.
        let masked_id = "4401**********0018";
        let masked_phone = "139****5678";
        let path = format!("/api/v1/learners/{id}");
        let own = app.get_json(&path, Some(&admin)).await;
        assert_eq!((own["id_number"].as_str(), own["phone"].as_str()), (Some(ID_NUMBER), Some(PHONE)));
        for token in [
            app.token("city_admin", Some("440100"), None),
            app.token("province_admin", None, None),
            app.token("platform_operator", None, None),
        ] {
            let seen = app.get_json(&path, Some(&token)).await;
            assert_eq!(seen["id_number"], masked_id);
            assert_eq!(seen["phone"], masked_phone);
            let page = app.get_json("/api/v1/learners", Some(&token)).await;
            assert_eq!(page["items"][0]["id_number"], masked_id);
        }
        // Out of scope: another city's bureau, another institution, a learner, an auditor.
        let (_, other_admin) = institution(&app, "440300", 2).await;
        for token in [app.token("city_admin", Some("440300"), None), other_admin.clone()] {
            assert_problem(app.get(&path, Some(&token)).await, 404, "not_found").await;
            let page = app.get_json("/api/v1/learners", Some(&token)).await;
            assert_eq!(page["items"].as_array().unwrap().len(), 0);
        }
        for role in ["learner", "auditor", "data_consumer"] {
            let token = app.token(role, None, None);
            assert_problem(app.get(&path, Some(&token)).await, 403, "role_not_allowed").await;
        }

        // A change event was emitted (encrypted at rest like the row).
        let events = scalar(&app.db, &format!("SELECT COUNT(*) AS n FROM change_events WHERE resource_type = 'learner' AND resource_id = '{id}'")).await;
        assert_eq!(events, 1);

        // Nothing of the personal values is in the audit log or the feed in clear; the masked
        // forms are.
        let session = sign_in(&app, PHONE, PASSWORD).await;
        let me = app.get_json("/api/v1/me", session["access_token"].as_str()).await;
        assert_eq!(me["id_number"], ID_NUMBER, "the learner sees itself in full");
        app.settle_audit().await;
        let kept = kept_texts(&app).await;
        for secret in [ID_NUMBER, PHONE, PASSWORD, session["refresh_token"].as_str().unwrap(), session["access_token"].as_str().unwrap()] {
            assert!(!kept.contains(secret), "{secret} is in the audit log or the feed in clear");
        }
        assert!(kept.contains(masked_id) && kept.contains(masked_phone));
    })
    .await;
}

#[tokio::test]
async fn identity_numbers_are_checked_and_unique_and_categories_agree() {
    each_backend(|app| async move {
        let (inst, admin) = institution(&app, "440100", 1).await;
        let mut body = learner_body(&inst, "440101199003070019", PHONE);
        let p = assert_problem(
            app.post("/api/v1/learners", Some(&admin), &body).await,
            400,
            "validation_failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], "id_number");
        assert_eq!(p["errors"][0]["rule"], "check_character");
        assert!(
            !p.to_string().contains("440101199003070019"),
            "the value is not echoed"
        );
        body["id_number"] = json!(ID_NUMBER);
        body["operation_type"] = Value::Null;
        let p = assert_problem(
            app.post("/api/v1/learners", Some(&admin), &body).await,
            400,
            "validation_failed",
        )
        .await;
        assert_eq!(
            (
                p["errors"][0]["field"].as_str(),
                p["errors"][0]["rule"].as_str()
            ),
            (Some("operation_type"), Some("required"))
        );
        body["training_category"] = json!("safety_manager");
        body["password"] = Value::Null;
        let created = create_learner(&app, &admin, &body).await;
        assert!(created["operation_type"].is_null());
        // Without a password one is generated, shown once, and signs in.
        let generated = created["initial_password"]
            .as_str()
            .expect("a generated password")
            .to_owned();
        assert_eq!(generated.len(), 12);
        sign_in(&app, ID_NUMBER, &generated).await;

        // Unique across institutions: the identity number, then the phone.
        let (inst2, admin2) = institution(&app, "440300", 2).await;
        let dup = learner_body(&inst2, ID_NUMBER, "13700000001");
        assert_problem(
            app.post("/api/v1/learners", Some(&admin2), &dup).await,
            409,
            "id_number_taken",
        )
        .await;
        let dup = learner_body(&inst2, &id_number(2), PHONE);
        assert_problem(
            app.post("/api/v1/learners", Some(&admin2), &dup).await,
            409,
            "phone_taken",
        )
        .await;
        // Another institution's admin cannot register learners here.
        let other = learner_body(&inst, &id_number(3), "13700000003");
        assert_problem(
            app.post("/api/v1/learners", Some(&admin2), &other).await,
            403,
            "institution_out_of_scope",
        )
        .await;
        assert_eq!(
            scalar(&app.db, "SELECT COUNT(*) AS n FROM learners").await,
            1
        );

        // An update: If-Match, uniqueness again, categories checked against the stored ones.
        let second = create_learner(
            &app,
            &admin2,
            &learner_body(&inst2, &id_number(4), "13700000004"),
        )
        .await;
        let path = format!("/api/v1/learners/{}", second["id"].as_str().unwrap());
        let res = app.get(&path, Some(&admin2)).await;
        let etag = res.headers()["etag"].to_str().unwrap().to_owned();
        assert_problem(
            app.patch(&path, Some(&admin2), Some(&etag), &json!({"phone": PHONE}))
                .await,
            409,
            "phone_taken",
        )
        .await;
        assert_problem(
            app.patch(
                &path,
                Some(&admin2),
                Some(&etag),
                &json!({"operation_type": null}),
            )
            .await,
            400,
            "validation_failed",
        )
        .await;
        assert_problem(
            app.patch(&path, Some(&admin2), None, &json!({"name": "李四"}))
                .await,
            428,
            "if_match_required",
        )
        .await;
        let res = app
            .patch(
                &path,
                Some(&admin2),
                Some(&etag),
                &json!({"phone": "13700000005", "name": "李四"}),
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            (etag.as_str(), res.headers()["etag"].to_str().unwrap()),
            ("\"v1\"", "\"v2\""),
            "an update makes the next version"
        );
        let updated: Value = res.json().await.unwrap();
        assert_eq!(
            (updated["phone"].as_str(), updated["name"].as_str()),
            (Some("13700000005"), Some("李四"))
        );
        // The new phone is the login now; the old one is not.
        sign_in(&app, "13700000005", PASSWORD).await;
        assert_problem(
            login(&app, "13700000004", PASSWORD).await,
            401,
            "login_failed",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn one_sign_in_at_a_time_refresh_tokens_rotate_and_a_reused_one_ends_the_sign_in() {
    each_backend(|app| async move {
        let (inst, admin) = institution(&app, "440100", 1).await;
        create_learner(&app, &admin, &learner_body(&inst, ID_NUMBER, PHONE)).await;
        let first = sign_in(&app, PHONE, PASSWORD).await;
        assert_eq!(first["token_type"], "Bearer");
        assert_eq!(first["expires_in"], 900);
        assert_eq!(first["refresh_expires_in"], 14 * 24 * 3600, "two weeks");
        let first_access = first["access_token"].as_str().unwrap().to_owned();
        assert_eq!(
            app.get("/api/v1/me", Some(&first_access)).await.status(),
            200
        );

        // A second device signs in: the first ends.
        let second = sign_in(&app, ID_NUMBER, PASSWORD).await;
        let second_access = second["access_token"].as_str().unwrap().to_owned();
        assert_problem(
            app.get("/api/v1/me", Some(&first_access)).await,
            401,
            "signed_out",
        )
        .await;
        let refresh_first = json!({"refresh_token": first["refresh_token"]});
        assert_problem(
            app.post("/api/v1/auth/refresh", None, &refresh_first).await,
            401,
            "refresh_invalid",
        )
        .await;
        assert_eq!(
            app.get("/api/v1/me", Some(&second_access)).await.status(),
            200
        );

        // Rotation: the refresh token trades once for a new pair.
        let spent = json!({"refresh_token": second["refresh_token"]});
        let res = app.post("/api/v1/auth/refresh", None, &spent).await;
        assert_eq!(res.status(), 200);
        let third: Value = res.json().await.unwrap();
        assert_ne!(third["refresh_token"], second["refresh_token"]);
        let third_access = third["access_token"].as_str().unwrap().to_owned();
        assert_eq!(
            app.get("/api/v1/me", Some(&third_access)).await.status(),
            200
        );
        // The spent one again: the whole sign-in ends, its newest tokens too.
        assert_problem(
            app.post("/api/v1/auth/refresh", None, &spent).await,
            401,
            "refresh_reused",
        )
        .await;
        assert_problem(
            app.get("/api/v1/me", Some(&third_access)).await,
            401,
            "signed_out",
        )
        .await;
        let newest = json!({"refresh_token": third["refresh_token"]});
        assert_problem(
            app.post("/api/v1/auth/refresh", None, &newest).await,
            401,
            "refresh_invalid",
        )
        .await;
        assert_problem(
            app.post(
                "/api/v1/auth/refresh",
                None,
                &json!({"refresh_token": "made-up"}),
            )
            .await,
            401,
            "refresh_invalid",
        )
        .await;

        // Sign out: the tokens are refused from then on.
        let fourth = sign_in(&app, PHONE, PASSWORD).await;
        let access = fourth["access_token"].as_str().unwrap().to_owned();
        let res = app
            .request(Method::POST, "/api/v1/auth/logout", Some(&access))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
        assert_problem(
            app.get("/api/v1/me", Some(&access)).await,
            401,
            "signed_out",
        )
        .await;
        let refresh = json!({"refresh_token": fourth["refresh_token"]});
        assert_problem(
            app.post("/api/v1/auth/refresh", None, &refresh).await,
            401,
            "refresh_invalid",
        )
        .await;
        let reasons = text_rows(
            &app,
            "SELECT end_reason AS t FROM learner_sign_ins ORDER BY started_at",
        )
        .await;
        assert_eq!(reasons, ["replaced", "refresh_reused", "logout"]);
        // A learner token is not an admin's.
        let fifth = sign_in(&app, PHONE, PASSWORD).await;
        assert_problem(
            app.get("/api/v1/learners", fifth["access_token"].as_str())
                .await,
            403,
            "role_not_allowed",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn an_expired_refresh_token_is_refused_and_is_no_reuse() {
    each_backend(|app| async move {
        let (inst, admin) = institution(&app, "440100", 1).await;
        create_learner(&app, &admin, &learner_body(&inst, ID_NUMBER, PHONE)).await;
        let pair = sign_in(&app, PHONE, PASSWORD).await;
        let token = pair["refresh_token"].as_str().unwrap();
        let hash = safetrain::crypto::token_hash(token);
        // Its time runs out.
        let row = refresh_token::Entity::find_by_id(hash)
            .one(&app.db)
            .await
            .unwrap()
            .expect("the refresh token is stored as its hash");
        let mut expired: refresh_token::ActiveModel = row.into();
        expired.expires_at = Set(chrono::Utc::now());
        expired.update(&app.db).await.unwrap();
        let body = json!({"refresh_token": token});
        assert_problem(
            app.post("/api/v1/auth/refresh", None, &body).await,
            401,
            "refresh_invalid",
        )
        .await;
        // Refused, not spent: asking again is no reuse, and the sign-in goes on.
        assert_problem(
            app.post("/api/v1/auth/refresh", None, &body).await,
            401,
            "refresh_invalid",
        )
        .await;
        let access = pair["access_token"].as_str().unwrap();
        assert_eq!(app.get("/api/v1/me", Some(access)).await.status(), 200);
    })
    .await;
}

/// `png` grown to exactly `size` bytes by a private ancillary chunk after its header.
fn png_of_size(png: &[u8], size: usize) -> Vec<u8> {
    let data = size - png.len() - 12;
    let mut out = png[..33].to_vec();
    out.extend_from_slice(&(data as u32).to_be_bytes());
    out.extend_from_slice(b"prVt");
    out.extend(std::iter::repeat_n(0u8, data));
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&png[33..]);
    assert_eq!(out.len(), size);
    out
}

#[tokio::test]
async fn an_image_of_exactly_the_size_cap_is_taken_and_one_byte_more_is_413() {
    const PNG: &[u8] = include_bytes!("fixtures/teacher.png");
    const CAP: usize = 1024 * 1024;
    each_backend_with(
        |s| {
            s.blobs.max_image_mib = 1;
            s.http.upload_timeout_secs = 300;
        },
        |app| async move {
            let (inst, admin) = institution(&app, "440100", 1).await;
            let learner =
                create_learner(&app, &admin, &learner_body(&inst, ID_NUMBER, PHONE)).await;
            let path = format!("/api/v1/learners/{}/portrait", learner["id"].as_str().unwrap());
            let put = |body: reqwest::Body| {
                app.request(Method::PUT, &path, Some(&admin))
                    .header("Content-Type", "image/png")
                    .body(body)
                    .send()
            };
            // With a Content-Length, and sent in chunks without one (counted while read).
            let chunked = |bytes: Vec<u8>| {
                let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
                    bytes.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
                reqwest::Body::wrap_stream(futures_util::stream::iter(chunks))
            };
            // (Megabyte bodies must not count in a test measuring allocations meanwhile.)
            let _quiet = crate::template::MEASURING.read().await;
            for (size, status) in [(CAP, 200), (CAP + 1, 413)] {
                let file = png_of_size(PNG, size);
                let res = put(file.clone().into()).await.unwrap();
                assert_eq!(res.status(), status, "{size} bytes with a length");
                let res = put(chunked(file)).await.unwrap();
                assert_eq!(res.status(), status, "{size} bytes in chunks");
            }
            // The learner shows the portrait kept (the last one that fitted).
            let shown = app.get_json(&format!("/api/v1/learners/{}", learner["id"].as_str().unwrap()), Some(&admin)).await;
            let portrait = &shown["portrait"];
            assert_eq!((portrait["media_type"].as_str(), portrait["size"].as_u64()), (Some("image/png"), Some(CAP as u64)), "{shown}");
            assert_eq!(portrait["sha256"].as_str().map(str::len), Some(64));
            assert!(portrait["width"].as_u64() > Some(0) && portrait["height"].as_u64() > Some(0));
            assert!(portrait["uploaded_at"].is_string());
            let res = app.get(&format!("/api/v1/learners/{}", learner["id"].as_str().unwrap()), Some(&admin)).await;
            assert_eq!(res.headers()["etag"], "\"v3\"", "each portrait kept makes the next version");
            let time = |v: &Value| v.as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap();
            assert!(time(&shown["updated_at"]) > time(&learner["updated_at"]));
            // A declared length over the cap is refused before a byte of the body is read.
            let mut stream =
                tokio::net::TcpStream::connect(app.address.trim_start_matches("http://"))
                    .await
                    .unwrap();
            let head = format!(
                "PUT {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {admin}\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                CAP * 100
            );
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            stream.write_all(head.as_bytes()).await.unwrap();
            let mut answer = vec![0u8; 12];
            tokio::time::timeout(
                std::time::Duration::from_secs(60),
                stream.read_exact(&mut answer),
            )
            .await
            .expect("an answer without the body being sent")
            .unwrap();
            assert_eq!(&answer, b"HTTP/1.1 413");
        },
    )
    .await;
}

#[tokio::test]
async fn repeated_failures_lock_the_account_for_a_while() {
    each_backend_with(
        |s| {
            s.auth.local.max_failed_logins = 3;
            s.auth.local.lock_minutes = 10;
        },
        |app| async move {
            let (inst, admin) = institution(&app, "440100", 1).await;
            let learner =
                create_learner(&app, &admin, &learner_body(&inst, ID_NUMBER, PHONE)).await;
            let id = learner["id"].as_str().unwrap().to_owned();
            // An unknown login and a wrong password answer alike.
            let unknown = assert_problem(
                login(&app, "13000000000", PASSWORD).await,
                401,
                "login_failed",
            )
            .await;
            let wrong =
                assert_problem(login(&app, PHONE, "Wrong2026").await, 401, "login_failed").await;
            assert_eq!(unknown["detail"], wrong["detail"]);
            assert_problem(
                login(&app, "not a login", PASSWORD).await,
                401,
                "login_failed",
            )
            .await;
            // A good sign-in clears the count.
            sign_in(&app, PHONE, PASSWORD).await;
            for _ in 0..2 {
                assert_problem(
                    login(&app, ID_NUMBER, "Wrong2026").await,
                    401,
                    "login_failed",
                )
                .await;
            }
            sign_in(&app, PHONE, PASSWORD).await;
            for _ in 0..3 {
                assert_problem(
                    login(&app, ID_NUMBER, "Wrong2026").await,
                    401,
                    "login_failed",
                )
                .await;
            }
            // Locked: even the right password is refused, with when to retry.
            let res = login(&app, PHONE, PASSWORD).await;
            let retry: u64 = res.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=600).contains(&retry), "{retry}");
            assert_problem(res, 423, "account_locked").await;
            // The lock ends with its time.
            let uuid: uuid::Uuid = id.parse().unwrap();
            let row = learner::Entity::find_by_id(uuid)
                .one(&app.db)
                .await
                .unwrap()
                .unwrap();
            assert!(row.locked_until.is_some());
            let mut unlocked: learner::ActiveModel = row.into();
            unlocked.locked_until = Set(Some(chrono::Utc::now() - chrono::Duration::seconds(1)));
            unlocked.update(&app.db).await.unwrap();
            sign_in(&app, PHONE, PASSWORD).await;
            let row = learner::Entity::find_by_id(uuid)
                .one(&app.db)
                .await
                .unwrap()
                .unwrap();
            assert_eq!((row.failed_logins, row.locked_until), (0, None));
        },
    )
    .await;
}

#[tokio::test]
async fn a_learner_changes_its_password_and_records_its_consent() {
    each_backend(|app| async move {
        let (inst, admin) = institution(&app, "440100", 1).await;
        let learner = create_learner(&app, &admin, &learner_body(&inst, ID_NUMBER, PHONE)).await;
        let id = learner["id"].as_str().unwrap().to_owned();
        assert!(learner["face_consent"].is_null());
        let session = sign_in(&app, PHONE, PASSWORD).await;
        let token = session["access_token"].as_str().unwrap().to_owned();

        let change = |current: &str, new: &str| json!({"current_password": current, "new_password": new});
        assert_problem(app.post("/api/v1/me/password", Some(&token), &change("Wrong2026", "Xinmima2027")).await, 403, "password_mismatch").await;
        let weak = assert_problem(app.post("/api/v1/me/password", Some(&token), &change(PASSWORD, "onlyletters")).await, 400, "validation_failed").await;
        assert_eq!(weak["errors"][0]["rule"], "strength");
        let res = app.post("/api/v1/me/password", Some(&token), &change(PASSWORD, "Xinmima2027")).await;
        assert_eq!(res.status(), 204);
        assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), 200, "this sign-in stays");
        assert_problem(login(&app, PHONE, PASSWORD).await, 401, "login_failed").await;
        let session = sign_in(&app, PHONE, "Xinmima2027").await;
        let token = session["access_token"].as_str().unwrap().to_owned();

        // Consent: the learner's own decision, each kept; the one in force shows.
        let consents = format!("/api/v1/learners/{id}/consents");
        let grant = json!({"purpose": "face_processing", "text_version": "2026-11", "decision": "granted"});
        let read_me = || async {
            let res = app.get("/api/v1/me", Some(&token)).await;
            let tag = res.headers()["etag"].to_str().unwrap().trim_matches('"').trim_start_matches('v').parse::<i64>().unwrap();
            (tag, res.json::<Value>().await.unwrap())
        };
        let (before, was) = read_me().await;
        let res = app.post(&consents, Some(&token), &grant).await;
        assert_eq!(res.status(), 201);
        let (after, me) = read_me().await;
        assert_eq!(me["face_consent"]["text_version"], "2026-11");
        assert_eq!(after, before + 1, "a decision changes the learner: the next version");
        let time = |v: &Value| v.as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        assert!(time(&me["updated_at"]) > time(&was["updated_at"]));
        let withdraw = json!({"purpose": "face_processing", "text_version": "2026-11", "decision": "withdrawn"});
        assert_eq!(app.post(&consents, Some(&token), &withdraw).await.status(), 201);
        let me = app.get_json("/api/v1/me", Some(&token)).await;
        assert!(me["face_consent"].is_null());
        let kept = consent::Entity::find()
            .filter(consent::Column::LearnerId.eq(id.parse::<uuid::Uuid>().unwrap()))
            .order_by_asc(consent::Column::Id)
            .all(&app.db)
            .await
            .unwrap();
        let decisions: Vec<&str> = kept.iter().map(|c| c.decision.as_str()).collect();
        assert_eq!(decisions, ["granted", "withdrawn"]);
        // Nobody else decides for the learner.
        let other = create_learner(&app, &admin, &learner_body(&inst, &id_number(9), "13700000009")).await;
        let other_path = format!("/api/v1/learners/{}/consents", other["id"].as_str().unwrap());
        assert_problem(app.post(&other_path, Some(&token), &grant).await, 404, "not_found").await;
        assert_problem(app.post(&consents, Some(&admin), &grant).await, 403, "role_not_allowed").await;
    })
    .await;
}

#[tokio::test]
async fn an_import_checks_its_header_and_size_before_any_row() {
    each_backend(|app| async move {
        let (inst, admin) = institution(&app, "440100", 1).await;
        let url = format!("/api/v1/learners/import?institution_id={inst}");
        let send = |body: String| {
            app.request(Method::POST, &url, Some(&admin))
                .header("Content-Type", "text/csv")
                .body(body)
                .send()
        };
        let columns = [
            "name",
            "id_number",
            "phone",
            "employer_name",
            "employer_credit_code",
            "industry",
            "city_code",
            "training_category",
            "operation_type",
            "training_type",
        ];
        // The password column may be left out; any other is required, and none comes twice.
        // (A file of a header alone passes the header and stops at having no rows.)
        let header_only = |res| async move {
            let p = assert_problem(res, 400, "validation_failed").await;
            assert_eq!(
                (
                    p["errors"][0]["field"].as_str(),
                    p["errors"][0]["rule"].as_str()
                ),
                (Some("body"), Some("min_rows")),
                "{p}"
            );
        };
        header_only(send(format!("{}\r\n", columns.join(","))).await.unwrap()).await;
        let without_phone: Vec<&str> = columns
            .iter()
            .copied()
            .filter(|c| *c != "phone")
            .chain(["password"])
            .collect();
        let bad = assert_problem(
            send(format!("{}\r\n", without_phone.join(",")))
                .await
                .unwrap(),
            400,
            "validation_failed",
        )
        .await;
        assert_eq!(bad["errors"][0]["field"], "header");
        assert!(
            bad["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("phone"),
            "{bad}"
        );
        let twice = format!("{},name\r\n", columns.join(","));
        let bad = assert_problem(send(twice).await.unwrap(), 400, "validation_failed").await;
        assert!(
            bad["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("twice"),
            "{bad}"
        );
        // At most 1 MiB: a file of exactly that size is read (blank lines are no rows), one byte
        // more is 413.
        // (Megabyte bodies must not count in a test measuring allocations meanwhile.)
        let _quiet = crate::template::MEASURING.read().await;
        let header = format!("{}\n", columns.join(","));
        let full = format!("{header}{}", "\n".repeat(1024 * 1024 - header.len()));
        header_only(send(full.clone()).await.unwrap()).await;
        assert_problem(
            send(format!("{full}\n")).await.unwrap(),
            413,
            "payload_too_large",
        )
        .await;
        assert_eq!(
            scalar(&app.db, "SELECT COUNT(*) AS n FROM learners").await,
            0
        );
        // The audit log keeps the megabyte request it received: written after the answer,
        // still within the guard.
        app.settle_audit().await;
    })
    .await;
}

#[tokio::test]
async fn a_csv_import_writes_the_good_rows_and_reports_the_bad_ones() {
    each_backend(|app| async move {
        let (inst, admin) = institution(&app, "440100", 1).await;
        create_learner(&app, &admin, &learner_body(&inst, ID_NUMBER, PHONE)).await;
        let header = "name,id_number,phone,employer_name,employer_credit_code,industry,city_code,training_category,operation_type,training_type,password";
        let row = |name: &str, id: &str, phone: &str, category: &str, op: &str, password: &str| {
            format!("{name},{id},{phone},\"广州某厂, 二车间\",91440101MA59UFRF1R,general,440100,{category},{op},initial,{password}")
        };
        let csv = [
            format!("\u{feff}{header}"),
            row("王一", &id_number(11), "13700000011", "special_operation", "0101", PASSWORD),
            row("王二", &id_number(12), "13700000012", "principal_person", "", ""),
            row("王三", "440101199003070019", "13700000013", "principal_person", "", ""),
            row("王四", &id_number(11), "13700000014", "principal_person", "", ""),
            row("王五", &id_number(15), PHONE, "principal_person", "", ""),
            row("王六", &id_number(16), "13700000016", "principal_person", "0101", ""),
            "王七,only,three".to_owned(),
        ]
        .join("\r\n");
        let url = format!("/api/v1/learners/import?institution_id={inst}");
        let send = |body: String, ct: &'static str| {
            app.request(Method::POST, &url, Some(&admin)).header("Content-Type", ct).body(body).send()
        };
        let res = send(csv.clone(), "text/csv; charset=utf-8").await.unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());
        let report: Value = res.json().await.unwrap();
        assert_eq!((report["created"].as_u64(), report["rejected"].as_u64()), (Some(2), Some(5)));
        let rows = report["rows"].as_array().unwrap();
        let outcome = |i: usize| (rows[i]["row"].as_u64().unwrap(), rows[i]["outcome"].as_str().unwrap());
        assert_eq!(outcome(0), (1, "created"));
        assert_eq!(outcome(1), (2, "created"));
        assert_eq!(outcome(6), (7, "rejected"));
        assert!(rows[0]["initial_password"].is_null(), "the row set its password");
        let generated = rows[1]["initial_password"].as_str().expect("generated").to_owned();
        let rule = |i: usize| (rows[i]["errors"][0]["field"].as_str().unwrap().to_owned(), rows[i]["errors"][0]["rule"].as_str().unwrap().to_owned());
        assert_eq!(rule(2), ("id_number".into(), "check_character".into()));
        assert_eq!(rule(3), ("id_number".into(), "duplicate_in_file".into()));
        assert_eq!(rule(4), ("phone".into(), "taken".into()));
        assert_eq!(rule(5), ("operation_type".into(), "not_allowed".into()));
        assert_eq!(rule(6).0, "row");
        assert!(!report.to_string().contains("440101199003070019"), "values are not echoed");
        // Written: the good rows only, each with its change event; the generated password works.
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) AS n FROM learners").await, 3);
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) AS n FROM change_events WHERE resource_type = 'learner'").await, 3);
        sign_in(&app, &id_number(12), &generated).await;
        sign_in(&app, "13700000011", PASSWORD).await;
        let listed = app.get_json(&format!("/api/v1/learners/{}", rows[0]["learner_id"].as_str().unwrap()), Some(&admin)).await;
        assert_eq!(listed["employer_name"], "广州某厂, 二车间");

        // The same file again: every row is now taken or bad, nothing is written.
        let again: Value = send(csv, "text/csv").await.unwrap().json().await.unwrap();
        assert_eq!(again["created"], 0);
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) AS n FROM learners").await, 3);
        // A header that is not the learner columns, another media type, another institution.
        let bad = assert_problem(send(format!("{header},extra\r\n"), "text/csv").await.unwrap(), 400, "validation_failed").await;
        assert_eq!(bad["errors"][0]["field"], "header");
        assert_problem(send("a,b".into(), "application/json").await.unwrap(), 415, "unsupported_media_type").await;
        // The fixed path beside /learners/{id} keeps its own 405.
        let res = app.request(Method::PUT, &url, Some(&admin)).send().await.unwrap();
        assert_eq!(res.headers()["allow"], "POST");
        assert_problem(res, 405, "method_not_allowed").await;
        let (inst2, _) = institution(&app, "440300", 2).await;
        let res = app
            .request(Method::POST, &format!("/api/v1/learners/import?institution_id={inst2}"), Some(&admin))
            .header("Content-Type", "text/csv")
            .body(header.to_owned())
            .send()
            .await
            .unwrap();
        assert_problem(res, 403, "institution_out_of_scope").await;
    })
    .await;
}
