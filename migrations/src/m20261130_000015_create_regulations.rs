use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261130_000014_create_courses::Courses;

/// Laws, regulations, rules and technical standards courses rest on, and which course versions
/// rest on which.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Regulations::Table)
                    .if_not_exists()
                    .col(uuid(Regulations::Id).primary_key())
                    .col(string_len(Regulations::Title, 200))
                    .col(string_len(Regulations::DocumentNumber, 100))
                    .col(string_len(Regulations::Kind, 32))
                    .col(string_len(Regulations::Issuer, 200))
                    .col(date(Regulations::PublishedOn))
                    .col(date(Regulations::EffectiveOn))
                    .col(string_len(Regulations::Status, 16))
                    // When it was last amended (marked amended, or its dates changed).
                    .col(timestamp_with_time_zone_null(Regulations::AmendedAt))
                    .col(integer(Regulations::Version))
                    .col(timestamp_with_time_zone(Regulations::CreatedAt))
                    .col(timestamp_with_time_zone(Regulations::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CourseRegulations::Table)
                    .if_not_exists()
                    .col(uuid(CourseRegulations::CourseId))
                    .col(integer(CourseRegulations::VersionNumber))
                    .col(uuid(CourseRegulations::RegulationId))
                    .primary_key(
                        Index::create()
                            .col(CourseRegulations::CourseId)
                            .col(CourseRegulations::VersionNumber)
                            .col(CourseRegulations::RegulationId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_course_regulations_course")
                            .from(CourseRegulations::Table, CourseRegulations::CourseId)
                            .to(Courses::Table, Courses::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_course_regulations_regulation")
                            .from(CourseRegulations::Table, CourseRegulations::RegulationId)
                            .to(Regulations::Table, Regulations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_course_regulations_regulation")
                    .table(CourseRegulations::Table)
                    .col(CourseRegulations::RegulationId)
                    .to_owned(),
            )
            .await?;
        // The ids as the course answer lists them (JSON), beside the link rows.
        manager
            .alter_table(
                Table::alter()
                    .table(CourseVersions::Table)
                    .add_column(text(CourseVersions::RegulationIds).default("[]"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CourseVersions::Table)
                    .drop_column(CourseVersions::RegulationIds)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(CourseRegulations::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Regulations::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Regulations {
    Table,
    Id,
    Title,
    DocumentNumber,
    Kind,
    Issuer,
    PublishedOn,
    EffectiveOn,
    Status,
    AmendedAt,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CourseRegulations {
    Table,
    CourseId,
    VersionNumber,
    RegulationId,
}

#[derive(DeriveIden)]
enum CourseVersions {
    Table,
    RegulationIds,
}
