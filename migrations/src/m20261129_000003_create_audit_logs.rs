use sea_orm_migration::{prelude::*, schema::*};

/// The audit log: one row per API request. `chain_seq`, `prev_hash` and `chain_hash`
/// stay null until the sealer links the row into the hash chain.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditLogs::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AuditLogs::Id))
                    .col(uuid(AuditLogs::RequestId))
                    .col(timestamp_with_time_zone(AuditLogs::OccurredAt))
                    .col(string_len_null(AuditLogs::ActorSubject, 200))
                    .col(string_len_null(AuditLogs::ActorRole, 32))
                    .col(string_len_null(AuditLogs::ActorCity, 6))
                    .col(uuid_null(AuditLogs::ActorInstitution))
                    .col(string_len(AuditLogs::ClientIp, 64))
                    .col(string_len(AuditLogs::Method, 16))
                    .col(string_len(AuditLogs::Route, 200))
                    .col(string_len_null(AuditLogs::ResourceType, 64))
                    .col(string_len_null(AuditLogs::ResourceId, 64))
                    .col(string_len_null(AuditLogs::ResourceCity, 6))
                    .col(integer(AuditLogs::Status))
                    .col(big_integer(AuditLogs::LatencyUs))
                    .col(text_null(AuditLogs::RequestBody))
                    .col(text_null(AuditLogs::ResponseBody))
                    // SHA-256 of the fields above, computed at insert; the sealer chains these.
                    .col(string_len(AuditLogs::ContentHash, 64))
                    .col(big_integer_null(AuditLogs::ChainSeq).unique_key())
                    .col(string_len_null(AuditLogs::PrevHash, 64))
                    .col(string_len_null(AuditLogs::ChainHash, 64))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "ix_audit_logs_occurred_at",
                vec![AuditLogs::OccurredAt, AuditLogs::Id],
            ),
            (
                "ix_audit_logs_actor",
                vec![AuditLogs::ActorSubject, AuditLogs::Id],
            ),
            (
                "ix_audit_logs_resource",
                vec![AuditLogs::ResourceType, AuditLogs::ResourceId],
            ),
            (
                "ix_audit_logs_city",
                vec![AuditLogs::ResourceCity, AuditLogs::Id],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(AuditLogs::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditLogs::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditLogs {
    Table,
    Id,
    RequestId,
    OccurredAt,
    ActorSubject,
    ActorRole,
    ActorCity,
    ActorInstitution,
    ClientIp,
    Method,
    Route,
    ResourceType,
    ResourceId,
    ResourceCity,
    Status,
    LatencyUs,
    RequestBody,
    ResponseBody,
    ContentHash,
    ChainSeq,
    PrevHash,
    ChainHash,
}
