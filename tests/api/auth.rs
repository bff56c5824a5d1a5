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

/// `claims` without `name`.
fn without(mut claims: Value, name: &str) -> Value {
    claims.as_object_mut().unwrap().remove(name);
    claims
}

#[tokio::test]
async fn a_platform_token_lives_exactly_its_ttl_and_is_refused_after_it() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let mut settings = test_settings(&db);
        settings.auth.leeway_secs = 0;
        let app = spawn_with(settings.clone(), |_| {}).await;
        let authenticator = safetrain::auth::Authenticator::from_settings(&settings).unwrap();
        let actor = safetrain::auth::Actor::new(
            settings.auth.platform.issuer.clone(),
            "short-lived".into(),
            safetrain::auth::Role::ProvinceAdmin,
            None,
            None,
        )
        .unwrap();
        let token = authenticator.issue(&actor, Some(1)).unwrap();
        let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(&token).unwrap();
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            1,
            "exp − iat is the TTL"
        );
        let default = authenticator.issue(&actor, None).unwrap();
        let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(&default).unwrap();
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            settings.auth.platform.default_ttl_secs as i64
        );
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        assert_problem(
            app.get("/api/v1/institutions", Some(&token)).await,
            401,
            "token_expired",
        )
        .await;
        assert_eq!(list_status(&app, &default).await, 200);
        app.handle.stop(false).await;
        db.drop_db().await;
    }
}

#[tokio::test]
async fn tokens_without_exp_aud_or_sub_and_tokens_of_unknown_issuers_are_refused_by_name() {
    let server = JwksServer::start(jwks::full_set()).await;
    let server_ref = &server;
    with_provincial(&server, 0, |app| async move {
        let server = server_ref;
        for missing in ["exp", "aud", "sub"] {
            let provincial = jwks::sign(
                Algorithm::RS256,
                RSA_KID,
                &without(jwks::claims(json!({})), missing),
            );
            assert_problem(
                app.get("/api/v1/institutions", Some(&provincial)).await,
                401,
                "token_claims",
            )
            .await;
            let platform = hs256(
                PLATFORM_SECRET.as_bytes(),
                &without(platform_claims(&app.settings, json!({})), missing),
            );
            assert_problem(
                app.get("/api/v1/institutions", Some(&platform)).await,
                401,
                "token_claims",
            )
            .await;
        }
        let fetched = server.fetch_count();
        let stranger = jwks::sign(
            Algorithm::RS256,
            RSA_KID,
            &jwks::claims(json!({"iss": "https://stranger.example.cn"})),
        );
        assert_problem(
            app.get("/api/v1/institutions", Some(&stranger)).await,
            401,
            "token_issuer",
        )
        .await;
        assert_eq!(
            server.fetch_count(),
            fetched,
            "an unknown issuer's token fetches no key set"
        );
    })
    .await;
    server.stop().await;
}

#[tokio::test]
async fn a_numeric_city_claim_from_the_identity_service_binds_the_city() {
    let server = JwksServer::start(jwks::full_set()).await;
    with_provincial(&server, 30, |app| async move {
        app.create_institution(&institution_body("440100", 60, "数字城市"))
            .await;
        app.create_institution(&institution_body("440300", 61, "别的城市"))
            .await;
        let numeric = jwks::sign(
            Algorithm::RS256,
            RSA_KID,
            &jwks::claims(json!({"org_city": 440100})),
        );
        let page: Value = app.get_json("/api/v1/institutions", Some(&numeric)).await;
        let cities: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["city_code"].as_str().unwrap())
            .collect();
        assert_eq!(cities, vec!["440100"]);
    })
    .await;
    server.stop().await;
}

#[test]
fn the_token_command_works_with_a_provincial_issuer_configured() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_safetrain"))
        .args(["token", "--role", "province_admin", "--data-dir"])
        .arg(dir.path())
        .env(
            "SAFETRAIN__AUTH__PROVINCIAL__ISSUER",
            "https://iam.example.cn",
        )
        .env("SAFETRAIN__AUTH__PROVINCIAL__AUDIENCE", "safetrain")
        .env(
            "SAFETRAIN__AUTH__PROVINCIAL__JWKS_URL",
            "https://iam.example.cn/jwks.json",
        )
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().matches('.').count(),
        2
    );
}
