use sea_orm_migration::{prelude::*, schema::*};

/// Announcements (信息公布) and every move of their review, kept.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Announcements::Table)
                    .if_not_exists()
                    .col(uuid(Announcements::Id).primary_key())
                    .col(string_len(Announcements::Title, 200))
                    .col(text(Announcements::Content))
                    // The city it is published in; none: province- or platform-wide.
                    .col(string_len_null(Announcements::CityCode, 6))
                    // draft | submitted | approved | returned | published | withdrawn
                    .col(string_len(Announcements::Status, 16))
                    .col(string_len(Announcements::AuthorSubject, 255))
                    .col(string_len(Announcements::AuthorRole, 32))
                    .col(timestamp_with_time_zone_null(Announcements::PublishedAt))
                    .col(timestamp_with_time_zone(Announcements::CreatedAt))
                    .col(timestamp_with_time_zone(Announcements::UpdatedAt))
                    .col(integer(Announcements::Version))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AnnouncementStatusChanges::Table)
                    .if_not_exists()
                    .col(uuid(AnnouncementStatusChanges::Id).primary_key())
                    .col(uuid(AnnouncementStatusChanges::AnnouncementId))
                    .col(string_len(AnnouncementStatusChanges::FromStatus, 16))
                    .col(string_len(AnnouncementStatusChanges::ToStatus, 16))
                    .col(text_null(AnnouncementStatusChanges::Reason))
                    .col(string_len(AnnouncementStatusChanges::ActorSubject, 255))
                    .col(string_len(AnnouncementStatusChanges::ActorRole, 32))
                    .col(timestamp_with_time_zone(AnnouncementStatusChanges::At))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_announcement_status_changes_announcement")
                            .from(
                                AnnouncementStatusChanges::Table,
                                AnnouncementStatusChanges::AnnouncementId,
                            )
                            .to(Announcements::Table, Announcements::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_announcements_status")
                    .table(Announcements::Table)
                    .col(Announcements::Status)
                    .col(Announcements::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(AnnouncementStatusChanges::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Announcements::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Announcements {
    Table,
    Id,
    Title,
    Content,
    CityCode,
    Status,
    AuthorSubject,
    AuthorRole,
    PublishedAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
pub enum AnnouncementStatusChanges {
    Table,
    Id,
    AnnouncementId,
    FromStatus,
    ToStatus,
    Reason,
    ActorSubject,
    ActorRole,
    At,
}
