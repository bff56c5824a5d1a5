use sea_orm_migration::{prelude::*, schema::*};

/// Large audit bodies stored once by their SHA-256: a public page read a thousand times is one
/// body, not a thousand copies. Records point at a body with `*_body_sha256`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditBodies::Table)
                    .if_not_exists()
                    .col(string_len(AuditBodies::Sha256, 64).primary_key())
                    .col(text(AuditBodies::Body))
                    .col(timestamp_with_time_zone(AuditBodies::UsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_bodies_used_at")
                    .table(AuditBodies::Table)
                    .col(AuditBodies::UsedAt)
                    .to_owned(),
            )
            .await?;
        // One column per statement: SQLite adds one column at a time.
        for col in [AuditLogs::RequestBodySha256, AuditLogs::ResponseBodySha256] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditLogs::Table)
                        .add_column(string_len_null(col, 64))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [AuditLogs::RequestBodySha256, AuditLogs::ResponseBodySha256] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditLogs::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(AuditBodies::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AuditBodies {
    Table,
    Sha256,
    Body,
    UsedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditLogs {
    Table,
    RequestBodySha256,
    ResponseBodySha256,
}
