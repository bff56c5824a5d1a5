use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261129_000002_create_institutions::Institutions;

/// Teachers (师资) of training institutions, with the photo kept in the blob store.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Teachers::Table)
                    .if_not_exists()
                    .col(uuid(Teachers::Id).primary_key())
                    .col(uuid(Teachers::InstitutionId))
                    // The institution's city, copied (an institution never changes city): city
                    // admins read by it.
                    .col(string_len(Teachers::CityCode, 6))
                    .col(string_len(Teachers::Name, 100))
                    .col(string_len(Teachers::Title, 100))
                    // JSON arrays.
                    .col(text(Teachers::Qualifications))
                    .col(text(Teachers::Specialities))
                    .col(text(Teachers::Biography))
                    // The photo: blob key, media type, size, SHA-256, pixel size, upload time.
                    .col(string_len_null(Teachers::PhotoKey, 200))
                    .col(string_len_null(Teachers::PhotoMediaType, 32))
                    .col(big_integer_null(Teachers::PhotoSize))
                    .col(string_len_null(Teachers::PhotoSha256, 64))
                    .col(integer_null(Teachers::PhotoWidth))
                    .col(integer_null(Teachers::PhotoHeight))
                    .col(timestamp_with_time_zone_null(Teachers::PhotoUploadedAt))
                    .col(integer(Teachers::Version))
                    .col(timestamp_with_time_zone(Teachers::CreatedAt))
                    .col(timestamp_with_time_zone(Teachers::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_teachers_institution")
                            .from(Teachers::Table, Teachers::InstitutionId)
                            .to(Institutions::Table, Institutions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_teachers_institution_id")
                    .table(Teachers::Table)
                    .col(Teachers::InstitutionId)
                    .col(Teachers::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_teachers_city_id")
                    .table(Teachers::Table)
                    .col(Teachers::CityCode)
                    .col(Teachers::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Teachers::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Teachers {
    Table,
    Id,
    InstitutionId,
    CityCode,
    Name,
    Title,
    Qualifications,
    Specialities,
    Biography,
    PhotoKey,
    PhotoMediaType,
    PhotoSize,
    PhotoSha256,
    PhotoWidth,
    PhotoHeight,
    PhotoUploadedAt,
    Version,
    CreatedAt,
    UpdatedAt,
}
