use sea_orm_migration::{prelude::*, schema::*};

/// One version per cached scope (a city's public registry, say), bumped in the transaction of
/// every write that changes what the scope shows; every replica checks it before serving a
/// cached answer.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CacheVersions::Table)
                    .if_not_exists()
                    .col(string_len(CacheVersions::Scope, 100).primary_key())
                    .col(big_integer(CacheVersions::Version))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CacheVersions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CacheVersions {
    Table,
    Scope,
    Version,
}
