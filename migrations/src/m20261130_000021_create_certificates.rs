use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261130_000018_create_enrolments::Enrolments;

/// Certificates of training hours (学时证明): one per completed enrolment.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Certificates::Table)
                    .if_not_exists()
                    .col(uuid(Certificates::Id).primary_key())
                    .col(string_len(Certificates::Number, 32).unique_key())
                    .col(uuid(Certificates::EnrolmentId).unique_key())
                    .col(uuid(Certificates::LearnerId))
                    .col(uuid(Certificates::InstitutionId))
                    .col(string_len(Certificates::CityCode, 6))
                    .col(string_len(Certificates::ProgrammeCode, 64))
                    .col(integer(Certificates::HoursTenths))
                    .col(timestamp_with_time_zone(Certificates::PeriodStart))
                    .col(timestamp_with_time_zone(Certificates::PeriodEnd))
                    // The verification code, encrypted (it is printed on the certificate).
                    .col(text(Certificates::CodeEnc))
                    // valid | revoked
                    .col(string_len(Certificates::Status, 16))
                    .col(timestamp_with_time_zone_null(Certificates::RevokedAt))
                    .col(text_null(Certificates::RevokeReason))
                    .col(string_len_null(Certificates::RevokedBy, 255))
                    .col(timestamp_with_time_zone(Certificates::IssuedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_certificates_enrolment")
                            .from(Certificates::Table, Certificates::EnrolmentId)
                            .to(Enrolments::Table, Enrolments::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Certificates::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Certificates {
    Table,
    Id,
    Number,
    EnrolmentId,
    LearnerId,
    InstitutionId,
    CityCode,
    ProgrammeCode,
    HoursTenths,
    PeriodStart,
    PeriodEnd,
    CodeEnc,
    Status,
    RevokedAt,
    RevokeReason,
    RevokedBy,
    IssuedAt,
}
