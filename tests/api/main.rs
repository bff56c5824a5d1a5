//! Integration tests through real HTTP, on SQLite and (with `SAFETRAIN_TEST_POSTGRES_URL`) PostgreSQL.
mod audit;
mod auth;
mod architecture;
mod changes;
mod cities;
mod cli;
mod contract;
mod helpers;
mod institutions;
mod hardening;
mod jobs;
mod operations;
mod registry;
