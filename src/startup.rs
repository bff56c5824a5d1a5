//! Building and running the server.
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use sea_orm::DatabaseConnection;
use tokio::task::JoinHandle;
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_swagger_ui::SwaggerUi;

use crate::audit::{self, AuditSink};
use crate::auth::{self, Authenticator};
use crate::config::Settings;
use crate::crypto::DataCipher;
use crate::http::{self, health, rate_limit::RateLimits};
use crate::metrics::Metrics;
use crate::state::AppState;
use crate::{cities, db, institutions, openapi};

/// Every documented route: operations at the root, the API under `/api/v1`.
pub fn api(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .route("/healthz", http::allow("GET"))
        .route("/readyz", http::allow("GET"))
        .route("/metrics", http::allow("GET"))
        .service(
            utoipa_actix_web::scope::scope("/api/v1")
                .configure(cities::configure)
                .configure(institutions::configure)
                .configure(audit::configure),
        );
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

pub struct Application {
    port: u16,
    server: Server,
    sink: AuditSink,
    writer: JoinHandle<()>,
    stop_writer: tokio::sync::oneshot::Sender<()>,
    sealer: JoinHandle<()>,
    db: DatabaseConnection,
    background: DatabaseConnection,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        Self::build_with(settings, |_| {}).await
    }

    pub async fn build_with(settings: Settings, extra: Extra) -> Result<Self, StartError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let db = db::connect(&settings).await?;
        db::migrate(&db).await?;
        let cities = cities::Catalog::load(&db).await?;
        let metrics = Arc::new(Metrics::new().map_err(|e| StartError::Setup(e.to_string()))?);
        let auth = Arc::new(Authenticator::from_settings(&settings).map_err(StartError::Setup)?);
        let cipher = DataCipher::from_settings(&settings).map_err(StartError::Setup)?;
        // Background tasks get a pool of their own, opened on this runtime: connections a
        // request pool opens on a server worker's runtime die with that worker at shutdown,
        // and the final flush of the audit queue must still reach the database then.
        let background = db::connect_background(&settings).await?;
        let (stop_writer, stopped) = tokio::sync::oneshot::channel();
        let (sink, writer) = AuditSink::spawn(
            background.clone(),
            &settings.audit,
            metrics.clone(),
            stopped,
        );
        let sealer = tokio::spawn(audit::chain::run_sealer(
            background.clone(),
            uuid::Uuid::now_v7().to_string(),
            Duration::from_millis(settings.audit.seal_interval_ms),
            Duration::from_secs(settings.audit.lease_ttl_secs),
            settings.audit.retention_days,
            metrics.clone(),
        ));
        let limits = RateLimits::new(&settings.rate_limit);
        spawn_pruner(limits.clone());
        let listener = TcpListener::bind(&settings.listen)?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(AppState {
            db: db.clone(),
            cities,
            settings: Arc::new(settings),
            auth,
            cipher,
            audit: sink.clone(),
            metrics,
            limits,
        });
        let server = serve(state, listener, extra)?;
        Ok(Self {
            port,
            server,
            sink,
            writer,
            stop_writer,
            sealer,
            db,
            background,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Stops the server (gracefully with `graceful`), as SIGTERM does.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/SIGINT, then writes every queued audit record before returning.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        drop(self.sink);
        let _ = self.stop_writer.send(());
        let _ = self.writer.await;
        self.sealer.abort();
        let _ = audit::chain::seal_batch(&self.background).await;
        self.background.close_by_ref().await.ok();
        self.db.close_by_ref().await.ok();
        result
    }
}

fn serve(
    state: web::Data<AppState>,
    listener: TcpListener,
    extra: Extra,
) -> std::io::Result<Server> {
    let settings = state.settings.clone();
    let limit = settings.json_limit_bytes;
    let spec = web::Bytes::from(openapi::document_json());
    let mut server = HttpServer::new(move || {
        let (app, _) = App::new()
            .configure(extra)
            .into_utoipa_app()
            .openapi(openapi::ApiDoc::openapi_with_version())
            .app_data(state.clone())
            .configure(api)
            .split_for_parts();
        let spec = spec.clone();
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
            .default_service(web::to(http::not_found))
            .wrap(from_fn(http::panic::catch))
            .wrap(from_fn(http::rate_limit::limit))
            .wrap(from_fn(auth::middleware::authenticate))
            .wrap(from_fn(audit::recorder::record))
            .wrap(from_fn(http::request_id::trace))
    })
    .shutdown_timeout(settings.shutdown_timeout_secs)
    .listen(listener)?;
    if settings.workers > 0 {
        server = server.workers(settings.workers);
    }
    Ok(server.run())
}

fn spawn_pruner(limits: Arc<RateLimits>) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(60)).await;
            limits.prune();
        }
    });
}
