//! The audit log: one record per `/api/v1` request, written in the same transaction as the data
//! a write changes (or by a batch writer for everything else), linked into a hash chain by a
//! background sealer, verifiable, and purged after retention. The endpoints that read it are
//! the `audit_logs` resource.
pub mod bodies;
pub mod chain;
pub mod entity;
pub mod recorder;
pub mod refused;
pub mod sanitize;
pub mod seal;
pub mod verify;
pub mod writer;

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;

pub use recorder::{AuditContext, Recorder};
pub use writer::AuditSink;

use crate::config::AuditSettings;
use crate::jobs::{Jobs, Step};
use crate::metrics::Metrics;

/// The lease of the sealer and of the purge.
pub const SEAL_LEASE: &str = "audit_sealer";
pub const PURGE_LEASE: &str = "audit_purge";

/// Starts the sealer, the purge and the flushing of counted refusals.
pub fn spawn_jobs(
    jobs: &mut Jobs,
    db: &DatabaseConnection,
    settings: &AuditSettings,
    metrics: Arc<Metrics>,
    sink: AuditSink,
    refused: Arc<Refused>,
) {
    let lease_ttl = Duration::from_secs(settings.lease_ttl_secs);
    jobs.spawn_batches(
        SEAL_LEASE,
        db.clone(),
        lease_ttl,
        Duration::from_millis(settings.seal_interval_ms),
        settings.seal_batch_size,
        metrics.audit_sealed.clone(),
        |db, batch| async move { seal::seal_batch(&db, batch).await },
    );
    let (purge_db, retention) = (db.clone(), settings.retention_days);
    jobs.spawn_leased(
        PURGE_LEASE,
        db.clone(),
        lease_ttl,
        Duration::from_secs(settings.purge_interval_secs),
        move || {
            let db = purge_db.clone();
            async move {
                match seal::purge(&db, retention, seal::PURGE_CHUNK).await {
                    Ok((n, more)) => {
                        if n > 0 {
                            tracing::info!(records = n, "purged audit records past retention");
                        }
                        if more { Step::More } else { Step::Idle }
                    }
                    Err(e) => {
                        tracing::warn!(error.chain = %crate::error::error_chain(&e), "audit purge failed");
                        Step::Idle
                    }
                }
            }
        },
    );
    jobs.spawn_local(
        "audit_refused",
        Duration::from_secs(settings.refused_window_secs),
        move || {
            let (refused, sink) = (refused.clone(), sink.clone());
            async move { refused.flush(&sink).await }
        },
    );
}

pub use refused::Refused;
