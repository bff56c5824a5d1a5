//! Integration tests through real HTTP, on SQLite and (with `SAFETRAIN_TEST_POSTGRES_URL`) PostgreSQL.
mod announcements;
mod architecture;
mod audit;
mod auth;
mod blobs;
mod changes;
mod cities;
mod cli;
mod complaints;
mod contract;
mod courses;
mod discussions;
mod enrolments;
mod filing;
mod hardening;
mod helpers;
mod institutions;
mod jobs;
mod learners;
mod operations;
mod ratings;
mod reference;
mod registry;
mod regulations;
mod reports;
mod screening;
mod simulation;
mod study;
mod teachers;
mod template;

#[global_allocator]
static ALLOCATOR: template::Tracking = template::Tracking;
