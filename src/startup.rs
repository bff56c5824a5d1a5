//! Building and running the server: the modules it serves, the layers around them, the
//! background jobs, and an orderly stop.
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use sea_orm::DatabaseConnection;
use tokio::task::JoinHandle;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_swagger_ui::SwaggerUi;

use crate::audit::{self, AuditSink, Recorder, Refused};
use crate::auth::{self, Authenticator};
use crate::config::Settings;
use crate::context::Services;
use crate::crypto::DataCipher;
use crate::http::limits::ConnectionLimit;
use crate::http::rate_limit::RateLimits;
use crate::http::{self, ClientIps};
use crate::jobs::Jobs;
use crate::metrics::Metrics;
use crate::{
    announcements, audit_logs, changes, cities, complaints, context, courses, db, discussions,
    enrolments, filing, institutions, learners, openapi, operations, ratings, reference,
    regulations, reports, screening, sharing, study, teachers,
};

/// A resource module: its routes under `/api/v1` and its part of the contract (its tags).
pub struct Module {
    pub configure: fn(&mut ServiceConfig),
    pub doc: fn() -> utoipa::openapi::OpenApi,
}

/// The module of folder `$m`: its `configure` and its `Doc`.
macro_rules! module {
    ($m:ident) => {
        Module {
            configure: $m::configure,
            doc: <$m::Doc as OpenApi>::openapi,
        }
    };
}

/// Every resource module. Adding a resource is one line here.
pub const MODULES: &[Module] = &[
    module!(cities),
    module!(institutions),
    module!(audit_logs),
    module!(sharing),
    module!(reference),
    module!(screening),
    module!(teachers),
    module!(courses),
    module!(regulations),
    module!(ratings),
    module!(reports),
    module!(learners),
    module!(enrolments),
    module!(study),
    module!(complaints),
    module!(announcements),
    module!(filing),
    module!(discussions),
];

/// The prefix of every resource module's routes.
pub const API_PREFIX: &str = "/api/v1";

/// Every documented route: operations at the root, the modules under `/api/v1`; with the
/// finished document, also the 405 answers of its paths (guarded by the methods each path
/// lacks, so they can come first).
pub fn api(cfg: &mut ServiceConfig, with_metrics: bool, doc: Option<&utoipa::openapi::OpenApi>) {
    operations::configure(cfg, with_metrics);
    let mut scope = utoipa_actix_web::scope::scope(API_PREFIX);
    if let Some(doc) = doc {
        for (path, route) in http::methods::fallbacks(doc, API_PREFIX) {
            scope = scope.route(&path, route);
        }
        for (path, route) in http::methods::fallbacks(doc, "") {
            cfg.route(&path, route);
        }
    }
    // The router tries routes in the order they were registered, each templated one by a
    // regular expression: the study module's heartbeats, the most frequent request by far,
    // come first (the modules' paths do not overlap, so their order is free).
    for module in MODULES.iter().rev() {
        scope = scope.configure(module.configure);
    }
    cfg.service(scope);
}

/// The contract's frame with every module's tags.
fn frame() -> utoipa::openapi::OpenApi {
    let mut doc = openapi::ApiDoc::frame();
    doc.merge(<operations::Doc as OpenApi>::openapi());
    for module in MODULES {
        doc.merge((module.doc)());
    }
    doc
}

/// The whole document, as the server publishes it at `/api-docs/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    routes(true)
}

/// The document of the routes one server registers (`/metrics` may live elsewhere).
fn routes(with_metrics: bool) -> utoipa::openapi::OpenApi {
    let (_, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(frame())
        .configure(|c| api(c, with_metrics, None))
        .split_for_parts();
    openapi::finalize(&mut doc);
    doc
}

/// The document as pretty JSON with a trailing newline, as served and as committed in
/// `openapi/openapi.json`.
pub fn document_json() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}

/// Where the OpenAPI document is served.
pub const SPEC_PATH: &str = "/api-docs/openapi.json";

/// Extra routes a caller adds next to the API (tests use it; the binary adds none).
pub type Extra = fn(&mut web::ServiceConfig);

/// A failure to start, named for the operator.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Setup(String),
    #[error("listen: {0}")]
    Io(#[from] std::io::Error),
}

/// What every server worker shares.
#[derive(Clone)]
struct Shared {
    settings: Arc<Settings>,
    services: web::Data<Services>,
    cities: web::Data<cities::Catalog>,
    programmes: web::Data<enrolments::programmes::Programmes>,
    calendar: web::Data<complaints::calendar::Calendar>,
    verifier: web::Data<study::verifier::Verifier>,
    fonts: web::Data<crate::media::pdf::Fonts>,
    metrics: Arc<Metrics>,
    auth: Arc<Authenticator>,
    limits: Arc<RateLimits>,
    recorder: Recorder,
    ips: ClientIps,
    spec: web::Bytes,
    doc: Arc<utoipa::openapi::OpenApi>,
    documented: Arc<http::methods::Documented>,
}

pub struct Application {
    port: u16,
    metrics_port: Option<u16>,
    server: Server,
    metrics_server: Option<Server>,
    sink: AuditSink,
    refused: Arc<Refused>,
    writer: JoinHandle<()>,
    stop_writer: tokio::sync::oneshot::Sender<()>,
    jobs: Jobs,
    db: DatabaseConnection,
    background: DatabaseConnection,
    seal_batch: u64,
    clock: crate::clock::Clock,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        Self::build_with(settings, |_| {}).await
    }

    pub async fn build_with(settings: Settings, extra: Extra) -> Result<Self, StartError> {
        crate::crypto::install_tls_provider();
        let db = db::connect(&settings).await?;
        db::migrate(&db).await?;
        cities::load_fixtures(&db).await?;
        let cities = cities::Catalog::load(&db).await?;
        let programmes = enrolments::programmes::Programmes::load(
            settings.study.programmes_file.as_deref(),
            &reference::Catalogue::shipped(),
        )
        .map_err(StartError::Setup)?;
        let calendar = complaints::calendar::Calendar::load(
            settings.complaints.calendar_file.as_deref(),
            settings.complaints.service_opens,
            settings.complaints.service_closes,
        )
        .map_err(StartError::Setup)?;
        calendar.warn_missing_years(crate::db::now());
        let verifier = study::verifier::Verifier::from_settings(&settings.study.verifier)
            .map_err(StartError::Setup)?;
        let fonts = crate::media::pdf::Fonts::new(settings.certificates.fonts.clone());
        if !fonts.any_present() {
            tracing::warn!(
                "no CJK font is installed (certificates.fonts): certificate PDFs answer 503 \
                 until one is (Debian: fonts-wqy-microhei)"
            );
        }
        let metrics = Arc::new(Metrics::new().map_err(|e| StartError::Setup(e.to_string()))?);
        let auth = Arc::new(Authenticator::from_settings(&settings).map_err(StartError::Setup)?);
        let cipher = DataCipher::from_settings(&settings).map_err(StartError::Setup)?;
        let blobs = crate::blobs::Blobs::from_settings(&settings).map_err(StartError::Setup)?;
        let clock = crate::clock::Clock::default();
        let ips = ClientIps::new(
            settings
                .trusted_proxy_nets()
                .map_err(|e| StartError::Setup(e.to_string()))?,
        );
        // Background work gets a pool of its own on this runtime, which outlives the server's
        // workers: the final flush of the audit queue must still reach the database then.
        let background = db::open(&settings, 3, false).await?;
        let (stop_writer, stopped) = tokio::sync::oneshot::channel();
        let (sink, writer) = AuditSink::spawn(
            background.clone(),
            &settings.audit,
            metrics.clone(),
            stopped,
        );
        let refused = Arc::new(Refused::default());
        let limits = RateLimits::new(&settings.rate_limit);
        let jobs = spawn_jobs(JobParts {
            settings: &settings,
            background: &background,
            metrics: &metrics,
            sink: &sink,
            refused: &refused,
            limits: &limits,
            cipher: &cipher,
            clock: &clock,
        });
        let listener = TcpListener::bind(&settings.listen)?;
        let port = listener.local_addr()?.port();
        let metrics_listener = match &settings.metrics_listen {
            Some(addr) => Some(TcpListener::bind(addr)?),
            None => None,
        };
        let metrics_port = match &metrics_listener {
            Some(l) => Some(l.local_addr()?.port()),
            None => None,
        };
        let settings = Arc::new(settings);
        let doc = Arc::new(routes(metrics_listener.is_none()));
        let shared = Shared {
            services: web::Data::new(Services {
                cipher,
                settings: settings.clone(),
                answers: context::cache::AnswerCache::new(Duration::from_millis(
                    settings.http.answer_cache_check_ms,
                )),
                blobs,
                clock: clock.clone(),
            }),
            cities: web::Data::new(cities),
            programmes: web::Data::new(programmes),
            calendar: web::Data::new(calendar),
            fonts: web::Data::new(fonts),
            verifier: web::Data::new(verifier),
            metrics: metrics.clone(),
            auth,
            limits,
            recorder: Recorder {
                sink: sink.clone(),
                refused: refused.clone(),
                body_timeout: Duration::from_secs(settings.http.body_timeout_secs),
                upload_timeout: Duration::from_secs(settings.http.upload_timeout_secs),
            },
            ips: ips.clone(),
            spec: web::Bytes::from(document_json()),
            doc: doc.clone(),
            documented: Arc::new(http::methods::Documented::new(&doc)),
            settings: settings.clone(),
        };
        let conns = ConnectionLimit::new(settings.http.max_connections_per_ip, ips);
        let server = serve(shared, listener, conns, extra, metrics_listener.is_none())?;
        let metrics_server = metrics_listener
            .map(|l| serve_metrics(metrics.clone(), l))
            .transpose()?;
        Ok(Self {
            port,
            metrics_port,
            server,
            metrics_server,
            sink,
            refused,
            writer,
            stop_writer,
            jobs,
            db,
            background,
            seal_batch: settings.audit.seal_batch_size,
            clock,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of `/metrics` when it has an address of its own.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The clock study rules run on (tests and the simulation advance it).
    pub fn clock(&self) -> crate::clock::Clock {
        self.clock.clone()
    }

    /// Stops the server (gracefully with `graceful`), as SIGTERM does.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/SIGINT (or the handle stops it), then writes every queued audit
    /// record, stops the jobs and seals what is left.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics_handle = self.metrics_server.as_ref().map(Server::handle);
        if let Some(server) = self.metrics_server {
            tokio::spawn(server);
        }
        let result = self.server.await;
        if let Some(handle) = metrics_handle {
            handle.stop(true).await;
        }
        self.refused.flush(&self.sink).await;
        drop(self.sink);
        let _ = self.stop_writer.send(());
        let _ = self.writer.await;
        self.jobs.shutdown().await;
        let _ = audit::seal::seal_batch(&self.background, self.seal_batch).await;
        self.background.close_by_ref().await.ok();
        self.db.close_by_ref().await.ok();
        result
    }
}

/// What the background jobs use.
struct JobParts<'a> {
    settings: &'a Settings,
    background: &'a DatabaseConnection,
    metrics: &'a Arc<Metrics>,
    sink: &'a AuditSink,
    refused: &'a Arc<Refused>,
    limits: &'a Arc<RateLimits>,
    cipher: &'a DataCipher,
    clock: &'a crate::clock::Clock,
}

fn spawn_jobs(parts: JobParts<'_>) -> Jobs {
    let JobParts {
        settings,
        background,
        metrics,
        sink,
        refused,
        limits,
        cipher,
        clock,
    } = parts;
    let mut jobs = Jobs::new(metrics.clone());
    let lease_ttl = Duration::from_secs(settings.audit.lease_ttl_secs);
    audit::spawn_jobs(
        &mut jobs,
        background,
        &settings.audit,
        metrics.clone(),
        sink.clone(),
        refused.clone(),
    );
    changes::spawn_jobs(
        &mut jobs,
        background,
        &settings.changes,
        lease_ttl,
        metrics.clone(),
    );
    context::spawn_jobs(&mut jobs, background, lease_ttl);
    courses::deadlines::spawn(
        &mut jobs,
        background,
        Arc::new(settings.clone()),
        Arc::new(cipher.clone()),
        lease_ttl,
    );
    study::jobs::spawn(
        &mut jobs,
        background,
        Arc::new(settings.clone()),
        Arc::new(cipher.clone()),
        clock.clone(),
        metrics.clone(),
        lease_ttl,
    );
    let limits = limits.clone();
    jobs.spawn_local("rate_limit_prune", Duration::from_secs(60), move || {
        limits.prune();
        std::future::ready(())
    });
    jobs
}

fn serve(
    shared: Shared,
    listener: TcpListener,
    conns: ConnectionLimit,
    extra: Extra,
    with_metrics: bool,
) -> std::io::Result<Server> {
    let settings = shared.settings.clone();
    let workers = settings.worker_count();
    // Each worker has a pool of its own, opened on its own runtime: a connection a worker
    // opened dies with that worker at shutdown, so it must never serve another worker's request.
    let per_worker = settings
        .database
        .max_connections
        .div_ceil(workers as u32)
        .max(1);
    let server = HttpServer::new(move || {
        let shared = shared.clone();
        let settings = shared.settings.clone();
        let (app, _) = App::new()
            .configure(extra)
            .into_utoipa_app()
            .app_data(shared.services.clone())
            .app_data(shared.cities.clone())
            .app_data(shared.programmes.clone())
            .app_data(shared.calendar.clone())
            .app_data(shared.fonts.clone())
            .app_data(shared.verifier.clone())
            .app_data(web::Data::from(shared.metrics.clone()))
            .app_data(web::Data::from(shared.auth.clone()))
            .data_factory(move || {
                let settings = settings.clone();
                async move { db::open(&settings, per_worker, true).await }
            })
            .configure(|c| api(c, with_metrics, Some(&shared.doc)))
            .split_for_parts();
        let spec = shared.spec.clone();
        let limit = shared.settings.json_limit_bytes;
        app.configure(|c| http::extract::configure(c, limit))
            .route(
                SPEC_PATH,
                web::get().to(move || {
                    let spec = spec.clone();
                    async move {
                        HttpResponse::Ok()
                            .content_type("application/json")
                            .body(spec)
                    }
                }),
            )
            .service(
                SwaggerUi::new("/docs/{_:.*}")
                    // No spec validation by a third-party service: the page stays on this origin.
                    .config(utoipa_swagger_ui::Config::new([SPEC_PATH]).validator_url("none")),
            )
            .service(web::redirect("/docs", "/docs/"))
            .default_service(web::to({
                let documented = shared.documented.clone();
                move |req: actix_web::HttpRequest| {
                    let answer = documented.not_found(req.path());
                    async move { Err::<HttpResponse, _>(answer) }
                }
            }))
            .wrap(from_fn(http::panic::catch))
            .wrap(from_fn(http::rate_limit::layer(shared.limits.clone())))
            .wrap(from_fn(auth::middleware::layer(
                shared.auth.clone(),
                shared.limits.clone(),
            )))
            .wrap(from_fn(audit::recorder::layer(shared.recorder.clone())))
            .wrap(from_fn(http::trace::layer(
                shared.metrics.clone(),
                shared.ips.clone(),
            )))
    })
    .on_connect(move |conn, ext| conns.on_connect(conn, ext))
    .client_request_timeout(Duration::from_secs(settings.http.request_head_timeout_secs))
    .keep_alive(Duration::from_secs(settings.http.keep_alive_secs))
    .shutdown_timeout(settings.shutdown_timeout_secs)
    .workers(workers)
    .listen(listener)?;
    Ok(server.run())
}

/// `/metrics` alone, on its own (internal) address.
fn serve_metrics(metrics: Arc<Metrics>, listener: TcpListener) -> std::io::Result<Server> {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::from(metrics.clone()))
            .service(operations::routes::metrics)
            .default_service(web::to(http::not_found))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?;
    Ok(server.run())
}
