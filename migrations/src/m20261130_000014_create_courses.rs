use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261129_000002_create_institutions::Institutions;

/// Courses, their versions (a published course's edits are a new version under review while
/// the old one stays published), courseware, lifecycle history and reviews.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Courses::Table)
                    .if_not_exists()
                    .col(uuid(Courses::Id).primary_key())
                    .col(uuid(Courses::InstitutionId))
                    .col(string_len(Courses::CityCode, 6))
                    .col(string_len(Courses::Status, 24))
                    // The version being worked on (the newest), and the one learners study.
                    .col(integer(Courses::CurrentVersion))
                    .col(integer_null(Courses::PublishedVersion))
                    // The current version's title and first training category, for sorting and
                    // filtering the list without reading the versions.
                    .col(string_len(Courses::Title, 200))
                    .col(string_len(Courses::Category, 32))
                    .col(date_null(Courses::UpdateDeadline))
                    .col(timestamp_with_time_zone_null(Courses::PublishedAt))
                    .col(integer(Courses::Version))
                    .col(timestamp_with_time_zone(Courses::CreatedAt))
                    .col(timestamp_with_time_zone(Courses::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_courses_institution")
                            .from(Courses::Table, Courses::InstitutionId)
                            .to(Institutions::Table, Institutions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "ix_courses_institution_id",
                vec![Courses::InstitutionId, Courses::Id],
            ),
            ("ix_courses_city_id", vec![Courses::CityCode, Courses::Id]),
            ("ix_courses_title_id", vec![Courses::Title, Courses::Id]),
            (
                "ix_courses_published_at_id",
                vec![Courses::PublishedAt, Courses::Id],
            ),
            ("ix_courses_status_id", vec![Courses::Status, Courses::Id]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Courses::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(CourseVersions::Table)
                    .if_not_exists()
                    .col(uuid(CourseVersions::Id).primary_key())
                    .col(uuid(CourseVersions::CourseId))
                    .col(integer(CourseVersions::Number))
                    .col(string_len(CourseVersions::Title, 200))
                    .col(text(CourseVersions::Description))
                    // 学时 in tenths (one decimal, exact).
                    .col(integer(CourseVersions::HoursTenths))
                    // JSON arrays of codes and ids.
                    .col(text(CourseVersions::TrainingCategories))
                    .col(text(CourseVersions::OperationTypes))
                    .col(text(CourseVersions::TrainingTypes))
                    .col(text(CourseVersions::TeacherIds))
                    .col(string_len(CourseVersions::ReviewStatus, 24))
                    // Screening hits found on submission (JSON), when routed to review.
                    .col(text_null(CourseVersions::ScreeningHits))
                    .col(timestamp_with_time_zone(CourseVersions::CreatedAt))
                    .col(timestamp_with_time_zone_null(CourseVersions::PublishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_course_versions_course")
                            .from(CourseVersions::Table, CourseVersions::CourseId)
                            .to(Courses::Table, Courses::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_course_versions_number")
                    .table(CourseVersions::Table)
                    .col(CourseVersions::CourseId)
                    .col(CourseVersions::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Courseware::Table)
                    .if_not_exists()
                    .col(uuid(Courseware::Id).primary_key())
                    .col(uuid(Courseware::CourseId))
                    .col(integer(Courseware::VersionNumber))
                    .col(string_len(Courseware::Title, 200))
                    .col(string_len(Courseware::Kind, 16))
                    .col(integer(Courseware::Position))
                    .col(string_len_null(Courseware::FileKey, 200))
                    .col(string_len_null(Courseware::MediaType, 64))
                    .col(big_integer_null(Courseware::Size))
                    .col(string_len_null(Courseware::Sha256, 64))
                    // Video facts and the automatic checks (JSON), for videos.
                    .col(text_null(Courseware::VideoFacts))
                    .col(text_null(Courseware::FormatCheck))
                    .col(text_null(Courseware::QualityCheck))
                    .col(timestamp_with_time_zone_null(Courseware::UploadedAt))
                    .col(timestamp_with_time_zone(Courseware::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_courseware_course")
                            .from(Courseware::Table, Courseware::CourseId)
                            .to(Courses::Table, Courses::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_courseware_course_version")
                    .table(Courseware::Table)
                    .col(Courseware::CourseId)
                    .col(Courseware::VersionNumber)
                    .col(Courseware::Position)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CourseStatusChanges::Table)
                    .if_not_exists()
                    .col(uuid(CourseStatusChanges::Id).primary_key())
                    .col(uuid(CourseStatusChanges::CourseId))
                    .col(integer(CourseStatusChanges::VersionNumber))
                    .col(string_len_null(CourseStatusChanges::FromStatus, 24))
                    .col(string_len(CourseStatusChanges::ToStatus, 24))
                    .col(text(CourseStatusChanges::Reason))
                    .col(string_len(CourseStatusChanges::ActorSubject, 200))
                    .col(string_len(CourseStatusChanges::ActorRole, 32))
                    .col(timestamp_with_time_zone(CourseStatusChanges::OccurredAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_course_status_changes_course")
                            .from(CourseStatusChanges::Table, CourseStatusChanges::CourseId)
                            .to(Courses::Table, Courses::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_course_status_changes_course")
                    .table(CourseStatusChanges::Table)
                    .col(CourseStatusChanges::CourseId)
                    .col(CourseStatusChanges::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CourseReviews::Table)
                    .if_not_exists()
                    .col(uuid(CourseReviews::Id).primary_key())
                    .col(uuid(CourseReviews::CourseId))
                    .col(integer(CourseReviews::VersionNumber))
                    .col(string_len(CourseReviews::Level, 16))
                    // The items and verdicts (JSON).
                    .col(text(CourseReviews::Items))
                    .col(boolean(CourseReviews::Passed))
                    .col(string_len(CourseReviews::ReviewerSubject, 200))
                    .col(string_len(CourseReviews::ReviewerRole, 32))
                    .col(timestamp_with_time_zone(CourseReviews::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_course_reviews_course")
                            .from(CourseReviews::Table, CourseReviews::CourseId)
                            .to(Courses::Table, Courses::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_course_reviews_course")
                    .table(CourseReviews::Table)
                    .col(CourseReviews::CourseId)
                    .col(CourseReviews::VersionNumber)
                    .col(CourseReviews::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CourseReviews::Table.into_iden(),
            CourseStatusChanges::Table.into_iden(),
            Courseware::Table.into_iden(),
            CourseVersions::Table.into_iden(),
            Courses::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Courses {
    Table,
    Id,
    InstitutionId,
    CityCode,
    Status,
    CurrentVersion,
    PublishedVersion,
    Title,
    Category,
    UpdateDeadline,
    PublishedAt,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CourseVersions {
    Table,
    Id,
    CourseId,
    Number,
    Title,
    Description,
    HoursTenths,
    TrainingCategories,
    OperationTypes,
    TrainingTypes,
    TeacherIds,
    ReviewStatus,
    ScreeningHits,
    CreatedAt,
    PublishedAt,
}

#[derive(DeriveIden)]
enum Courseware {
    Table,
    Id,
    CourseId,
    VersionNumber,
    Title,
    Kind,
    Position,
    FileKey,
    MediaType,
    Size,
    Sha256,
    VideoFacts,
    FormatCheck,
    QualityCheck,
    UploadedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CourseStatusChanges {
    Table,
    Id,
    CourseId,
    VersionNumber,
    FromStatus,
    ToStatus,
    Reason,
    ActorSubject,
    ActorRole,
    OccurredAt,
}

#[derive(DeriveIden)]
enum CourseReviews {
    Table,
    Id,
    CourseId,
    VersionNumber,
    Level,
    Items,
    Passed,
    ReviewerSubject,
    ReviewerRole,
    CreatedAt,
}
