//! Test harness: a real server on a free port per test, on SQLite and (when
//! `SAFETRAIN_TEST_POSTGRES_URL` is set) on a fresh PostgreSQL database of its own.
pub mod institutions;
pub mod jwks;
pub mod s3;
pub mod tokens;

pub use institutions::{credit_code, institution_body};

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Once;

use futures_util::FutureExt;
use reqwest::{Method, RequestBuilder, Response};
use safetrain::config::Settings;
use safetrain::startup::{Application, Extra};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::Value;
use tempfile::TempDir;

pub const PLATFORM_SECRET: &str = "test-platform-secret-of-at-least-32-bytes!";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The backends this run covers: SQLite always, PostgreSQL when its URL is given.
pub fn backends() -> Vec<Backend> {
    let mut out = vec![Backend::Sqlite];
    if postgres_base().is_some() {
        out.push(Backend::Postgres);
    }
    out
}

fn postgres_base() -> Option<String> {
    std::env::var("SAFETRAIN_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// A database for one test; dropped by [`TestDb::drop_db`].
pub struct TestDb {
    pub url: String,
    pg_name: Option<String>,
    _dir: TempDir,
    pub data_dir: std::path::PathBuf,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let data_dir = dir.path().to_path_buf();
        match backend {
            Backend::Sqlite => Self {
                url: format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display()),
                pg_name: None,
                _dir: dir,
                data_dir,
            },
            Backend::Postgres => {
                let base = postgres_base().expect("SAFETRAIN_TEST_POSTGRES_URL");
                let name = format!("st_{}", uuid::Uuid::now_v7().simple());
                let admin = Database::connect(&base)
                    .await
                    .expect("connect to PostgreSQL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create database");
                admin.close().await.ok();
                Self {
                    url: with_database(&base, &name),
                    pg_name: Some(name),
                    _dir: dir,
                    data_dir,
                }
            }
        }
    }

    pub async fn drop_db(&self) {
        if let (Some(name), Some(base)) = (&self.pg_name, postgres_base())
            && let Ok(admin) = Database::connect(&base).await
        {
            let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            let _ = admin.execute_unprepared(&sql).await;
            admin.close().await.ok();
        }
    }
}

/// `base` with its database name replaced by `name`.
pub fn with_database(base: &str, name: &str) -> String {
    let (head, query) = match base.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (base, None),
    };
    let prefix = head.rsplit_once('/').map(|(p, _)| p).unwrap_or(head);
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

/// Settings for a test server: free port, its own data dir, generous rate limits, quick sealer.
pub fn test_settings(db: &TestDb) -> Settings {
    let mut s = Settings {
        listen: "127.0.0.1:0".into(),
        workers: 2,
        data_dir: db.data_dir.clone(),
        ..Default::default()
    };
    s.database.url = Some(db.url.clone().into());
    s.database.max_connections = 8;
    s.auth.platform.secret = Some(PLATFORM_SECRET.to_owned().into());
    s.rate_limit.anonymous_per_second = 100_000;
    s.rate_limit.anonymous_burst = 100_000;
    s.rate_limit.authenticated_per_second = 100_000;
    s.rate_limit.authenticated_burst = 100_000;
    s.audit.flush_interval_ms = 20;
    s.audit.seal_interval_ms = 100;
    s.audit.lease_ttl_secs = 3;
    s.changes.sequence_interval_ms = 50;
    s.shutdown_timeout_secs = 5;
    // Light password hashes: the production cost (19 MiB a hash) would trip the allocation
    // bounds of the streaming tests that run beside these.
    s.auth.local.argon2_memory_kib = 256;
    s.auth.local.argon2_passes = 1;
    s
}

fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Always installed (silent unless TEST_LOG is set): it also counts the connections the
        // HTTP layer refuses.
        let filter = if std::env::var("TEST_LOG").is_ok() {
            "info,sqlx=warn"
        } else {
            "off"
        };
        safetrain::telemetry::init(filter);
    });
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub settings: Settings,
    pub db: DatabaseConnection,
    /// The server's study clock: advancing it plays time forward for the study rules.
    pub clock: safetrain::clock::Clock,
    pub handle: actix_web::dev::ServerHandle,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

pub async fn spawn_with(settings: Settings, extra: Extra) -> TestApp {
    init_logs();
    // Building a server serialises its OpenAPI document (over 512 KiB, so a buffer of 1 MiB):
    // a test measuring allocations meanwhile must not count it.
    let quiet = crate::template::MEASURING.read().await;
    let app = Application::build_with(settings.clone(), extra)
        .await
        .expect("build app");
    drop(quiet);
    let address = format!("http://127.0.0.1:{}", app.port());
    let db = app.db().clone();
    let clock = app.clock();
    let handle = app.handle();
    let task = tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::new(),
        settings,
        db,
        clock,
        handle,
        task,
    }
}

/// Runs `scenario` once per backend, each time on a fresh server and database.
pub async fn each_backend<F, Fut>(scenario: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    each_backend_with(|_| {}, scenario).await
}

/// Like [`each_backend`] with adjusted settings.
pub async fn each_backend_with<F, Fut>(adjust: impl Fn(&mut Settings), scenario: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let mut settings = test_settings(&db);
        adjust(&mut settings);
        let app = spawn_with(settings, |_| {}).await;
        let handle = app.handle.clone();
        let outcome = AssertUnwindSafe(scenario(app)).catch_unwind().await;
        handle.stop(false).await;
        db.drop_db().await;
        if let Err(panic) = outcome {
            eprintln!("scenario failed on {backend:?}");
            std::panic::resume_unwind(panic);
        }
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, token)
            .send()
            .await
            .expect("GET")
    }

    /// GET, answered with JSON.
    pub async fn get_json(&self, path: &str, token: Option<&str>) -> Value {
        self.get(path, token)
            .await
            .json()
            .await
            .expect("a JSON answer")
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::POST, path, token)
            .json(body)
            .send()
            .await
            .expect("POST")
    }

    pub async fn patch(
        &self,
        path: &str,
        token: Option<&str>,
        etag: Option<&str>,
        body: &Value,
    ) -> Response {
        let mut req = self.request(Method::PATCH, path, token).json(body);
        if let Some(tag) = etag {
            req = req.header("If-Match", tag);
        }
        req.send().await.expect("PATCH")
    }

    pub fn token(&self, role: &str, city: Option<&str>, institution: Option<&str>) -> String {
        tokens::platform(
            &self.settings,
            role,
            city,
            institution,
            &format!("{role}-{}", city.or(institution).unwrap_or("x")),
        )
    }

    /// Waits until the batch writer and the sealer have caught up (bounded; no timing asserted).
    pub async fn settle_audit(&self) -> Value {
        let token = self.token("auditor", None, None);
        let mut last = Value::Null;
        for _ in 0..100 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            // Written first (nothing left in the writer's queue), then sealed.
            let metrics = self
                .get("/metrics", None)
                .await
                .text()
                .await
                .expect("metrics");
            if !metrics.contains("\nsafetrain_audit_queue_depth 0\n") {
                continue;
            }
            last = self
                .get("/api/v1/audit-logs/verify", Some(&token))
                .await
                .json()
                .await
                .expect("json");
            if last["unsealed"] == 0 {
                return last;
            }
        }
        panic!("audit log never settled: {last}");
    }
}

/// Asserts a 201 answer (its body shown when it is not) and returns its JSON body.
pub async fn created(res: Response) -> Value {
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    assert_eq!(status, 201, "{text}");
    serde_json::from_str(&text).expect("a JSON body")
}

/// Asserts a problem+json answer with `status` and `code`, and returns its body.
pub async fn assert_problem(res: Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(
        ct.starts_with("application/problem+json"),
        "content type was {ct}"
    );
    let body: Value = res.json().await.expect("problem body");
    assert_eq!(body["code"], code, "problem: {body}");
    assert_eq!(body["status"], status);
    assert!(
        body["type"]
            .as_str()
            .unwrap_or("")
            .starts_with("urn:safetrain:problem:")
    );
    body
}

/// A TCP proxy in front of PostgreSQL that a test can cut and restore, to take the database away.
pub struct DbProxy {
    pub port: u16,
    target: String,
    stop: Option<tokio::sync::watch::Sender<bool>>,
}

impl DbProxy {
    pub async fn start(target: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let mut proxy = Self {
            port,
            target: target.to_owned(),
            stop: None,
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) {
        let (tx, rx) = tokio::sync::watch::channel(false);
        let target = self.target.clone();
        tokio::spawn(async move {
            loop {
                let mut stop = rx.clone();
                tokio::select! {
                    _ = stop.changed() => break,
                    accepted = listener.accept() => {
                        let Ok((mut inbound, _)) = accepted else { break };
                        let target = target.clone();
                        let mut stop = rx.clone();
                        tokio::spawn(async move {
                            let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else { return };
                            tokio::select! {
                                _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                                _ = stop.changed() => {}
                            }
                        });
                    }
                }
            }
        });
        self.stop = Some(tx);
    }

    /// Drops every connection and stops listening.
    pub fn cut(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(true);
        }
    }

    /// Listens again on the same port.
    pub async fn restore(&mut self) {
        let listener = loop {
            match tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => break l,
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            }
        };
        self.serve(listener);
    }
}

/// The host:port of the PostgreSQL server the tests use.
pub fn postgres_host_port() -> Option<String> {
    let base = postgres_base()?;
    let after_at = base.split('@').nth(1).unwrap_or(&base).to_owned();
    Some(
        after_at
            .split('/')
            .next()
            .unwrap_or("127.0.0.1:5432")
            .to_owned(),
    )
}

/// `url` with its host:port replaced by 127.0.0.1:`port`.
pub fn via_port(url: &str, port: u16) -> String {
    let hp = postgres_host_port().unwrap_or_default();
    url.replacen(&hp, &format!("127.0.0.1:{port}"), 1)
}

/// Whether `program` is on the `PATH`.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Installs, where missing, the Debian packages the certificate tests need: a CJK font for the
/// server to set the PDF in, poppler and zbar to read it back. Once per test process; `cargo
/// test` on a fresh machine needs nothing done by hand.
pub fn ensure_pdf_tools() {
    static DONE: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
    let mut done = DONE.lock().unwrap_or_else(|e| e.into_inner());
    if *done {
        return;
    }
    let font = [
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    ]
    .iter()
    .any(|f| std::path::Path::new(f).is_file());
    let mut missing = Vec::new();
    if !font {
        missing.push("fonts-wqy-microhei");
    }
    if !on_path("pdftotext") || !on_path("pdftoppm") {
        missing.push("poppler-utils");
    }
    if !on_path("zbarimg") {
        missing.push("zbar-tools");
    }
    if !missing.is_empty() {
        let root = std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0"));
        let apt = |args: &[&str]| {
            let mut cmd = if root {
                std::process::Command::new("apt-get")
            } else {
                let mut c = std::process::Command::new("sudo");
                c.arg("-n").arg("apt-get");
                c
            };
            cmd.env("DEBIAN_FRONTEND", "noninteractive")
                .args(["-o", "DPkg::Lock::Timeout=600", "-qq"])
                .args(args)
                .status()
        };
        let _ = apt(&["update"]);
        let installed =
            apt(&[&["install", "-y", "--no-install-recommends"][..], &missing].concat());
        assert!(
            installed.is_ok_and(|s| s.success()),
            "the certificate tests need the Debian packages {missing:?}; installing them failed (run as root or with sudo)"
        );
    }
    *done = true;
}

/// Runs a system tool a test reads its result with (poppler's `pdftotext`, zbar's `zbarimg`),
/// answering its standard output; [`ensure_pdf_tools`] installs them.
pub fn tool(program: &str, args: &[&str], package: &str) -> Vec<u8> {
    ensure_pdf_tools();
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("this test needs `{program}` (Debian package {package}): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
