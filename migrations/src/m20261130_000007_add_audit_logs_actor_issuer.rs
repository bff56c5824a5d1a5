use sea_orm_migration::{prelude::*, schema::*};

/// The issuer of the caller's token: subjects of different issuers are different callers.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AuditLogs::Table)
                    .add_column(string_len_null(AuditLogs::ActorIssuer, 200))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AuditLogs::Table)
                    .drop_column(AuditLogs::ActorIssuer)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum AuditLogs {
    Table,
    ActorIssuer,
}
