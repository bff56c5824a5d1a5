//! Database connection (SQLite in WAL mode or PostgreSQL), migrations, write transactions,
//! unique constraints, keyset paging and leases.
pub mod bulk;
pub mod constraint;
pub mod lease;
pub mod page;

use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::config::Settings;

/// Opens a pool of up to `max_connections`; creates the data dir for an embedded SQLite file.
/// A `lazy` pool connects on first use (the per-worker pools of the server).
pub async fn open(
    settings: &Settings,
    max_connections: u32,
    lazy: bool,
) -> Result<DatabaseConnection, DbErr> {
    let url = settings.database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&settings.data_dir)
            .map_err(|e| DbErr::Custom(format!("creating {}: {e}", settings.data_dir.display())))?;
    }
    crate::crypto::install_tls_provider();
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections)
        .min_connections(if lazy { 0 } else { 1 })
        .connect_lazy(lazy)
        .connect_timeout(Duration::from_secs(settings.database.connect_timeout_secs))
        .acquire_timeout(Duration::from_secs(settings.database.connect_timeout_secs))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    Database::connect(options).await
}

/// The pool of the main runtime: start-up, background jobs and the command line.
pub async fn connect(settings: &Settings) -> Result<DatabaseConnection, DbErr> {
    open(settings, settings.database.max_connections, false).await
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Starts a transaction that will write. On SQLite it takes the write lock up front
/// (`BEGIN IMMEDIATE`), so a read-then-write transaction never fails to upgrade its lock.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let mut options = TransactionOptions::default();
    if db.get_database_backend() == DbBackend::Sqlite {
        options.sqlite_transaction_mode = Some(SqliteTransactionMode::Immediate);
    }
    db.begin_with_options(options).await
}

/// Starts a read-only transaction that sees one snapshot throughout (REPEATABLE READ on
/// PostgreSQL; on SQLite in WAL mode a read transaction keeps its snapshot by itself).
pub async fn begin_snapshot(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.begin_with_config(
            Some(sea_orm::IsolationLevel::RepeatableRead),
            Some(sea_orm::AccessMode::ReadOnly),
        )
        .await
    } else {
        db.begin().await
    }
}

/// A round trip to the database.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(|_| ())
}

/// Now, truncated to microseconds so that both backends store and return the same instant.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}
