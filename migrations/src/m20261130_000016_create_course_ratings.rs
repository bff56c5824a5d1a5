use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261130_000014_create_courses::Courses;

/// Learners' ratings of the course versions they studied, the study evidence a rating needs,
/// and the low-satisfaction flags a platform operator decides.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StudyEvidence::Table)
                    .if_not_exists()
                    .col(uuid(StudyEvidence::Id).primary_key())
                    .col(string_len(StudyEvidence::LearnerSubject, 255))
                    .col(uuid(StudyEvidence::CourseId))
                    .col(integer(StudyEvidence::VersionNumber))
                    .col(integer(StudyEvidence::Minutes))
                    .col(timestamp_with_time_zone(StudyEvidence::RecordedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_study_evidence_course")
                            .from(StudyEvidence::Table, StudyEvidence::CourseId)
                            .to(Courses::Table, Courses::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_study_evidence_learner")
                    .table(StudyEvidence::Table)
                    .col(StudyEvidence::LearnerSubject)
                    .col(StudyEvidence::CourseId)
                    .col(StudyEvidence::VersionNumber)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CourseRatings::Table)
                    .if_not_exists()
                    .col(uuid(CourseRatings::Id).primary_key())
                    .col(uuid(CourseRatings::CourseId))
                    .col(integer(CourseRatings::VersionNumber))
                    .col(string_len(CourseRatings::LearnerSubject, 255))
                    .col(small_integer(CourseRatings::Content))
                    .col(small_integer(CourseRatings::Settings))
                    .col(small_integer(CourseRatings::Teacher))
                    .col(text(CourseRatings::Comment))
                    // visible | held (a screening hit, waiting for a moderator) | removed
                    .col(string_len(CourseRatings::CommentStatus, 16))
                    .col(text_null(CourseRatings::CommentHits))
                    .col(timestamp_with_time_zone_null(CourseRatings::ModeratedAt))
                    .col(integer(CourseRatings::Version))
                    .col(timestamp_with_time_zone(CourseRatings::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_course_ratings_course")
                            .from(CourseRatings::Table, CourseRatings::CourseId)
                            .to(Courses::Table, Courses::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_course_ratings_learner")
                    .table(CourseRatings::Table)
                    .col(CourseRatings::CourseId)
                    .col(CourseRatings::VersionNumber)
                    .col(CourseRatings::LearnerSubject)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_course_ratings_course")
                    .table(CourseRatings::Table)
                    .col(CourseRatings::CourseId)
                    .col(CourseRatings::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CourseFlags::Table)
                    .if_not_exists()
                    .col(uuid(CourseFlags::Id).primary_key())
                    .col(uuid(CourseFlags::CourseId))
                    .col(integer(CourseFlags::VersionNumber))
                    .col(uuid(CourseFlags::InstitutionId))
                    .col(string_len(CourseFlags::CityCode, 6))
                    // The average (hundredths) and the number of ratings when it was raised.
                    .col(integer(CourseFlags::AverageHundredths))
                    .col(integer(CourseFlags::Ratings))
                    // open | taken_down | dismissed
                    .col(string_len(CourseFlags::Status, 16))
                    .col(text_null(CourseFlags::DecisionReason))
                    .col(string_len_null(CourseFlags::DecidedBy, 255))
                    .col(timestamp_with_time_zone_null(CourseFlags::DecidedAt))
                    .col(integer(CourseFlags::Version))
                    .col(timestamp_with_time_zone(CourseFlags::CreatedAt))
                    .col(timestamp_with_time_zone(CourseFlags::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_course_flags_course")
                            .from(CourseFlags::Table, CourseFlags::CourseId)
                            .to(Courses::Table, Courses::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_course_flags_version")
                    .table(CourseFlags::Table)
                    .col(CourseFlags::CourseId)
                    .col(CourseFlags::VersionNumber)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_course_flags_status")
                    .table(CourseFlags::Table)
                    .col(CourseFlags::Status)
                    .col(CourseFlags::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CourseFlags::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CourseRatings::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(StudyEvidence::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum StudyEvidence {
    Table,
    Id,
    LearnerSubject,
    CourseId,
    VersionNumber,
    Minutes,
    RecordedAt,
}

#[derive(DeriveIden)]
enum CourseRatings {
    Table,
    Id,
    CourseId,
    VersionNumber,
    LearnerSubject,
    Content,
    Settings,
    Teacher,
    Comment,
    CommentStatus,
    CommentHits,
    ModeratedAt,
    Version,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CourseFlags {
    Table,
    Id,
    CourseId,
    VersionNumber,
    InstitutionId,
    CityCode,
    AverageHundredths,
    Ratings,
    Status,
    DecisionReason,
    DecidedBy,
    DecidedAt,
    Version,
    CreatedAt,
    UpdatedAt,
}
