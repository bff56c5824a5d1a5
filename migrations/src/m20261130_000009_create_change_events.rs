use sea_orm_migration::{prelude::*, schema::*};

/// Change events of shared resources. `position` stays null until the sequencer gives the
/// committed event its place in the feed; it is unique, so no position is given twice.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChangeEvents::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ChangeEvents::Id))
                    .col(big_integer_null(ChangeEvents::Position).unique_key())
                    .col(string_len(ChangeEvents::ResourceType, 64))
                    .col(string_len(ChangeEvents::ResourceId, 64))
                    .col(string_len(ChangeEvents::Operation, 16))
                    .col(integer(ChangeEvents::Version))
                    .col(timestamp_with_time_zone(ChangeEvents::OccurredAt))
                    // AES-256-GCM ciphertext of the shared representation (JSON).
                    .col(text(ChangeEvents::DataEnc))
                    .to_owned(),
            )
            .await?;
        // The sequencer looks for events without a position, oldest first.
        manager
            .create_index(
                Index::create()
                    .name("ix_change_events_unpositioned")
                    .table(ChangeEvents::Table)
                    .col(ChangeEvents::Position)
                    .col(ChangeEvents::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ChangeEvents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ChangeEvents {
    Table,
    Id,
    Position,
    ResourceType,
    ResourceId,
    Operation,
    Version,
    OccurredAt,
    DataEnc,
}
