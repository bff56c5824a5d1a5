use sea_orm_migration::{prelude::*, schema::*};

/// Complaints, appeals and suggestions (投诉、申诉、建议), and every step of their handling.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Complaints::Table)
                    .if_not_exists()
                    .col(uuid(Complaints::Id).primary_key())
                    .col(string_len(Complaints::Number, 32).unique_key())
                    // complaint | appeal | suggestion
                    .col(string_len(Complaints::Kind, 16))
                    // platform | institution | course | study_session | certificate
                    .col(string_len(Complaints::TargetType, 16))
                    .col(uuid_null(Complaints::TargetId))
                    // Whose it is to answer: the target's institution and city (none: the
                    // platform's desk).
                    .col(uuid_null(Complaints::InstitutionId))
                    .col(string_len_null(Complaints::CityCode, 6))
                    .col(string_len(Complaints::Title, 200))
                    .col(text(Complaints::Content))
                    // The filer's contact details, encrypted.
                    .col(text(Complaints::ContactNameEnc))
                    .col(text_null(Complaints::ContactPhoneEnc))
                    .col(text_null(Complaints::ContactEmailEnc))
                    .col(uuid_null(Complaints::FilerLearnerId))
                    // A filer without an account follows it with a code kept only as a hash.
                    .col(string_len_null(Complaints::TrackingHash, 64))
                    .col(integer(Complaints::TrackingFailures))
                    .col(timestamp_with_time_zone_null(
                        Complaints::TrackingLockedUntil,
                    ))
                    // submitted | accepted | rejected | in_progress | answered | closed | escalated
                    .col(string_len(Complaints::Status, 16))
                    .col(text_null(Complaints::ScreeningHits))
                    .col(timestamp_with_time_zone(Complaints::FirstAnswerDue))
                    .col(timestamp_with_time_zone(Complaints::ResolveDue))
                    .col(boolean(Complaints::DeadlineEstimated))
                    .col(timestamp_with_time_zone_null(Complaints::FirstAnsweredAt))
                    .col(timestamp_with_time_zone_null(Complaints::ResolvedAt))
                    .col(timestamp_with_time_zone_null(Complaints::AnsweredAt))
                    .col(timestamp_with_time_zone_null(Complaints::ReopenedAt))
                    .col(timestamp_with_time_zone_null(Complaints::EscalatedAt))
                    .col(timestamp_with_time_zone(Complaints::CreatedAt))
                    .col(timestamp_with_time_zone(Complaints::UpdatedAt))
                    .col(integer(Complaints::Version))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ComplaintEvents::Table)
                    .if_not_exists()
                    .col(uuid(ComplaintEvents::Id).primary_key())
                    .col(uuid(ComplaintEvents::ComplaintId))
                    .col(string_len(ComplaintEvents::Action, 16))
                    .col(string_len(ComplaintEvents::FromStatus, 16))
                    .col(string_len(ComplaintEvents::ToStatus, 16))
                    .col(text_null(ComplaintEvents::Message))
                    // Shown to the filer (an internal note is not).
                    .col(boolean(ComplaintEvents::Public))
                    // staff | filer
                    .col(string_len(ComplaintEvents::ActorKind, 8))
                    .col(string_len_null(ComplaintEvents::ActorSubject, 255))
                    .col(string_len_null(ComplaintEvents::ActorRole, 32))
                    .col(timestamp_with_time_zone(ComplaintEvents::At))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_complaint_events_complaint")
                            .from(ComplaintEvents::Table, ComplaintEvents::ComplaintId)
                            .to(Complaints::Table, Complaints::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_complaint_events_complaint")
                    .table(ComplaintEvents::Table)
                    .col(ComplaintEvents::ComplaintId)
                    .col(ComplaintEvents::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_complaints_institution")
                    .table(Complaints::Table)
                    .col(Complaints::InstitutionId)
                    .col(Complaints::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ComplaintEvents::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Complaints::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Complaints {
    Table,
    Id,
    Number,
    Kind,
    TargetType,
    TargetId,
    InstitutionId,
    CityCode,
    Title,
    Content,
    ContactNameEnc,
    ContactPhoneEnc,
    ContactEmailEnc,
    FilerLearnerId,
    TrackingHash,
    TrackingFailures,
    TrackingLockedUntil,
    Status,
    ScreeningHits,
    FirstAnswerDue,
    ResolveDue,
    DeadlineEstimated,
    FirstAnsweredAt,
    ResolvedAt,
    AnsweredAt,
    ReopenedAt,
    EscalatedAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
pub enum ComplaintEvents {
    Table,
    Id,
    ComplaintId,
    Action,
    FromStatus,
    ToStatus,
    Message,
    Public,
    ActorKind,
    ActorSubject,
    ActorRole,
    At,
}
