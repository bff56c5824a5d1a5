//! Schema history of safetrain. One file per change; never edit an applied migration.
pub use sea_orm_migration::prelude::*;

mod m20261129_000001_create_cities;
mod m20261129_000002_create_institutions;
mod m20261129_000003_create_audit_logs;
mod m20261129_000004_create_leases;
mod m20261129_000005_create_idempotency_keys;
mod m20261129_000006_create_audit_bodies;
mod m20261130_000007_add_audit_logs_actor_issuer;
mod m20261130_000008_create_audit_checkpoints;
mod m20261130_000009_create_change_events;
mod m20261130_000010_recreate_idempotency_keys;
mod m20261130_000011_create_cache_versions;
mod m20261130_000012_create_screening_lists;
mod m20261130_000013_create_teachers;
mod m20261130_000014_create_courses;
mod m20261130_000015_create_regulations;
mod m20261130_000016_create_course_ratings;
mod m20261130_000017_create_learners;
mod m20261130_000018_create_enrolments;
mod m20261130_000019_create_study_sessions;
mod m20261130_000020_create_quiz_attempts;
mod m20261130_000021_create_certificates;
mod m20261206_000022_create_face_check_reviews;
mod m20261206_000023_create_complaints;
mod m20261207_000024_create_announcements;
mod m20261207_000025_create_filing_profile;
mod m20261207_000026_create_complaint_attachments;
mod m20261207_000027_create_discussions;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_create_cities::Migration),
            Box::new(m20261129_000002_create_institutions::Migration),
            Box::new(m20261129_000003_create_audit_logs::Migration),
            Box::new(m20261129_000004_create_leases::Migration),
            Box::new(m20261129_000005_create_idempotency_keys::Migration),
            Box::new(m20261129_000006_create_audit_bodies::Migration),
            Box::new(m20261130_000007_add_audit_logs_actor_issuer::Migration),
            Box::new(m20261130_000008_create_audit_checkpoints::Migration),
            Box::new(m20261130_000009_create_change_events::Migration),
            Box::new(m20261130_000010_recreate_idempotency_keys::Migration),
            Box::new(m20261130_000011_create_cache_versions::Migration),
            Box::new(m20261130_000012_create_screening_lists::Migration),
            Box::new(m20261130_000013_create_teachers::Migration),
            Box::new(m20261130_000014_create_courses::Migration),
            Box::new(m20261130_000015_create_regulations::Migration),
            Box::new(m20261130_000016_create_course_ratings::Migration),
            Box::new(m20261130_000017_create_learners::Migration),
            Box::new(m20261130_000018_create_enrolments::Migration),
            Box::new(m20261130_000019_create_study_sessions::Migration),
            Box::new(m20261130_000020_create_quiz_attempts::Migration),
            Box::new(m20261130_000021_create_certificates::Migration),
            Box::new(m20261206_000022_create_face_check_reviews::Migration),
            Box::new(m20261206_000023_create_complaints::Migration),
            Box::new(m20261207_000024_create_announcements::Migration),
            Box::new(m20261207_000025_create_filing_profile::Migration),
            Box::new(m20261207_000026_create_complaint_attachments::Migration),
            Box::new(m20261207_000027_create_discussions::Migration),
        ]
    }
}
