//! What every handler shares.
use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::audit::AuditSink;
use crate::auth::Authenticator;
use crate::cities::Catalog;
use crate::config::Settings;
use crate::crypto::DataCipher;
use crate::http::rate_limit::RateLimits;
use crate::metrics::Metrics;

pub struct AppState {
    pub db: DatabaseConnection,
    pub cities: Catalog,
    pub settings: Arc<Settings>,
    pub auth: Arc<Authenticator>,
    pub cipher: DataCipher,
    pub audit: AuditSink,
    pub metrics: Arc<Metrics>,
    pub limits: Arc<RateLimits>,
}
