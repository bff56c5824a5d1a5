//! Prometheus metrics of the process.
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    pub audit_enqueued: IntCounter,
    pub audit_written: IntCounter,
    pub audit_lost: IntCounter,
    pub audit_queue_depth: IntGauge,
    pub audit_sealed: IntCounter,
    pub db_up: IntGauge,
    pub job_steps: IntCounterVec,
    pub changes_sequenced: IntCounter,
    pub protocol_errors: IntCounter,
    pub face_data_subjects: IntGauge,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("safetrain".into()), None)?;
        let http_requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by method, route template and status",
            ),
            &["method", "route", "status"],
        )?;
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by route template",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ]),
            &["route"],
        )?;
        let audit_enqueued = IntCounter::new(
            "audit_records_enqueued_total",
            "Audit records queued for the batch writer",
        )?;
        let audit_written = IntCounter::new(
            "audit_records_written_total",
            "Audit records written by the batch writer",
        )?;
        let audit_lost = IntCounter::new(
            "audit_records_lost_total",
            "Audit records that could not be written (queue closed, database down past the buffer, or a record the database refused)",
        )?;
        let audit_queue_depth =
            IntGauge::new("audit_queue_depth", "Audit records waiting to be written")?;
        let audit_sealed = IntCounter::new(
            "audit_records_sealed_total",
            "Audit records linked into the hash chain",
        )?;
        let db_up = IntGauge::new(
            "database_up",
            "1 when the last readiness check reached the database",
        )?;
        let job_steps = IntCounterVec::new(
            Opts::new("job_steps_total", "Steps run by each background job"),
            &["job"],
        )?;
        let changes_sequenced = IntCounter::new(
            "changes_sequenced_total",
            "Change events given their feed position",
        )?;
        let protocol_errors = IntCounter::new(
            "http_protocol_errors_total",
            "Connections the HTTP layer refused before the application saw a request (malformed or oversized request heads)",
        )?;
        let face_data_subjects = IntGauge::new(
            "face_data_subjects",
            "Learners whose face data (portrait or captures) the platform holds; a filing duty applies from 100,000",
        )?;
        registry.register(Box::new(face_data_subjects.clone()))?;
        registry.register(Box::new(job_steps.clone()))?;
        registry.register(Box::new(changes_sequenced.clone()))?;
        registry.register(Box::new(protocol_errors.clone()))?;
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(http_duration.clone()))?;
        registry.register(Box::new(audit_enqueued.clone()))?;
        registry.register(Box::new(audit_written.clone()))?;
        registry.register(Box::new(audit_lost.clone()))?;
        registry.register(Box::new(audit_queue_depth.clone()))?;
        registry.register(Box::new(audit_sealed.clone()))?;
        registry.register(Box::new(db_up.clone()))?;
        Ok(Self {
            registry,
            http_requests,
            http_duration,
            audit_enqueued,
            audit_written,
            audit_lost,
            audit_queue_depth,
            audit_sealed,
            db_up,
            job_steps,
            changes_sequenced,
            protocol_errors,
            face_data_subjects,
        })
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let seen = crate::telemetry::protocol_errors();
        self.protocol_errors
            .inc_by(seen.saturating_sub(self.protocol_errors.get()));
        let mut out = Vec::new();
        // Encoding into a Vec cannot fail for well-formed metric families.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}
