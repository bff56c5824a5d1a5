use sea_orm_migration::{prelude::*, schema::*};

/// Term lists of prohibited content that province admins put in place of the shipped ones.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ScreeningLists::Table)
                    .if_not_exists()
                    .col(string_len(ScreeningLists::Category, 32).primary_key())
                    // The terms as a JSON array.
                    .col(text(ScreeningLists::Terms))
                    .col(integer(ScreeningLists::Version))
                    .col(string_len(ScreeningLists::UpdatedBy, 200))
                    .col(timestamp_with_time_zone(ScreeningLists::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ScreeningLists::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ScreeningLists {
    Table,
    Category,
    Terms,
    Version,
    UpdatedBy,
    UpdatedAt,
}
