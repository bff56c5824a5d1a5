use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261130_000019_create_study_sessions::{FaceChecks, StudySessions};

/// A person's verdict on a face capture the `manual` verifier kept for review: kept, never
/// changed (one per capture), with who decided, why, and the seconds a rejection voided.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FaceCheckReviews::Table)
                    .if_not_exists()
                    .col(uuid(FaceCheckReviews::Id).primary_key())
                    .col(uuid(FaceCheckReviews::FaceCheckId).unique_key())
                    .col(uuid(FaceCheckReviews::SessionId))
                    // pass | fail
                    .col(string_len(FaceCheckReviews::Verdict, 8))
                    .col(text(FaceCheckReviews::Reason))
                    .col(integer(FaceCheckReviews::VoidedSeconds))
                    .col(string_len(FaceCheckReviews::ActorSubject, 255))
                    .col(string_len(FaceCheckReviews::ActorRole, 32))
                    .col(timestamp_with_time_zone(FaceCheckReviews::DecidedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_face_check_reviews_check")
                            .from(FaceCheckReviews::Table, FaceCheckReviews::FaceCheckId)
                            .to(FaceChecks::Table, FaceChecks::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_face_check_reviews_session")
                            .from(FaceCheckReviews::Table, FaceCheckReviews::SessionId)
                            .to(StudySessions::Table, StudySessions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // The reviewers' queue: an institution's captures waiting for a person.
        manager
            .create_index(
                Index::create()
                    .name("ix_face_checks_result")
                    .table(FaceChecks::Table)
                    .col(FaceChecks::Result)
                    .col(FaceChecks::InstitutionId)
                    .col(FaceChecks::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_face_checks_result")
                    .table(FaceChecks::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(FaceCheckReviews::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum FaceCheckReviews {
    Table,
    Id,
    FaceCheckId,
    SessionId,
    Verdict,
    Reason,
    VoidedSeconds,
    ActorSubject,
    ActorRole,
    DecidedAt,
}
