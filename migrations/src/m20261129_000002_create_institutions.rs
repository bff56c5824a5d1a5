use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261129_000001_create_cities::Cities;

/// Training institutions and the history of their lifecycle transitions.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Institutions::Table)
                    .if_not_exists()
                    .col(uuid(Institutions::Id).primary_key())
                    .col(string_len(Institutions::Name, 200))
                    .col(string_len_uniq(Institutions::CreditCode, 18))
                    .col(string_len(Institutions::CityCode, 6))
                    .col(string_len(Institutions::RegisteredAddress, 300))
                    .col(string_len(Institutions::OfficeAddress, 300))
                    .col(string_len(Institutions::LegalRepresentative, 100))
                    .col(string_len(Institutions::ContactName, 100))
                    // AES-256-GCM ciphertext (base64 of nonce || ciphertext).
                    .col(text(Institutions::ContactPhoneEnc))
                    .col(date_null(Institutions::BusinessTermEnd))
                    .col(string_len(Institutions::PlatformUrl, 500))
                    .col(text(Institutions::Introduction))
                    .col(string_len(Institutions::Status, 16))
                    .col(integer(Institutions::Version))
                    .col(timestamp_with_time_zone_null(Institutions::RegisteredAt))
                    .col(timestamp_with_time_zone(Institutions::CreatedAt))
                    .col(timestamp_with_time_zone(Institutions::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_institutions_city")
                            .from(Institutions::Table, Institutions::CityCode)
                            .to(Cities::Table, Cities::Code),
                    )
                    .to_owned(),
            )
            .await?;
        // The public registry reads registered rows of one city in (registered_at, name, id) order.
        manager
            .create_index(
                Index::create()
                    .name("ix_institutions_registry")
                    .table(Institutions::Table)
                    .col(Institutions::CityCode)
                    .col(Institutions::Status)
                    .col(Institutions::RegisteredAt)
                    .col(Institutions::Name)
                    .col(Institutions::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_institutions_city_id")
                    .table(Institutions::Table)
                    .col(Institutions::CityCode)
                    .col(Institutions::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InstitutionStatusChanges::Table)
                    .if_not_exists()
                    .col(uuid(InstitutionStatusChanges::Id).primary_key())
                    .col(uuid(InstitutionStatusChanges::InstitutionId))
                    .col(string_len_null(InstitutionStatusChanges::FromStatus, 16))
                    .col(string_len(InstitutionStatusChanges::ToStatus, 16))
                    .col(text(InstitutionStatusChanges::Reason))
                    .col(string_len(InstitutionStatusChanges::ActorSubject, 200))
                    .col(string_len(InstitutionStatusChanges::ActorRole, 32))
                    .col(timestamp_with_time_zone(
                        InstitutionStatusChanges::OccurredAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_status_changes_institution")
                            .from(
                                InstitutionStatusChanges::Table,
                                InstitutionStatusChanges::InstitutionId,
                            )
                            .to(Institutions::Table, Institutions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_status_changes_institution")
                    .table(InstitutionStatusChanges::Table)
                    .col(InstitutionStatusChanges::InstitutionId)
                    .col(InstitutionStatusChanges::OccurredAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(InstitutionStatusChanges::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Institutions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Institutions {
    Table,
    Id,
    Name,
    CreditCode,
    CityCode,
    RegisteredAddress,
    OfficeAddress,
    LegalRepresentative,
    ContactName,
    ContactPhoneEnc,
    BusinessTermEnd,
    PlatformUrl,
    Introduction,
    Status,
    Version,
    RegisteredAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InstitutionStatusChanges {
    Table,
    Id,
    InstitutionId,
    FromStatus,
    ToStatus,
    Reason,
    ActorSubject,
    ActorRole,
    OccurredAt,
}
