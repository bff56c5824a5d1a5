use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261130_000018_create_enrolments::Enrolments;

/// Study sessions (one open per learner), how far each courseware has been credited, and the
/// face checks of the sessions.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StudySessions::Table)
                    .if_not_exists()
                    .col(uuid(StudySessions::Id).primary_key())
                    .col(uuid(StudySessions::EnrolmentId))
                    .col(uuid(StudySessions::LearnerId))
                    .col(uuid(StudySessions::CourseId))
                    .col(integer(StudySessions::VersionNumber))
                    .col(uuid(StudySessions::CoursewareId))
                    .col(uuid(StudySessions::InstitutionId))
                    .col(string_len(StudySessions::CityCode, 6))
                    // open | paused | suspended | ended
                    .col(string_len(StudySessions::Status, 16))
                    .col(timestamp_with_time_zone(StudySessions::StartedAt))
                    .col(timestamp_with_time_zone_null(StudySessions::EndedAt))
                    .col(string_len_null(StudySessions::EndReason, 32))
                    .col(string_len(StudySessions::ClientIp, 64))
                    .col(string_len(StudySessions::UserAgent, 500))
                    .col(timestamp_with_time_zone(StudySessions::LastHeartbeatAt))
                    .col(integer(StudySessions::LastPosition))
                    .col(integer(StudySessions::CreditedSeconds))
                    // When the next face check falls due, and since when one is due unanswered.
                    .col(timestamp_with_time_zone(StudySessions::NextCheckAt))
                    .col(timestamp_with_time_zone_null(StudySessions::CheckDueSince))
                    .col(timestamp_with_time_zone_null(
                        StudySessions::LastGoodCheckAt,
                    ))
                    .col(integer(StudySessions::FailedChecks))
                    .col(integer(StudySessions::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_study_sessions_enrolment")
                            .from(StudySessions::Table, StudySessions::EnrolmentId)
                            .to(Enrolments::Table, Enrolments::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_study_sessions_learner_status")
                    .table(StudySessions::Table)
                    .col(StudySessions::LearnerId)
                    .col(StudySessions::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_study_sessions_status_heartbeat")
                    .table(StudySessions::Table)
                    .col(StudySessions::Status)
                    .col(StudySessions::LastHeartbeatAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CoursewareProgress::Table)
                    .if_not_exists()
                    .col(uuid(CoursewareProgress::EnrolmentId))
                    .col(uuid(CoursewareProgress::CoursewareId))
                    // Seconds of the courseware credited from its start: content counts once.
                    .col(integer(CoursewareProgress::Frontier))
                    .col(integer(CoursewareProgress::DurationSeconds))
                    .col(timestamp_with_time_zone(CoursewareProgress::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(CoursewareProgress::EnrolmentId)
                            .col(CoursewareProgress::CoursewareId),
                    )
                    .to_owned(),
            )
            .await?;
        // Every face check: asked, answered (or missed), the capture (an encrypted object in
        // the blob store) and the verifier's result. Append-only but for the one answer.
        manager
            .create_table(
                Table::create()
                    .table(FaceChecks::Table)
                    .if_not_exists()
                    .col(uuid(FaceChecks::Id).primary_key())
                    .col(uuid(FaceChecks::SessionId))
                    .col(uuid(FaceChecks::LearnerId))
                    .col(timestamp_with_time_zone(FaceChecks::DueSince))
                    .col(timestamp_with_time_zone(FaceChecks::AnsweredAt))
                    // passed | failed | missed | pending_review
                    .col(string_len(FaceChecks::Result, 16))
                    .col(integer_null(FaceChecks::ScorePermille))
                    .col(string_len(FaceChecks::Verifier, 16))
                    .col(string_len_null(FaceChecks::CaptureKey, 200))
                    .col(string_len_null(FaceChecks::CaptureSha256, 64))
                    .col(string_len_null(FaceChecks::MediaType, 32))
                    .col(uuid(FaceChecks::InstitutionId))
                    .col(string_len(FaceChecks::CityCode, 6))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_face_checks_session")
                            .from(FaceChecks::Table, FaceChecks::SessionId)
                            .to(StudySessions::Table, StudySessions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // An institution reviewer's decision on a suspended session: kept, never changed.
        manager
            .create_table(
                Table::create()
                    .table(SessionReviews::Table)
                    .if_not_exists()
                    .col(uuid(SessionReviews::Id).primary_key())
                    .col(uuid(SessionReviews::SessionId))
                    // resume | end
                    .col(string_len(SessionReviews::Decision, 16))
                    .col(text(SessionReviews::Reason))
                    .col(string_len(SessionReviews::ActorSubject, 255))
                    .col(string_len(SessionReviews::ActorRole, 32))
                    .col(timestamp_with_time_zone(SessionReviews::DecidedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_session_reviews_session")
                            .from(SessionReviews::Table, SessionReviews::SessionId)
                            .to(StudySessions::Table, StudySessions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_face_checks_session")
                    .table(FaceChecks::Table)
                    .col(FaceChecks::SessionId)
                    .col(FaceChecks::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SessionReviews::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(FaceChecks::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CoursewareProgress::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(StudySessions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum StudySessions {
    Table,
    Id,
    EnrolmentId,
    LearnerId,
    CourseId,
    VersionNumber,
    CoursewareId,
    InstitutionId,
    CityCode,
    Status,
    StartedAt,
    EndedAt,
    EndReason,
    ClientIp,
    UserAgent,
    LastHeartbeatAt,
    LastPosition,
    CreditedSeconds,
    NextCheckAt,
    CheckDueSince,
    LastGoodCheckAt,
    FailedChecks,
    Version,
}

#[derive(DeriveIden)]
pub enum CoursewareProgress {
    Table,
    EnrolmentId,
    CoursewareId,
    Frontier,
    DurationSeconds,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum FaceChecks {
    Table,
    Id,
    SessionId,
    LearnerId,
    DueSince,
    AnsweredAt,
    Result,
    ScorePermille,
    Verifier,
    CaptureKey,
    CaptureSha256,
    MediaType,
    InstitutionId,
    CityCode,
}

#[derive(DeriveIden)]
pub enum SessionReviews {
    Table,
    Id,
    SessionId,
    Decision,
    Reason,
    ActorSubject,
    ActorRole,
    DecidedAt,
}
