use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261129_000002_create_institutions::Institutions;
use crate::m20261130_000014_create_courses::Courses;
use crate::m20261130_000017_create_learners::Learners;

/// Enrolments of learners in programmes, each with the published course versions to study,
/// and the hours ledger.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Enrolments::Table)
                    .if_not_exists()
                    .col(uuid(Enrolments::Id).primary_key())
                    .col(uuid(Enrolments::LearnerId))
                    .col(uuid(Enrolments::InstitutionId))
                    // The learner's city: its bureau reads the enrolment.
                    .col(string_len(Enrolments::CityCode, 6))
                    .col(string_len(Enrolments::ProgrammeCode, 64))
                    .col(integer(Enrolments::RequiredTenths))
                    // active | completed
                    .col(string_len(Enrolments::Status, 16))
                    // learner id and programme while active, null after: one active
                    // enrolment per learner and programme (a unique index allows many nulls).
                    .col(string_len_null(Enrolments::ActiveKey, 120))
                    .col(timestamp_with_time_zone_null(Enrolments::CompletedAt))
                    .col(integer(Enrolments::Version))
                    .col(timestamp_with_time_zone(Enrolments::CreatedAt))
                    .col(timestamp_with_time_zone(Enrolments::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_enrolments_learner")
                            .from(Enrolments::Table, Enrolments::LearnerId)
                            .to(Learners::Table, Learners::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_enrolments_institution")
                            .from(Enrolments::Table, Enrolments::InstitutionId)
                            .to(Institutions::Table, Institutions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_enrolments_active")
                    .table(Enrolments::Table)
                    .col(Enrolments::ActiveKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("ix_enrolments_learner_id", Enrolments::LearnerId),
            ("ix_enrolments_institution_id", Enrolments::InstitutionId),
            ("ix_enrolments_city_id", Enrolments::CityCode),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Enrolments::Table)
                        .col(col)
                        .col(Enrolments::Id)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(EnrolmentCourses::Table)
                    .if_not_exists()
                    .col(uuid(EnrolmentCourses::EnrolmentId))
                    .col(uuid(EnrolmentCourses::CourseId))
                    // The published version at enrolment: what the learner studies.
                    .col(integer(EnrolmentCourses::VersionNumber))
                    .col(integer(EnrolmentCourses::Position))
                    .col(integer(EnrolmentCourses::HoursTenths))
                    .primary_key(
                        Index::create()
                            .col(EnrolmentCourses::EnrolmentId)
                            .col(EnrolmentCourses::CourseId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_enrolment_courses_enrolment")
                            .from(EnrolmentCourses::Table, EnrolmentCourses::EnrolmentId)
                            .to(Enrolments::Table, Enrolments::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_enrolment_courses_course")
                            .from(EnrolmentCourses::Table, EnrolmentCourses::CourseId)
                            .to(Courses::Table, Courses::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // The hours ledger: append-only. A correction is a new entry, never an update.
        manager
            .create_table(
                Table::create()
                    .table(StudyLedger::Table)
                    .if_not_exists()
                    .col(uuid(StudyLedger::Id).primary_key())
                    .col(uuid(StudyLedger::EnrolmentId))
                    .col(uuid(StudyLedger::LearnerId))
                    .col(uuid(StudyLedger::CourseId))
                    .col(integer(StudyLedger::VersionNumber))
                    .col(uuid(StudyLedger::CoursewareId))
                    .col(uuid_null(StudyLedger::SessionId))
                    // credit | hold | release | void | correction
                    .col(string_len(StudyLedger::Kind, 16))
                    .col(integer(StudyLedger::Seconds))
                    .col(string_len_null(StudyLedger::Reason, 32))
                    // The day in Asia/Shanghai the time was studied (daily caps).
                    .col(date(StudyLedger::Day))
                    .col(integer_null(StudyLedger::FromPosition))
                    .col(integer_null(StudyLedger::ToPosition))
                    .col(string_len_null(StudyLedger::ActorSubject, 255))
                    .col(text_null(StudyLedger::Note))
                    .col(uuid(StudyLedger::InstitutionId))
                    .col(string_len(StudyLedger::CityCode, 6))
                    .col(timestamp_with_time_zone(StudyLedger::RecordedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_study_ledger_enrolment")
                            .from(StudyLedger::Table, StudyLedger::EnrolmentId)
                            .to(Enrolments::Table, Enrolments::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_study_ledger_enrolment")
                    .table(StudyLedger::Table)
                    .col(StudyLedger::EnrolmentId)
                    .col(StudyLedger::CourseId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_study_ledger_learner_day")
                    .table(StudyLedger::Table)
                    .col(StudyLedger::LearnerId)
                    .col(StudyLedger::Day)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StudyLedger::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(EnrolmentCourses::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Enrolments::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Enrolments {
    Table,
    Id,
    LearnerId,
    InstitutionId,
    CityCode,
    ProgrammeCode,
    RequiredTenths,
    Status,
    ActiveKey,
    CompletedAt,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum EnrolmentCourses {
    Table,
    EnrolmentId,
    CourseId,
    VersionNumber,
    Position,
    HoursTenths,
}

#[derive(DeriveIden)]
pub enum StudyLedger {
    Table,
    Id,
    EnrolmentId,
    LearnerId,
    CourseId,
    VersionNumber,
    CoursewareId,
    SessionId,
    Kind,
    Seconds,
    Reason,
    Day,
    FromPosition,
    ToPosition,
    ActorSubject,
    Note,
    InstitutionId,
    CityCode,
    RecordedAt,
}
