//! Settings: defaults in code, then an optional TOML file, then `SAFETRAIN__SECTION__KEY`
//! environment variables, then `DATABASE_URL`, then command-line flags. Checked once at start.
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The least retention the audit log may be configured with (requirements §6: ≥ 6 months).
pub const MIN_AUDIT_RETENTION_DAYS: u32 = 180;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub listen: String,
    /// Serve `/metrics` on this address instead of `listen` (an internal interface).
    pub metrics_listen: Option<String>,
    pub data_dir: PathBuf,
    pub workers: usize,
    pub json_limit_bytes: usize,
    pub shutdown_timeout_secs: u64,
    /// CIDR blocks of proxies whose `X-Forwarded-For` names the client (empty: none).
    pub trusted_proxies: Vec<String>,
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub audit: AuditSettings,
    pub rate_limit: RateLimitSettings,
    pub crypto: CryptoSettings,
    pub idempotency: IdempotencySettings,
    pub changes: ChangesSettings,
    pub blobs: BlobSettings,
    pub courses: CourseSettings,
    pub study: StudySettings,
    pub certificates: CertificateSettings,
    pub complaints: ComplaintSettings,
    pub discussion: DiscussionSettings,
}

/// The course discussion space: the posting limit, moderation and answer deadlines.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiscussionSettings {
    /// A caller posts (threads and replies together) at most this many times…
    pub posts_per_window: u32,
    /// …in this many minutes (429 `posting_limited` with `Retry-After`).
    pub window_minutes: u32,
    /// A held or reported post is due for a moderator's decision within this many hours.
    pub moderation_hours: u32,
    /// A question without an answer counts for the regulators after this many hours.
    pub unanswered_hours: u32,
}

impl Default for DiscussionSettings {
    fn default() -> Self {
        Self {
            posts_per_window: 10,
            window_minutes: 10,
            moderation_hours: 24,
            unanswered_hours: 48,
        }
    }
}

/// Complaints and appeals: their deadlines in working time, reopening, public tracking.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ComplaintSettings {
    /// A holiday calendar replacing the shipped `fixtures/holidays.json` (same format).
    pub calendar_file: Option<PathBuf>,
    /// Service hours of a working day, Asia/Shanghai, `HH:MM:SS`.
    pub service_opens: chrono::NaiveTime,
    pub service_closes: chrono::NaiveTime,
    /// The first answer is due within this many minutes of service time (2 hours).
    pub first_answer_minutes: u32,
    /// The resolution is due at the close of service on this working day after filing (3).
    pub resolve_working_days: u32,
    /// The filer may reopen an answered complaint once, within this many days of the answer.
    pub reopen_days: u32,
    /// Wrong tracking codes for one complaint before tracking it is refused for a while…
    pub tracking_max_failures: u32,
    /// …for this many minutes (429 with `Retry-After`).
    pub tracking_lock_minutes: u32,
    /// An attachment (an image or a PDF) is at most this large…
    pub max_attachment_mib: u64,
    /// …and a complaint has at most this many.
    pub max_attachments: u32,
}

impl Default for ComplaintSettings {
    fn default() -> Self {
        Self {
            calendar_file: None,
            service_opens: chrono::NaiveTime::from_hms_opt(9, 0, 0).expect("a time"),
            service_closes: chrono::NaiveTime::from_hms_opt(18, 0, 0).expect("a time"),
            first_answer_minutes: 120,
            resolve_working_days: 3,
            reopen_days: 15,
            tracking_max_failures: 5,
            tracking_lock_minutes: 15,
            max_attachment_mib: 10,
            max_attachments: 10,
        }
    }
}

/// Certificates of training hours and their PDF.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CertificateSettings {
    /// The public address of this API as the learner's employer or a regulator reaches it:
    /// the QR code on a certificate is `<this>/api/v1/certificates/<number>/verify?code=<code>`.
    pub public_base_url: String,
    /// CJK fonts to set a certificate's PDF in, the first present is used (Debian's
    /// `fonts-wqy-microhei`, then `fonts-noto-cjk`'s Simplified Chinese face). Without any, the
    /// PDF answers 503 and everything else works.
    pub fonts: Vec<FontFile>,
}

/// A font file, and the face to use when it is a collection (`.ttc`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FontFile {
    pub path: PathBuf,
    #[serde(default)]
    pub index: usize,
}

impl Default for CertificateSettings {
    fn default() -> Self {
        Self {
            public_base_url: "http://127.0.0.1:8080".into(),
            fonts: vec![
                FontFile {
                    path: "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc".into(),
                    index: 0,
                },
                FontFile {
                    path: "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc".into(),
                    index: 2,
                },
            ],
        }
    }
}

/// Study: programmes, sessions and the rules of credit.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StudySettings {
    /// A programmes file to use instead of the shipped `fixtures/programmes.json`.
    pub programmes_file: Option<PathBuf>,
    /// How often a client sends heartbeats (the answer tells it).
    pub heartbeat_secs: u32,
    /// A gap between heartbeats longer than this earns nothing and pauses the session.
    pub idle_limit_secs: u32,
    /// How far ahead of wall time a position may be (network jitter) before it is fast-forward.
    pub position_tolerance_secs: u32,
    /// Study time that counts per learner and day (Asia/Shanghai).
    pub daily_cap_minutes: u32,
    /// Face checks fall due at random between these many seconds after the last good one
    /// (the maximum is never more than 15 minutes).
    pub face_check_min_secs: u32,
    pub face_check_max_secs: u32,
    /// Seconds a learner has to answer a face check.
    pub face_check_answer_secs: u32,
    /// Missed or failed checks in one session that suspend it for review.
    pub max_failed_checks: u32,
    /// A session without a heartbeat for this long is ended by the server (reason `idle`).
    pub end_after_idle_secs: u32,
    /// How often the server looks for such sessions (and counts the face data it holds).
    pub sweep_secs: u32,
    /// The share of a quiz's questions (percent) an attempt must get right to pass.
    pub quiz_pass_percent: u32,
    pub verifier: VerifierSettings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifierKind {
    /// Every capture is kept for a person to compare with the portrait.
    #[default]
    Manual,
    /// An external face-comparison service (see `study::verifier`).
    Http,
}

/// The face verifier.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VerifierSettings {
    pub kind: VerifierKind,
    /// The comparison service's URL (http verifier).
    pub url: Option<String>,
    /// How long one request may take.
    pub timeout_ms: u64,
    /// How many more times a failed or timed-out request is tried.
    pub retries: u32,
    /// The least score (0–1) that passes.
    pub threshold: f64,
}

impl Default for VerifierSettings {
    fn default() -> Self {
        Self {
            kind: VerifierKind::Manual,
            url: None,
            timeout_ms: 3000,
            retries: 2,
            threshold: 0.8,
        }
    }
}

impl Default for StudySettings {
    fn default() -> Self {
        Self {
            programmes_file: None,
            heartbeat_secs: 30,
            idle_limit_secs: 300,
            position_tolerance_secs: 5,
            daily_cap_minutes: 360,
            face_check_min_secs: 300,
            face_check_max_secs: 900,
            face_check_answer_secs: 60,
            max_failed_checks: 3,
            quiz_pass_percent: 80,
            end_after_idle_secs: 1800,
            sweep_secs: 60,
            verifier: VerifierSettings::default(),
        }
    }
}

/// What a course must be to be filed and published.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CourseSettings {
    /// Minutes in one 学时 (training hour).
    pub minutes_per_hour: u32,
    /// How far (in minutes) a course's hours may be from the sum of its videos' durations.
    pub hours_tolerance_minutes: u32,
    /// Courses whose update deadline falls within this many days count as overdue already.
    pub overdue_warning_days: u32,
    /// How often the deadline job runs (one runner across replicas; it also runs at start).
    pub deadline_check_secs: u64,
    /// Whether the deadline job suspends published courses whose update deadline has passed.
    pub suspend_overdue: bool,
    /// What a screening hit in a course's texts does on submission: `block` refuses the
    /// submission (409 naming the hits); `review` lets it through, flagged for the reviewers.
    pub screening: ScreeningAction,
    pub video: VideoPolicy,
    pub ratings: RatingSettings,
}

/// When learners' ratings flag a course for takedown.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RatingSettings {
    /// A version is flagged when the overall average (of content, settings and teacher)
    /// falls below this (1–5)…
    pub flag_below: f64,
    /// …once it has at least this many ratings.
    pub flag_min_ratings: u32,
}

impl Default for RatingSettings {
    fn default() -> Self {
        Self {
            flag_below: 3.0,
            flag_min_ratings: 10,
        }
    }
}

impl RatingSettings {
    /// The threshold in hundredths, as flags keep averages.
    pub fn flag_below_hundredths(&self) -> i64 {
        (self.flag_below * 100.0).round() as i64
    }
}

/// What a screening hit does to a filing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScreeningAction {
    Block,
    Review,
}

/// The automatic video checks: format (container and codecs) and quality (resolution,
/// bitrate, duration).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VideoPolicy {
    /// Video codecs accepted, by name (`h264`, `hevc`, `av1`, `vp9`, `mpeg4`).
    pub video_codecs: Vec<String>,
    /// Audio codecs accepted (`aac`, `mp3`, `opus`); a video without sound is refused.
    pub audio_codecs: Vec<String>,
    pub min_width: u32,
    pub min_height: u32,
    /// The least average bitrate (file size over duration), in kbit/s.
    pub min_bitrate_kbps: u32,
}

impl Default for CourseSettings {
    fn default() -> Self {
        Self {
            minutes_per_hour: 45,
            hours_tolerance_minutes: 5,
            overdue_warning_days: 30,
            deadline_check_secs: 86_400,
            suspend_overdue: false,
            screening: ScreeningAction::Block,
            video: VideoPolicy::default(),
            ratings: RatingSettings::default(),
        }
    }
}

impl Default for VideoPolicy {
    fn default() -> Self {
        Self {
            video_codecs: vec!["h264".into()],
            audio_codecs: vec!["aac".into()],
            min_width: 1280,
            min_height: 720,
            min_bitrate_kbps: 800,
        }
    }
}

/// Where files are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BlobBackend {
    /// A directory (`blobs.dir`, by default `<data_dir>/blobs`).
    #[default]
    Local,
    /// An S3-compatible store (`blobs.s3`).
    S3,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BlobSettings {
    pub backend: BlobBackend,
    pub dir: Option<PathBuf>,
    pub s3: Option<S3Settings>,
    /// The largest courseware file accepted, in MiB.
    pub max_courseware_mib: u64,
    /// The largest image (a photo, a portrait) accepted, in MiB.
    pub max_image_mib: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Settings {
    pub endpoint: String,
    pub bucket: String,
    #[serde(default = "default_region")]
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    /// Plain HTTP to the endpoint (a store on a private network); HTTPS otherwise.
    #[serde(default)]
    pub allow_http: bool,
}

fn default_region() -> String {
    "us-east-1".into()
}

impl Default for BlobSettings {
    fn default() -> Self {
        Self {
            backend: BlobBackend::Local,
            dir: None,
            s3: None,
            max_courseware_mib: 2048,
            max_image_mib: 5,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Time a new connection has to send its first request head.
    pub request_head_timeout_secs: u64,
    /// Time a request has, from arrival, to deliver its whole body.
    pub body_timeout_secs: u64,
    /// The same for a file upload (any body that is not JSON).
    pub upload_timeout_secs: u64,
    /// Idle time before a kept-alive connection is closed.
    pub keep_alive_secs: u64,
    /// Open connections one client address may hold (0: no cap; trusted proxies are exempt).
    pub max_connections_per_ip: usize,
    /// How often a replica re-reads the version of a cached public answer (the longest time
    /// another replica's change takes to show).
    pub answer_cache_check_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdempotencySettings {
    /// How long an `Idempotency-Key` is remembered.
    pub ttl_hours: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChangesSettings {
    /// How often committed change events get their feed positions.
    pub sequence_interval_ms: u64,
    /// Events positioned per transaction of the sequencer.
    pub sequence_batch_size: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `postgres://…` or `sqlite://…`; unset means `sqlite://<data_dir>/safetrain.db`.
    pub url: Option<SecretString>,
    pub max_connections: u32,
    pub connect_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    pub leeway_secs: u64,
    pub platform: PlatformIssuerSettings,
    pub local: LocalSignInSettings,
    pub provincial: Option<ProvincialIssuerSettings>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlatformIssuerSettings {
    pub issuer: String,
    pub audience: String,
    /// HS256 key of at least 32 bytes; unset means a key generated into the data dir.
    pub secret: Option<SecretString>,
    pub default_ttl_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvincialIssuerSettings {
    pub issuer: String,
    pub audience: String,
    pub jwks_url: String,
    /// Extra PEM root certificate trusted for the JWKS endpoint (a private CA).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default = "default_jwks_ttl")]
    pub jwks_cache_secs: u64,
    #[serde(default = "default_jwks_refetch")]
    pub jwks_min_refetch_secs: u64,
    #[serde(default = "default_role_claim")]
    pub role_claim: String,
    #[serde(default = "default_city_claim")]
    pub city_claim: String,
    #[serde(default = "default_institution_claim")]
    pub institution_claim: String,
    /// Provider role value → safetrain role name. Defaults map each regulator role to itself.
    #[serde(default = "default_role_map")]
    pub role_map: HashMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditSettings {
    pub retention_days: u32,
    pub queue_capacity: usize,
    pub batch_size: usize,
    pub flush_interval_ms: u64,
    pub seal_interval_ms: u64,
    /// Records linked per transaction of the sealer.
    pub seal_batch_size: u64,
    pub lease_ttl_secs: u64,
    /// How often records past retention are purged.
    pub purge_interval_secs: u64,
    /// Refused (429) requests are counted per client and written as one record per window.
    pub refused_window_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitSettings {
    pub anonymous_per_second: u32,
    pub anonymous_burst: u32,
    pub authenticated_per_second: u32,
    pub authenticated_burst: u32,
}

/// Learners' local sign-in with a password.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocalSignInSettings {
    /// Lifetime of an access token, in seconds.
    pub access_ttl_secs: u64,
    /// Lifetime of a refresh token, in hours (each use replaces it).
    pub refresh_ttl_hours: u32,
    /// Failed sign-ins in a row that lock the account…
    pub max_failed_logins: u32,
    /// …for this many minutes.
    pub lock_minutes: u32,
    /// Argon2id memory (KiB) and passes of new password hashes (a hash names its own, so
    /// raising them later needs no migration).
    pub argon2_memory_kib: u32,
    pub argon2_passes: u32,
}

impl Default for LocalSignInSettings {
    fn default() -> Self {
        Self {
            access_ttl_secs: 900,
            refresh_ttl_hours: 14 * 24,
            max_failed_logins: 5,
            lock_minutes: 15,
            argon2_memory_kib: 19_456,
            argon2_passes: 2,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CryptoSettings {
    /// Base64 of 32 bytes (AES-256-GCM) for personal data at rest; unset means a key in the data dir.
    pub data_key: Option<SecretString>,
    /// The id stored with every value `data_key` encrypts (1–16 letters, digits, `-`, `_`).
    pub data_key_id: String,
    /// Keys replaced by a rotation, by id: they decrypt what they wrote, and encrypt nothing.
    pub retired_keys: HashMap<String, SecretString>,
    /// Base64 of 32 bytes for the keyed look-up hashes of personal values (HMAC-SHA256);
    /// unset means a key in the data dir. It cannot rotate without rebuilding the hashes.
    pub lookup_key: Option<SecretString>,
}

impl Default for CryptoSettings {
    fn default() -> Self {
        Self {
            data_key: None,
            data_key_id: "k1".into(),
            retired_keys: HashMap::new(),
            lookup_key: None,
        }
    }
}

fn default_jwks_ttl() -> u64 {
    3600
}
fn default_jwks_refetch() -> u64 {
    30
}
fn default_role_claim() -> String {
    "role".into()
}
fn default_city_claim() -> String {
    "city_code".into()
}
fn default_institution_claim() -> String {
    "institution_id".into()
}
fn default_role_map() -> HashMap<String, String> {
    [
        "province_admin",
        "city_admin",
        "institution_admin",
        "auditor",
    ]
    .into_iter()
    .map(|r| (r.to_owned(), r.to_owned()))
    .collect()
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            metrics_listen: None,
            data_dir: PathBuf::from("./data"),
            workers: 0,
            json_limit_bytes: 256 * 1024,
            shutdown_timeout_secs: 30,
            trusted_proxies: Vec::new(),
            http: HttpSettings::default(),
            database: DatabaseSettings::default(),
            auth: AuthSettings::default(),
            audit: AuditSettings::default(),
            rate_limit: RateLimitSettings::default(),
            crypto: CryptoSettings::default(),
            idempotency: IdempotencySettings::default(),
            changes: ChangesSettings::default(),
            blobs: BlobSettings::default(),
            courses: CourseSettings::default(),
            study: StudySettings::default(),
            certificates: CertificateSettings::default(),
            complaints: ComplaintSettings::default(),
            discussion: DiscussionSettings::default(),
        }
    }
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            request_head_timeout_secs: 5,
            body_timeout_secs: 30,
            upload_timeout_secs: 3600,
            keep_alive_secs: 5,
            max_connections_per_ip: 1024,
            answer_cache_check_ms: 500,
        }
    }
}

impl Default for IdempotencySettings {
    fn default() -> Self {
        Self { ttl_hours: 24 }
    }
}

impl Default for ChangesSettings {
    fn default() -> Self {
        Self {
            sequence_interval_ms: 200,
            sequence_batch_size: 1000,
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: None,
            max_connections: 16,
            connect_timeout_secs: 5,
        }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            leeway_secs: 60,
            platform: PlatformIssuerSettings::default(),
            local: LocalSignInSettings::default(),
            provincial: None,
        }
    }
}

impl Default for PlatformIssuerSettings {
    fn default() -> Self {
        Self {
            issuer: "safetrain".into(),
            audience: "safetrain-api".into(),
            secret: None,
            default_ttl_secs: 3600,
        }
    }
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self {
            retention_days: MIN_AUDIT_RETENTION_DAYS,
            queue_capacity: 10_000,
            batch_size: 500,
            flush_interval_ms: 200,
            seal_interval_ms: 1000,
            seal_batch_size: 1000,
            lease_ttl_secs: 15,
            purge_interval_secs: 3600,
            refused_window_secs: 60,
        }
    }
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            anonymous_per_second: 50,
            anonymous_burst: 100,
            authenticated_per_second: 100,
            authenticated_burst: 200,
        }
    }
}

/// Overrides given on the command line; they win over every other source.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
}

/// A setting that stops start-up: the key and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {key}: {problem}")]
pub struct SettingError {
    pub key: String,
    pub problem: String,
}

impl SettingError {
    fn new(key: &str, problem: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            problem: problem.into(),
        }
    }
}

impl Settings {
    /// Loads the layered settings and checks them.
    pub fn load(overrides: &Overrides) -> Result<Self, SettingError> {
        let mut builder = config::Config::builder();
        if let Some(file) = &overrides.config_file {
            builder = builder.add_source(config::File::from(file.as_path()).required(true));
        }
        builder = builder.add_source(
            config::Environment::with_prefix("SAFETRAIN")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true),
        );
        let raw = builder
            .build()
            .map_err(|e| SettingError::new("config", e.to_string()))?;
        let mut settings: Settings = raw
            .try_deserialize()
            .map_err(|e| SettingError::new("config", e.to_string()))?;
        if let Ok(url) = std::env::var("DATABASE_URL") {
            settings.database.url = Some(SecretString::from(url));
        }
        if let Some(listen) = &overrides.listen {
            settings.listen = listen.clone();
        }
        if let Some(dir) = &overrides.data_dir {
            settings.data_dir = dir.clone();
        }
        settings.validate()?;
        Ok(settings)
    }

    /// Checks every setting whose value the type alone does not guard.
    pub fn validate(&self) -> Result<(), SettingError> {
        self.listen
            .parse::<SocketAddr>()
            .map_err(|e| SettingError::new("listen", format!("not HOST:PORT ({e})")))?;
        if let Some(listen) = &self.metrics_listen {
            listen
                .parse::<SocketAddr>()
                .map_err(|e| SettingError::new("metrics_listen", format!("not HOST:PORT ({e})")))?;
        }
        self.trusted_proxy_nets()?;
        let base = &self.certificates.public_base_url;
        if !(base.starts_with("https://") || base.starts_with("http://"))
            || base.contains(['?', '#'])
        {
            return Err(SettingError::new(
                "certificates.public_base_url",
                "not an http(s) address without query or fragment",
            ));
        }
        positive("http.body_timeout_secs", self.http.body_timeout_secs)?;
        positive(
            "http.request_head_timeout_secs",
            self.http.request_head_timeout_secs,
        )?;
        positive("idempotency.ttl_hours", self.idempotency.ttl_hours.into())?;
        positive("audit.seal_batch_size", self.audit.seal_batch_size)?;
        // One batch is one statement: PostgreSQL binds at most 65,535 parameters.
        at_most("audit.seal_batch_size", self.audit.seal_batch_size, 10_000)?;
        at_most(
            "changes.sequence_batch_size",
            self.changes.sequence_batch_size,
            10_000,
        )?;
        positive("audit.purge_interval_secs", self.audit.purge_interval_secs)?;
        positive("audit.refused_window_secs", self.audit.refused_window_secs)?;
        positive(
            "changes.sequence_batch_size",
            self.changes.sequence_batch_size,
        )?;
        positive(
            "changes.sequence_interval_ms",
            self.changes.sequence_interval_ms,
        )?;
        positive("blobs.max_courseware_mib", self.blobs.max_courseware_mib)?;
        positive("blobs.max_image_mib", self.blobs.max_image_mib)?;
        positive(
            "courses.minutes_per_hour",
            self.courses.minutes_per_hour.into(),
        )?;
        positive("http.upload_timeout_secs", self.http.upload_timeout_secs)?;
        positive(
            "courses.ratings.flag_min_ratings",
            self.courses.ratings.flag_min_ratings.into(),
        )?;
        if !(1.0..=5.0).contains(&self.courses.ratings.flag_below) {
            return Err(SettingError::new(
                "courses.ratings.flag_below",
                "must be 1 to 5",
            ));
        }
        positive(
            "courses.deadline_check_secs",
            self.courses.deadline_check_secs,
        )?;
        let study = &self.study;
        positive("study.heartbeat_secs", study.heartbeat_secs.into())?;
        positive(
            "study.face_check_min_secs",
            study.face_check_min_secs.into(),
        )?;
        positive("study.max_failed_checks", study.max_failed_checks.into())?;
        positive("study.sweep_secs", study.sweep_secs.into())?;
        if study.end_after_idle_secs <= study.idle_limit_secs {
            return Err(SettingError::new(
                "study.end_after_idle_secs",
                "must be longer than study.idle_limit_secs",
            ));
        }
        if !(1..=100).contains(&study.quiz_pass_percent) {
            return Err(SettingError::new(
                "study.quiz_pass_percent",
                "must be 1 to 100",
            ));
        }
        if study.idle_limit_secs <= study.heartbeat_secs {
            return Err(SettingError::new(
                "study.idle_limit_secs",
                "must be longer than study.heartbeat_secs",
            ));
        }
        if study.face_check_max_secs < study.face_check_min_secs || study.face_check_max_secs > 900
        {
            return Err(SettingError::new(
                "study.face_check_max_secs",
                "must be at least study.face_check_min_secs and at most 900 (15 minutes)",
            ));
        }
        if !(0.0..=1.0).contains(&study.verifier.threshold) {
            return Err(SettingError::new(
                "study.verifier.threshold",
                "must be 0 to 1",
            ));
        }
        positive("study.verifier.timeout_ms", study.verifier.timeout_ms)?;
        let local = &self.auth.local;
        positive("auth.local.access_ttl_secs", local.access_ttl_secs)?;
        positive(
            "auth.local.refresh_ttl_hours",
            local.refresh_ttl_hours.into(),
        )?;
        positive(
            "auth.local.max_failed_logins",
            local.max_failed_logins.into(),
        )?;
        positive("auth.local.lock_minutes", local.lock_minutes.into())?;
        if local.argon2_memory_kib < 8 || local.argon2_passes == 0 {
            return Err(SettingError::new(
                "auth.local.argon2_memory_kib",
                "Argon2id needs at least 8 KiB and one pass",
            ));
        }
        if self.blobs.backend == BlobBackend::S3 && self.blobs.s3.is_none() {
            return Err(SettingError::new(
                "blobs.s3",
                "must be set when blobs.backend is s3",
            ));
        }
        if self.audit.retention_days < MIN_AUDIT_RETENTION_DAYS {
            return Err(SettingError::new(
                "audit.retention_days",
                format!(
                    "must be at least {MIN_AUDIT_RETENTION_DAYS}, got {}",
                    self.audit.retention_days
                ),
            ));
        }
        positive("audit.batch_size", self.audit.batch_size as u64)?;
        positive("audit.queue_capacity", self.audit.queue_capacity as u64)?;
        positive(
            "database.max_connections",
            self.database.max_connections.into(),
        )?;
        positive(
            "rate_limit.anonymous_per_second",
            self.rate_limit.anonymous_per_second.into(),
        )?;
        positive(
            "rate_limit.authenticated_per_second",
            self.rate_limit.authenticated_per_second.into(),
        )?;
        // A first answer due the minute a complaint arrives is no deadline (and counts no
        // service time, so a filing at the close would be due at once).
        positive(
            "complaints.first_answer_minutes",
            self.complaints.first_answer_minutes.into(),
        )?;
        let d = &self.discussion;
        positive("discussion.posts_per_window", d.posts_per_window.into())?;
        positive("discussion.window_minutes", d.window_minutes.into())?;
        positive("discussion.moderation_hours", d.moderation_hours.into())?;
        positive("discussion.unanswered_hours", d.unanswered_hours.into())?;
        if let Some(url) = &self.database.url {
            let url = url.expose_secret();
            if !(url.starts_with("postgres://")
                || url.starts_with("postgresql://")
                || url.starts_with("sqlite:"))
            {
                return Err(SettingError::new(
                    "database.url",
                    "must start with postgres:// or sqlite:",
                ));
            }
        }
        if let Some(secret) = &self.auth.platform.secret
            && secret.expose_secret().len() < 32
        {
            return Err(SettingError::new(
                "auth.platform.secret",
                "must be at least 32 bytes",
            ));
        }
        if let Some(p) = &self.auth.provincial {
            if !p.jwks_url.starts_with("https://") {
                return Err(SettingError::new(
                    "auth.provincial.jwks_url",
                    "must be an https:// URL",
                ));
            }
            for (from, to) in &p.role_map {
                if to.parse::<crate::domain::Role>().is_err() {
                    return Err(SettingError::new(
                        &format!("auth.provincial.role_map.{from}"),
                        format!("unknown role {to:?}"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The database URL to connect to: the configured one or the embedded SQLite file.
    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.expose_secret().to_owned(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("safetrain.db").display()
            ),
        }
    }

    /// `trusted_proxies` as networks (a bare address is a /32 or /128).
    pub fn trusted_proxy_nets(&self) -> Result<Vec<ipnet::IpNet>, SettingError> {
        self.trusted_proxies
            .iter()
            .map(|raw| {
                raw.parse::<ipnet::IpNet>()
                    .or_else(|_| raw.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        SettingError::new("trusted_proxies", format!("{raw:?} is not a CIDR block"))
                    })
            })
            .collect()
    }

    /// The number of server workers: as set, or one per available core.
    pub fn worker_count(&self) -> usize {
        if self.workers > 0 {
            self.workers
        } else {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        }
    }

    pub fn data_path(&self, name: &str) -> PathBuf {
        Path::new(&self.data_dir).join(name)
    }
}

fn at_most(key: &str, value: u64, max: u64) -> Result<(), SettingError> {
    if value > max {
        return Err(SettingError::new(
            key,
            format!("must be at most {max}, got {value}"),
        ));
    }
    Ok(())
}

fn positive(key: &str, value: u64) -> Result<(), SettingError> {
    if value == 0 {
        return Err(SettingError::new(key, "must be greater than 0"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_settings_file_names_every_key_rightly() {
        let raw = config::Config::builder()
            .add_source(config::File::from_str(
                include_str!("../safetrain.example.toml"),
                config::FileFormat::Toml,
            ))
            .build()
            .unwrap();
        let settings: Settings = raw.try_deserialize().unwrap();
        settings.validate().unwrap();
        assert_eq!(settings.http.body_timeout_secs, 30);
    }

    #[test]
    fn trusted_proxies_are_cidr_blocks_or_addresses() {
        let mut s = Settings {
            trusted_proxies: vec!["10.0.0.0/8".into(), "192.0.2.1".into()],
            ..Default::default()
        };
        assert_eq!(s.trusted_proxy_nets().unwrap().len(), 2);
        s.trusted_proxies.push("nowhere".into());
        assert_eq!(s.validate().unwrap_err().key, "trusted_proxies");
    }

    #[test]
    fn a_batch_too_large_for_one_statement_is_refused() {
        let mut s = Settings::default();
        s.audit.seal_batch_size = 10_000;
        assert!(s.validate().is_ok());
        s.audit.seal_batch_size = 10_001;
        assert_eq!(s.validate().unwrap_err().key, "audit.seal_batch_size");
        s.audit.seal_batch_size = 1_000;
        s.changes.sequence_batch_size = 50_000;
        assert_eq!(s.validate().unwrap_err().key, "changes.sequence_batch_size");
    }

    #[test]
    fn deadlines_and_posting_limits_are_never_zero() {
        type Set = fn(&mut Settings);
        let cases: [(&str, Set); 5] = [
            ("complaints.first_answer_minutes", |s| {
                s.complaints.first_answer_minutes = 0
            }),
            ("discussion.posts_per_window", |s| {
                s.discussion.posts_per_window = 0
            }),
            ("discussion.window_minutes", |s| {
                s.discussion.window_minutes = 0
            }),
            ("discussion.moderation_hours", |s| {
                s.discussion.moderation_hours = 0
            }),
            ("discussion.unanswered_hours", |s| {
                s.discussion.unanswered_hours = 0
            }),
        ];
        for (key, zero) in cases {
            let mut s = Settings::default();
            zero(&mut s);
            assert_eq!(s.validate().unwrap_err().key, key);
        }
    }
}
