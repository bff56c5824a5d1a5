//! Logs: JSON lines through tracing, one span per request. Set up once per process.
use tracing_subscriber::{EnvFilter, fmt};

/// The default filter: our spans at info, the database drivers only when they warn.
pub const DEFAULT_FILTER: &str =
    "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn,actix_server=warn";

/// Installs the JSON subscriber; `RUST_LOG` overrides the filter. Safe to call twice.
pub fn init(default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let _ = fmt()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
