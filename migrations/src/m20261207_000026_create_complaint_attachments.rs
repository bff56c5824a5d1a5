use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261206_000023_create_complaints::Complaints;

/// Files attached to complaints (images, PDF): encrypted objects in the blob store.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ComplaintAttachments::Table)
                    .if_not_exists()
                    .col(uuid(ComplaintAttachments::Id).primary_key())
                    .col(uuid(ComplaintAttachments::ComplaintId))
                    .col(string_len(ComplaintAttachments::MediaType, 32))
                    .col(big_integer(ComplaintAttachments::Size))
                    .col(string_len(ComplaintAttachments::Sha256, 64))
                    .col(string_len(ComplaintAttachments::BlobKey, 200))
                    // filer | staff
                    .col(string_len(ComplaintAttachments::By, 8))
                    .col(string_len_null(ComplaintAttachments::ActorSubject, 255))
                    .col(timestamp_with_time_zone(ComplaintAttachments::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_complaint_attachments_complaint")
                            .from(
                                ComplaintAttachments::Table,
                                ComplaintAttachments::ComplaintId,
                            )
                            .to(Complaints::Table, Complaints::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_complaint_attachments_complaint")
                    .table(ComplaintAttachments::Table)
                    .col(ComplaintAttachments::ComplaintId)
                    .col(ComplaintAttachments::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ComplaintAttachments::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum ComplaintAttachments {
    Table,
    Id,
    ComplaintId,
    MediaType,
    Size,
    Sha256,
    BlobKey,
    By,
    ActorSubject,
    CreatedAt,
}
