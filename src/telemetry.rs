//! Logs: JSON lines through tracing, one span per request. Set up once per process.
//!
//! Connections the HTTP layer refuses before the application sees a request (a malformed or
//! oversized request head) are logged by actix-http at ERROR, one line each, with no way to
//! shape its answer. A flood of them must not fill the disk: they are counted
//! (`safetrain_http_protocol_errors_total`) and summarised in at most one line a minute.
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tracing::Subscriber;
use tracing_subscriber::filter::{FilterExt, filter_fn};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, fmt};

/// The default filter: our spans at info, the database drivers only when they warn.
pub const DEFAULT_FILTER: &str =
    "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn,actix_server=warn";

/// Where actix-http logs connections it refuses.
const DISPATCHER: &str = "actix_http::h1";
const SUMMARY_EVERY: Duration = Duration::from_secs(60);

static PROTOCOL_ERRORS: AtomicU64 = AtomicU64::new(0);

/// Connections refused by the HTTP layer since start.
pub fn protocol_errors() -> u64 {
    PROTOCOL_ERRORS.load(Ordering::Relaxed)
}

/// Counts actix-http's per-connection errors and writes a summary line at most once a minute.
struct ProtocolErrors {
    last: Mutex<(Instant, u64)>,
}

impl<S: Subscriber> Layer<S> for ProtocolErrors {
    fn on_event(&self, _: &tracing::Event<'_>, _: Context<'_, S>) {
        let total = PROTOCOL_ERRORS.fetch_add(1, Ordering::Relaxed) + 1;
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if last.0.elapsed() >= SUMMARY_EVERY {
            let since = total - last.1;
            *last = (Instant::now(), total);
            drop(last);
            // Written directly: an event from inside a layer would come back through it.
            eprintln!(
                "{}",
                serde_json::json!({
                    "timestamp": chrono::Utc::now().to_rfc3339(),
                    "level": "WARN",
                    "fields": {"message": "the HTTP layer refused malformed or oversized requests", "count": since, "total": total},
                    "target": "safetrain::telemetry",
                })
            );
        }
    }
}

/// Installs the JSON subscriber; `RUST_LOG` overrides the filter. Safe to call twice.
pub fn init(default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let not_dispatcher = filter_fn(|meta| !meta.target().starts_with(DISPATCHER));
    let logs = fmt::layer()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(std::io::stderr)
        .with_filter(filter.and(not_dispatcher));
    let protocol = ProtocolErrors {
        last: Mutex::new((Instant::now() - SUMMARY_EVERY, 0)),
    }
    .with_filter(filter_fn(|meta| {
        meta.target().starts_with(DISPATCHER) && *meta.level() <= tracing::Level::WARN
    }));
    let _ = tracing_subscriber::registry()
        .with(logs)
        .with(protocol)
        .try_init();
}
