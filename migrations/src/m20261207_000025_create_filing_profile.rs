use sea_orm_migration::{prelude::*, schema::*};

/// The platform's filing profile (one row, its fields encrypted together: it holds personal
/// phone numbers) and its management documents, every version kept.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PlatformProfile::Table)
                    .if_not_exists()
                    .col(integer(PlatformProfile::Id).primary_key())
                    .col(text(PlatformProfile::DataEnc))
                    .col(integer(PlatformProfile::Version))
                    .col(string_len(PlatformProfile::UpdatedBy, 255))
                    .col(timestamp_with_time_zone(PlatformProfile::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Policies::Table)
                    .if_not_exists()
                    .col(uuid(Policies::Id).primary_key())
                    // operations_maintenance | course_review_update | emergency_response |
                    // information_publication | backups | after_sales
                    .col(string_len(Policies::Kind, 32))
                    .col(integer(Policies::VersionNumber))
                    .col(string_len(Policies::Title, 200))
                    .col(text(Policies::Content))
                    .col(date(Policies::EffectiveOn))
                    .col(string_len(Policies::AuthorSubject, 255))
                    .col(timestamp_with_time_zone(Policies::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_policies_kind_version")
                    .table(Policies::Table)
                    .col(Policies::Kind)
                    .col(Policies::VersionNumber)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Policies::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(PlatformProfile::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum PlatformProfile {
    Table,
    Id,
    DataEnc,
    Version,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum Policies {
    Table,
    Id,
    Kind,
    VersionNumber,
    Title,
    Content,
    EffectiveOn,
    AuthorSubject,
    CreatedAt,
}
