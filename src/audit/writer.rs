//! The batch writer: audit records of reads and refused requests, written off the request path.
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{DatabaseConnection, DbErr, EntityTrait};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::bodies::{Detached, Recent};
use super::entity;
use crate::config::AuditSettings;
use crate::metrics::Metrics;

/// How long a request waits for room in a full queue before its record counts as lost.
const SUBMIT_TIMEOUT: Duration = Duration::from_secs(5);
/// Tries to write one batch at shutdown before its records count as lost.
const SHUTDOWN_TRIES: u32 = 5;

/// One record on its way to the database, with the large bodies it points at.
pub struct Pending {
    pub record: entity::ActiveModel,
    pub bodies: Detached,
}

/// The sending side, cloned into every worker.
#[derive(Clone)]
pub struct AuditSink {
    tx: mpsc::Sender<Pending>,
    metrics: Arc<Metrics>,
}

impl AuditSink {
    /// Starts the writer task; it ends once every sink is dropped and the queue is written.
    pub fn spawn(
        db: DatabaseConnection,
        settings: &AuditSettings,
        metrics: Arc<Metrics>,
        shutdown: oneshot::Receiver<()>,
    ) -> (Self, JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(settings.queue_capacity);
        let writer = Writer {
            db,
            rx,
            metrics: metrics.clone(),
            batch_size: settings.batch_size,
            interval: Duration::from_millis(settings.flush_interval_ms),
            recent: Recent::default(),
        };
        (Self { tx, metrics }, tokio::spawn(writer.run(shutdown)))
    }

    /// Queues a record from code that cannot wait (a body finishing its stream): at once when
    /// there is room, otherwise from a task that waits for room like [`Self::submit`].
    pub fn submit_now(&self, record: Pending) {
        // Counted as queued before it is, so the writer never sees depth below zero.
        self.metrics.audit_queue_depth.inc();
        match self.tx.try_send(record) {
            Ok(()) => self.metrics.audit_enqueued.inc(),
            Err(mpsc::error::TrySendError::Full(record)) => {
                self.metrics.audit_queue_depth.dec();
                let sink = self.clone();
                tokio::spawn(async move { sink.submit(record).await });
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.metrics.audit_queue_depth.dec();
                self.metrics.audit_lost.inc();
                tracing::error!("audit record lost: the queue is closed");
            }
        }
    }

    /// Queues a record, waiting for room if the queue is full; a record that cannot be queued is counted as lost.
    pub async fn submit(&self, record: Pending) {
        self.metrics.audit_enqueued.inc();
        self.metrics.audit_queue_depth.inc();
        if self.tx.send_timeout(record, SUBMIT_TIMEOUT).await.is_err() {
            self.metrics.audit_queue_depth.dec();
            self.metrics.audit_lost.inc();
            tracing::error!("audit record lost: the queue stayed full or closed");
        }
    }
}

struct Writer {
    db: DatabaseConnection,
    rx: mpsc::Receiver<Pending>,
    metrics: Arc<Metrics>,
    batch_size: usize,
    interval: Duration,
    recent: Recent,
}

impl Writer {
    async fn run(mut self, mut shutdown: oneshot::Receiver<()>) {
        let mut batch = Vec::with_capacity(self.batch_size);
        let mut stopping = false;
        loop {
            let mut deadline: Option<Instant> = None;
            let mut ended = false;
            while batch.len() < self.batch_size {
                let wait = async {
                    match deadline {
                        Some(at) => tokio::time::sleep_until(at).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    record = self.rx.recv() => match record {
                        Some(record) => {
                            deadline.get_or_insert_with(|| Instant::now() + self.interval);
                            batch.push(record);
                        }
                        None => {
                            ended = true;
                            break;
                        }
                    },
                    // The server has stopped: refuse new records, then drain what is queued.
                    _ = &mut shutdown, if !stopping => {
                        stopping = true;
                        self.rx.close();
                    }
                    _ = wait => break,
                }
            }
            self.flush(&mut batch, stopping || ended).await;
            if ended {
                break;
            }
        }
    }

    /// Writes the batch, retrying with back-off while the database is down. When the database
    /// answers but refuses the batch, one record in it is at fault: the records are then written
    /// one by one so a single bad record cannot hold up the queue, and a record the database
    /// refuses on its own is counted as lost. At shutdown it gives up after a few tries and
    /// counts the records as lost.
    async fn flush(&mut self, batch: &mut Vec<Pending>, shutting_down: bool) {
        if batch.is_empty() {
            return;
        }
        let n = batch.len() as u64;
        let mut delay = Duration::from_millis(200);
        let mut tries = 0;
        loop {
            tries += 1;
            let e = match self.write(batch).await {
                Ok(_) => {
                    // Records written one by one in an earlier try are counted already.
                    self.metrics.audit_written.inc_by(batch.len() as u64);
                    break;
                }
                Err(e) => e,
            };
            tracing::warn!(error.chain = %crate::error::error_chain(&e), records = batch.len(), "audit batch write failed");
            if crate::db::ping(&self.db).await.is_ok() && self.write_one_by_one(batch).await {
                break;
            }
            if shutting_down && tries >= SHUTDOWN_TRIES {
                self.metrics.audit_lost.inc_by(batch.len() as u64);
                tracing::error!(error.chain = %crate::error::error_chain(&e), records = batch.len(), "audit batch lost at shutdown");
                break;
            }
            tracing::warn!(
                records = batch.len(),
                "database unreachable; retrying the audit batch"
            );
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(10));
        }
        self.metrics.audit_queue_depth.sub(n as i64);
        batch.clear();
    }

    /// Stores the batch's large bodies (each once, skipping those this writer stored lately),
    /// then its records.
    async fn write(&mut self, batch: &[Pending]) -> Result<(), DbErr> {
        let recent = &self.recent;
        let bodies = batch
            .iter()
            .flat_map(|p| p.bodies.iter())
            .filter(|(sha, _)| !recent.is_fresh(sha));
        super::bodies::store(&self.db, bodies).await?;
        entity::Entity::insert_many(batch.iter().map(|p| p.record.clone()))
            .exec_without_returning(&self.db)
            .await?;
        self.recent.remember(
            batch
                .iter()
                .flat_map(|p| p.bodies.iter())
                .map(|(sha, _)| sha),
        );
        Ok(())
    }

    /// Writes each record on its own, keeping in `batch` only those not yet written. Answers
    /// `false` when the database stopped answering part-way (the rest is retried as a batch).
    async fn write_one_by_one(&mut self, batch: &mut Vec<Pending>) -> bool {
        let mut done = 0;
        let mut reachable = true;
        for pending in batch.iter() {
            match self.write(std::slice::from_ref(pending)).await {
                Ok(_) => self.metrics.audit_written.inc(),
                Err(_) if crate::db::ping(&self.db).await.is_err() => {
                    reachable = false;
                    break;
                }
                Err(e) => {
                    self.metrics.audit_lost.inc();
                    tracing::error!(error.chain = %crate::error::error_chain(&e), "audit record refused by the database and lost");
                }
            }
            done += 1;
        }
        batch.drain(..done);
        reachable
    }
}
