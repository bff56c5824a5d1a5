use sea_orm_migration::{prelude::*, schema::*};

/// The last link of the chain each retention purge removed: the anchor of the chain's new head.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditCheckpoints::Table)
                    .if_not_exists()
                    .col(big_integer(AuditCheckpoints::ChainSeq).primary_key())
                    .col(string_len(AuditCheckpoints::ChainHash, 64))
                    .col(timestamp_with_time_zone(AuditCheckpoints::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditCheckpoints::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AuditCheckpoints {
    Table,
    ChainSeq,
    ChainHash,
    CreatedAt,
}
