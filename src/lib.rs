//! safetrain: the REST API of the Guangdong work-safety qualification online training platform.
//!
//! Platform layers, lowest first: `config`, `error`, `metrics`, `telemetry`, `crypto`,
//! `domain`, `db`, `http`, `auth`, `jobs`, `audit`, `changes`, `context`. Resource modules
//! (`cities`, `institutions`, `audit_logs`, `sharing`, `operations`) sit on top, and `startup`
//! composes them. No module imports one above it (a test checks for cycles).
#![deny(clippy::self_named_module_files)]

/// Announcements: written in scope, approved by another, published.
pub mod announcements;
/// The audit log: recorder, batch writer, hash chain, sealer and purge.
pub mod audit;
/// The audit log's endpoints (list, verify).
pub mod audit_logs;
/// Bearer tokens, roles, tenant scope and policies.
pub mod auth;
/// The blob store: files kept outside the database, streamed in with their hash.
pub mod blobs;
/// Change events and the sequencer that gives them feed positions.
pub mod changes;
/// City modules and their fixtures.
pub mod cities;
/// The command line.
pub mod cli;
/// The time study rules run on.
pub mod clock;
/// Complaints, appeals and suggestions, handled on deadlines in working time.
pub mod complaints;
/// Layered settings.
pub mod config;
/// The request context and the one write path (audit record, change events, idempotency).
pub mod context;
/// Courses, courseware, reviews and the course lifecycle.
pub mod courses;
/// Encryption of personal data and key files.
pub mod crypto;
/// Connection, migrations, write transactions, constraints, paging and leases.
pub mod db;
/// The course discussion space: threads, replies, reports and moderation.
pub mod discussions;
/// Validated values shared by every resource, and sensitivity declared on types.
pub mod domain;
/// Programmes, enrolments and the hours ledger.
pub mod enrolments;
/// The error type, its codes and problem+json.
pub mod error;
/// The platform's filing profile, its management documents and the filing report.
pub mod filing;
/// Cross-cutting HTTP pieces.
pub mod http;
/// Training institutions and the public registry.
pub mod institutions;
/// Background jobs under leases.
pub mod jobs;
/// Learners, their consents and their local sign-in.
pub mod learners;
/// Facts about uploaded media, read from the files.
pub mod media;
/// Prometheus metrics.
pub mod metrics;
/// The OpenAPI document's frame.
pub mod openapi;
/// Liveness, readiness and metrics endpoints.
pub mod operations;
/// Learners' ratings of courses and the low-satisfaction flags.
pub mod ratings;
/// Code tables of training (categories, the special-operation catalogue, training types).
pub mod reference;
/// Regulations courses rest on, and their update deadlines.
pub mod regulations;
/// Reports regulators file (the course catalogue).
pub mod reports;
/// Prohibited-content screening: the term lists and the matcher every text goes through.
pub mod screening;
/// The change feed for the provincial supervision platform.
pub mod sharing;
pub mod startup;
/// Server construction.
/// Study sessions, heartbeats, face checks.
pub mod study;
/// Teachers (师资) of training institutions, with their photos.
pub mod teachers;
/// Logging.
pub mod telemetry;
