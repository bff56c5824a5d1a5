use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

use crate::helpers::jwks::{self, EC_KID, JwksServer, RSA_KID};
use crate::helpers::tokens::{self, hs256, now, platform_claims, unsigned};
use crate::helpers::{
    PLATFORM_SECRET, TestApp, TestDb, assert_problem, backends, institution_body, spawn_with,
    test_settings,
};

/// Runs `scenario` per backend with the provincial issuer pointed at `server`.
async fn with_provincial<F, Fut>(server: &JwksServer, min_refetch_secs: u64, scenario: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let mut settings = test_settings(&db);
        server.configure(&mut settings, min_refetch_secs);
        let app = spawn_with(settings, |_| {}).await;
        let handle = app.handle.clone();
        scenario(app).await;
        handle.stop(false).await;
        db.drop_db().await;
    }
}

async fn list_status(app: &TestApp, token: &str) -> u16 {
    app.get("/api/v1/institutions", Some(token))
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn provincial_rs256_and_es256_tokens_map_to_roles_and_scope() {
    let server = JwksServer::start(jwks::full_set()).await;
    with_provincial(&server, 30, |app| async move {
        let inst = app
            .create_institution(&institution_body("440100", 1, "省认证"))
            .await;
        let city_admin = jwks::sign(Algorithm::RS256, RSA_KID, &jwks::claims(json!({})));
        let page: Value = app
            .get_json("/api/v1/institutions", Some(&city_admin))
            .await;
        assert_eq!(
            page["items"].as_array().unwrap().len(),
            1,
            "DS_ADMIN of 440100 sees its city"
        );
        let other_city = jwks::sign(
            Algorithm::ES256,
            EC_KID,
            &jwks::claims(json!({"org_city": "440300"})),
        );
        let page: Value = app
            .get_json("/api/v1/institutions", Some(&other_city))
            .await;
        assert_eq!(
            page["items"].as_array().unwrap().len(),
            0,
            "a 440300 admin sees none"
        );
        let own = jwks::sign(
            Algorithm::ES256,
            EC_KID,
            &jwks::claims(json!({"user_type": "JG_ADMIN", "org_id": inst["id"], "org_city": null})),
        );
        let read = app
            .get(
                &format!("/api/v1/institutions/{}", inst["id"].as_str().unwrap()),
                Some(&own),
            )
            .await;
        assert_eq!(read.status(), 200);
        let unmapped = jwks::sign(
            Algorithm::RS256,
            RSA_KID,
            &jwks::claims(json!({"user_type": "VISITOR"})),
        );
        assert_problem(
            app.get("/api/v1/institutions", Some(&unmapped)).await,
            401,
            "token_role",
        )
        .await;
        let no_city = jwks::sign(
            Algorithm::RS256,
            RSA_KID,
            &jwks::claims(json!({"org_city": null})),
        );
        assert_problem(
            app.get("/api/v1/institutions", Some(&no_city)).await,
            401,
            "token_claims",
        )
        .await;
    })
    .await;
    assert!(server.fetch_count() >= 1, "keys came from the JWKS server");
    server.stop().await;
}

#[tokio::test]
async fn forged_expired_and_misaddressed_tokens_are_refused() {
    let server = JwksServer::start(jwks::full_set()).await;
    with_provincial(&server, 30, |app| async move {
        let rsa_public = std::fs::read(jwks::key_path("rsa_pub.pem")).unwrap();
        let mut tampered = jwks::sign(Algorithm::RS256, RSA_KID, &jwks::claims(json!({})))
            .split('.')
            .map(str::to_owned)
            .collect::<Vec<_>>();
        tampered[1] = {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(jwks::claims(json!({"user_type": "SZ_ADMIN"})).to_string())
        };
        let cases: Vec<(&str, String, &str)> = vec![
            (
                "alg none",
                unsigned(&jwks::claims(json!({}))),
                "token_malformed",
            ),
            (
                "platform alg none",
                unsigned(&platform_claims(&app.settings, json!({}))),
                "token_malformed",
            ),
            (
                "HS256 keyed with the RSA public key",
                hs256(&rsa_public, &jwks::claims(json!({}))),
                "token_algorithm",
            ),
            ("bad signature", tampered.join("."), "token_signature"),
            (
                "unknown kid",
                jwks::sign(Algorithm::RS256, "rotated-away", &jwks::claims(json!({}))),
                "token_kid",
            ),
            (
                "RS256 under the EC kid",
                jwks::sign(Algorithm::RS256, EC_KID, &jwks::claims(json!({}))),
                "token_algorithm",
            ),
            (
                "expired past leeway",
                jwks::sign(
                    Algorithm::RS256,
                    RSA_KID,
                    &jwks::claims(json!({"exp": now() - 120})),
                ),
                "token_expired",
            ),
            (
                "not yet valid",
                jwks::sign(
                    Algorithm::RS256,
                    RSA_KID,
                    &jwks::claims(json!({"nbf": now() + 300})),
                ),
                "token_not_yet_valid",
            ),
            (
                "wrong audience",
                jwks::sign(
                    Algorithm::RS256,
                    RSA_KID,
                    &jwks::claims(json!({"aud": "someone-else"})),
                ),
                "token_audience",
            ),
            (
                "untrusted issuer",
                jwks::sign(
                    Algorithm::RS256,
                    RSA_KID,
                    &jwks::claims(json!({"iss": "https://evil.example"})),
                ),
                "token_issuer",
            ),
            (
                "platform token, wrong secret",
                hs256(
                    b"another-secret-that-is-32-bytes-long!!",
                    &platform_claims(&app.settings, json!({})),
                ),
                "token_signature",
            ),
            (
                "platform token, expired",
                hs256(
                    PLATFORM_SECRET.as_bytes(),
                    &platform_claims(&app.settings, json!({"exp": now() - 120})),
                ),
                "token_expired",
            ),
            (
                "platform token, wrong audience",
                hs256(
                    PLATFORM_SECRET.as_bytes(),
                    &platform_claims(&app.settings, json!({"aud": "x"})),
                ),
                "token_audience",
            ),
            ("garbage", "not.a.token".into(), "token_malformed"),
        ];
        for (name, token, code) in cases {
            let res = app.get("/api/v1/institutions", Some(&token)).await;
            assert_eq!(
                res.headers()
                    .get("www-authenticate")
                    .map(|v| v.to_str().unwrap()),
                Some("Bearer"),
                "{name}"
            );
            let problem = assert_problem(res, 401, code).await;
            assert!(!problem["detail"].as_str().unwrap().is_empty(), "{name}");
        }
        let within_leeway = jwks::sign(
            Algorithm::RS256,
            RSA_KID,
            &jwks::claims(json!({"exp": now() - 30})),
        );
        assert_eq!(list_status(&app, &within_leeway).await, 200, "60 s leeway");
        let basic = app
            .request(reqwest::Method::GET, "/api/v1/institutions", None)
            .header("Authorization", "Basic abc")
            .send()
            .await
            .unwrap();
        assert_problem(basic, 401, "token_malformed").await;
        let signed_platform = hs256(
            PLATFORM_SECRET.as_bytes(),
            &platform_claims(&app.settings, json!({})),
        );
        assert_eq!(
            list_status(&app, &signed_platform).await,
            200,
            "a correctly signed platform token passes"
        );
    })
    .await;
    server.stop().await;
}

#[tokio::test]
async fn unknown_kids_refetch_the_key_set_at_most_once_per_interval() {
    let server = JwksServer::start(jwks::full_set()).await;
    let jwks_server = &server;
    with_provincial(&server, 3600, move |app| async move {
        let server = jwks_server;
        let good = jwks::sign(Algorithm::RS256, RSA_KID, &jwks::claims(json!({})));
        assert_eq!(list_status(&app, &good).await, 200);
        let before = server.fetch_count();
        for _ in 0..5 {
            let unknown = jwks::sign(Algorithm::RS256, "unknown-kid", &jwks::claims(json!({})));
            assert_eq!(list_status(&app, &unknown).await, 401);
        }
        assert!(
            server.fetch_count() - before <= 1,
            "unknown kids must not hammer the provider"
        );
        assert_eq!(
            list_status(&app, &good).await,
            200,
            "known keys stay cached"
        );
    })
    .await;
    server.stop().await;
}

#[tokio::test]
async fn a_stale_key_set_keeps_verifying_while_the_provider_is_down_without_hammering_it() {
    let server = JwksServer::start(jwks::full_set()).await;
    for backend in backends() {
        server.set_failing(false);
        let db = TestDb::new(backend).await;
        let mut settings = test_settings(&db);
        server.configure(&mut settings, 3600);
        if let Some(p) = settings.auth.provincial.as_mut() {
            p.jwks_cache_secs = 1;
        }
        let app = spawn_with(settings, |_| {}).await;
        let good = jwks::sign(Algorithm::RS256, RSA_KID, &jwks::claims(json!({})));
        assert_eq!(list_status(&app, &good).await, 200);

        server.set_failing(true);
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let before = server.fetch_count();
        for _ in 0..10 {
            assert_eq!(
                list_status(&app, &good).await,
                200,
                "the last key set fetched still verifies"
            );
        }
        let unknown = jwks::sign(Algorithm::RS256, "unknown-kid", &jwks::claims(json!({})));
        assert_problem(
            app.get("/api/v1/institutions", Some(&unknown)).await,
            401,
            "token_kid",
        )
        .await;
        assert!(
            server.fetch_count() - before <= 1,
            "a stale set is refetched at most once per interval, not on every request"
        );
        app.handle.stop(false).await;
        db.drop_db().await;
    }
    server.stop().await;
}

#[tokio::test]
async fn a_rotated_in_key_is_fetched_when_first_seen() {
    let server = JwksServer::start(jwks::only(RSA_KID)).await;
    let jwks_server = &server;
    with_provincial(&server, 0, move |app| async move {
        let server = jwks_server;
        server.set_keys(jwks::only(RSA_KID));
        let rsa = jwks::sign(Algorithm::RS256, RSA_KID, &jwks::claims(json!({})));
        assert_eq!(list_status(&app, &rsa).await, 200);
        let ec = jwks::sign(Algorithm::ES256, EC_KID, &jwks::claims(json!({})));
        assert_eq!(list_status(&app, &ec).await, 401, "not published yet");
        server.set_keys(jwks::full_set());
        assert_eq!(
            list_status(&app, &ec).await,
            200,
            "refetched on the unknown kid"
        );
    })
    .await;
    server.stop().await;
}

#[tokio::test]
async fn platform_tokens_carry_role_city_and_institution() {
    crate::helpers::each_backend(|app| async move {
        let claims = tokens::platform_claims(&app.settings, json!({"role": "city_admin"}));
        let no_city = hs256(PLATFORM_SECRET.as_bytes(), &claims);
        assert_problem(
            app.get("/api/v1/institutions", Some(&no_city)).await,
            401,
            "token_claims",
        )
        .await;
        let bad_role = hs256(
            PLATFORM_SECRET.as_bytes(),
            &tokens::platform_claims(&app.settings, json!({"role": "root"})),
        );
        assert_problem(
            app.get("/api/v1/institutions", Some(&bad_role)).await,
            401,
            "token_claims",
        )
        .await;
        // PostgreSQL text cannot hold U+0000, and a subject ends up in the audit log.
        let control_sub = hs256(
            PLATFORM_SECRET.as_bytes(),
            &tokens::platform_claims(&app.settings, json!({"sub": "admin\u{0}x"})),
        );
        assert_problem(
            app.get("/api/v1/institutions", Some(&control_sub)).await,
            401,
            "token_claims",
        )
        .await;
        let auditor = app.token("auditor", None, None);
        assert_problem(
            app.get("/api/v1/institutions", Some(&auditor)).await,
            403,
            "role_not_allowed",
        )
        .await;
    })
    .await;
}
