//! safetrain: the REST API of the Guangdong work-safety qualification online training platform.
#![deny(clippy::self_named_module_files)]

/// The audit log: recorder, batch writer, hash chain and its endpoints.
pub mod audit;
/// Bearer tokens, roles and tenant scope.
pub mod auth;
/// City modules and their fixtures.
pub mod cities;
/// The command line.
pub mod cli;
/// Layered settings.
pub mod config;
/// Encryption and masking of personal data.
pub mod crypto;
/// Connection, migrations, transactions and leases.
pub mod db;
/// The error type and problem+json.
pub mod error;
/// Cross-cutting HTTP pieces.
pub mod http;
/// Training institutions.
pub mod institutions;
/// Prometheus metrics.
pub mod metrics;
/// The OpenAPI document.
pub mod openapi;
/// Server construction.
pub mod startup;
/// Shared handler state.
pub mod state;
/// Logging.
pub mod telemetry;
