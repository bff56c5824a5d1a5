use std::process::Command;

use serde_json::Value;

use crate::helpers::{TestDb, backends, spawn_with, test_settings};

const BIN: &str = env!("CARGO_BIN_EXE_safetrain");

#[tokio::test]
async fn the_token_command_signs_with_the_key_generated_in_the_data_dir() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let mut settings = test_settings(&db);
        settings.auth.platform.secret = None;
        let app = spawn_with(settings, |_| {}).await;
        let out = Command::new(BIN)
            .args([
                "token",
                "--role",
                "city_admin",
                "--city",
                "440100",
                "--sub",
                "ops-1",
                "--data-dir",
            ])
            .arg(&db.data_dir)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let token = String::from_utf8(out.stdout).unwrap();
        let res = app.get("/api/v1/institutions", Some(token.trim())).await;
        assert_eq!(res.status(), 200, "{backend:?}");
        let page: Value = res.json().await.unwrap();
        assert!(page["items"].is_array());
        let bad = Command::new(BIN)
            .args(["token", "--role", "city_admin", "--data-dir"])
            .arg(&db.data_dir)
            .output()
            .unwrap();
        assert!(!bad.status.success(), "a city admin token needs a city");
        app.handle.stop(false).await;
        db.drop_db().await;
    }
}

#[test]
fn a_bad_setting_stops_start_up_with_one_line_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "SAFETRAIN__AUDIT__RETENTION_DAYS",
            "30",
            "audit.retention_days",
        ),
        ("SAFETRAIN__LISTEN", "nowhere", "listen"),
        (
            "SAFETRAIN__AUTH__PLATFORM__SECRET",
            "short",
            "auth.platform.secret",
        ),
    ];
    for (var, value, key) in cases {
        let out = Command::new(BIN)
            .args(["migrate", "--data-dir"])
            .arg(dir.path())
            .env(var, value)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(key), "{stderr}");
    }
}

#[test]
fn migrate_creates_the_embedded_database_and_openapi_prints_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["migrate", "--data-dir"])
        .arg(dir.path())
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("safetrain.db").exists());
    let spec = Command::new(BIN).arg("openapi").output().unwrap();
    let printed: Value = serde_json::from_slice(&spec.stdout).unwrap();
    assert_eq!(printed["openapi"], "3.1.0");
    assert!(printed["paths"]["/api/v1/cities/{code}/institutions"].is_object());
}
