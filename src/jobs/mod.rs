//! Background jobs: periodic work, run where it must be by one replica at a time under a
//! database lease, stopped by a cancellation token and joined at shutdown. The audit sealer and
//! purge, the change-feed sequencer, the idempotency-key purge and the rate-limit pruner are
//! jobs; every later periodic task is one more.
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::db::lease;
use crate::metrics::Metrics;

/// What one run of a job found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Nothing (more) to do: wait for the next interval.
    Idle,
    /// A full batch was done and more may wait: renew the lease and run again at once.
    More,
}

/// The running jobs of one process.
pub struct Jobs {
    set: JoinSet<()>,
    cancel: CancellationToken,
    holder: String,
    metrics: Arc<Metrics>,
}

impl Jobs {
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Self {
            set: JoinSet::new(),
            cancel: CancellationToken::new(),
            holder: uuid::Uuid::now_v7().to_string(),
            metrics,
        }
    }

    /// Runs `step` every `interval` in this process (work of this process alone: flushing its
    /// counters, pruning its memory).
    pub fn spawn_local<F, Fut>(&mut self, name: &'static str, interval: Duration, mut step: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let cancel = self.cancel.clone();
        let steps = self.metrics.job_steps.with_label_values(&[name]);
        let span = tracing::info_span!("job", job = name);
        self.set.spawn(
            async move {
                loop {
                    steps.inc();
                    step().await;
                    if sleep_or_cancel(&cancel, interval).await {
                        break;
                    }
                }
                tracing::debug!(job = name, "job stopped");
            }
            .instrument(span),
        );
    }

    /// Runs `step` every `interval` while this process holds the lease `name` (taken when free
    /// or expired, renewed before every step, so a long backlog keeps it; given up on stop).
    pub fn spawn_leased<F, Fut>(
        &mut self,
        name: &'static str,
        db: DatabaseConnection,
        lease_ttl: Duration,
        interval: Duration,
        mut step: F,
    ) where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = Step> + Send,
    {
        let cancel = self.cancel.clone();
        let holder = self.holder.clone();
        let steps = self.metrics.job_steps.with_label_values(&[name]);
        let ttl = chrono::Duration::from_std(lease_ttl).unwrap_or(chrono::Duration::seconds(15));
        let span = tracing::info_span!("job", job = name);
        self.set.spawn(
            async move {
            loop {
                loop {
                    match lease::try_acquire(&db, name, &holder, ttl).await {
                        Ok(true) => {}
                        Ok(false) => break,
                        Err(e) => {
                            tracing::warn!(job = name, error.chain = %crate::error::error_chain(&e), "lease check failed");
                            break;
                        }
                    }
                    steps.inc();
                    if step().await == Step::Idle || cancel.is_cancelled() {
                        break;
                    }
                    tokio::task::yield_now().await;
                }
                if sleep_or_cancel(&cancel, interval).await {
                    break;
                }
            }
            // A replica that stops hands the work on at once rather than after the lease's TTL.
            if let Err(e) = lease::release(&db, name, &holder).await {
                tracing::warn!(job = name, error.chain = %crate::error::error_chain(&e), "releasing the lease failed");
            }
            tracing::debug!(job = name, "job stopped");
        }
            .instrument(span),
        );
    }

    /// Runs `work(db, batch)` under the lease `name`: a full batch means more may wait (run again
    /// at once, the lease renewed), fewer means rest until `interval`. Each item done counts in
    /// `done`; a failure is logged and waits for the next interval.
    #[allow(clippy::too_many_arguments)]
    pub fn spawn_batches<F, Fut>(
        &mut self,
        name: &'static str,
        db: DatabaseConnection,
        lease_ttl: Duration,
        interval: Duration,
        batch: u64,
        done: prometheus::IntCounter,
        work: F,
    ) where
        F: Fn(DatabaseConnection, u64) -> Fut + Send + 'static,
        Fut: Future<Output = Result<u64, sea_orm::DbErr>> + Send,
    {
        let step_db = db.clone();
        self.spawn_leased(name, db, lease_ttl, interval, move || {
            let (run, done) = (work(step_db.clone(), batch), done.clone());
            async move {
                match run.await {
                    Ok(n) => {
                        done.inc_by(n);
                        if n < batch { Step::Idle } else { Step::More }
                    }
                    Err(e) => {
                        tracing::warn!(job = name, error.chain = %crate::error::error_chain(&e), "batch failed");
                        Step::Idle
                    }
                }
            }
        });
    }

    /// Stops every job and waits for each to finish its current step.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        while self.set.join_next().await.is_some() {}
    }
}

/// Sleeps for `interval`; answers true when cancelled meanwhile.
async fn sleep_or_cancel(cancel: &CancellationToken, interval: Duration) -> bool {
    tokio::select! {
        _ = cancel.cancelled() => true,
        _ = tokio::time::sleep(interval) => false,
    }
}
