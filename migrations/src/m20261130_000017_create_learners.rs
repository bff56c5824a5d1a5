use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261129_000002_create_institutions::Institutions;

/// Learners with their personal data encrypted (and keyed hashes for look-up), their consents
/// to face processing, and their local sign-ins with rotating refresh tokens.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Learners::Table)
                    .if_not_exists()
                    .col(uuid(Learners::Id).primary_key())
                    .col(uuid(Learners::InstitutionId))
                    // The city the learner works in: its city bureau reads the learner.
                    .col(string_len(Learners::CityCode, 6))
                    .col(string_len(Learners::Name, 100))
                    // `<key id>:<ciphertext>`, and the keyed hash for look-up and uniqueness.
                    .col(text(Learners::IdNumberEnc))
                    .col(string_len(Learners::IdNumberHash, 64))
                    .col(text(Learners::PhoneEnc))
                    .col(string_len(Learners::PhoneHash, 64))
                    .col(string_len(Learners::EmployerName, 200))
                    .col(string_len(Learners::EmployerCreditCode, 18))
                    .col(string_len(Learners::Industry, 32))
                    .col(string_len(Learners::TrainingCategory, 32))
                    .col(string_len_null(Learners::OperationType, 8))
                    .col(string_len(Learners::TrainingType, 32))
                    // Argon2id (PHC string); failed sign-ins in a row; locked until.
                    .col(string_len(Learners::PasswordHash, 200))
                    .col(timestamp_with_time_zone(Learners::PasswordSetAt))
                    .col(integer(Learners::FailedLogins))
                    .col(timestamp_with_time_zone_null(Learners::LockedUntil))
                    // The reference photo: an encrypted object in the blob store.
                    .col(string_len_null(Learners::PortraitKey, 200))
                    .col(string_len_null(Learners::PortraitMediaType, 32))
                    .col(big_integer_null(Learners::PortraitSize))
                    .col(string_len_null(Learners::PortraitSha256, 64))
                    .col(integer_null(Learners::PortraitWidth))
                    .col(integer_null(Learners::PortraitHeight))
                    .col(timestamp_with_time_zone_null(Learners::PortraitUploadedAt))
                    // The consent to face processing in force (its text version and time);
                    // every decision is kept in learner_consents.
                    .col(string_len_null(Learners::FaceConsentVersion, 32))
                    .col(timestamp_with_time_zone_null(Learners::FaceConsentAt))
                    .col(integer(Learners::Version))
                    .col(timestamp_with_time_zone(Learners::CreatedAt))
                    .col(timestamp_with_time_zone(Learners::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_learners_institution")
                            .from(Learners::Table, Learners::InstitutionId)
                            .to(Institutions::Table, Institutions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("uq_learners_id_number", Learners::IdNumberHash),
            ("uq_learners_phone", Learners::PhoneHash),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Learners::Table)
                        .col(col)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        for (name, col) in [
            ("ix_learners_institution_id", Learners::InstitutionId),
            ("ix_learners_city_id", Learners::CityCode),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Learners::Table)
                        .col(col)
                        .col(Learners::Id)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(LearnerConsents::Table)
                    .if_not_exists()
                    .col(uuid(LearnerConsents::Id).primary_key())
                    .col(uuid(LearnerConsents::LearnerId))
                    // face_processing
                    .col(string_len(LearnerConsents::Purpose, 32))
                    .col(string_len(LearnerConsents::TextVersion, 32))
                    // granted | withdrawn: a withdrawal is a new row, never an update.
                    .col(string_len(LearnerConsents::Decision, 16))
                    .col(string_len(LearnerConsents::ClientIp, 64))
                    .col(timestamp_with_time_zone(LearnerConsents::RecordedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_learner_consents_learner")
                            .from(LearnerConsents::Table, LearnerConsents::LearnerId)
                            .to(Learners::Table, Learners::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_learner_consents_learner")
                    .table(LearnerConsents::Table)
                    .col(LearnerConsents::LearnerId)
                    .col(LearnerConsents::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LearnerSignIns::Table)
                    .if_not_exists()
                    // The `sid` of the access tokens of this sign-in.
                    .col(uuid(LearnerSignIns::Id).primary_key())
                    .col(uuid(LearnerSignIns::LearnerId))
                    .col(timestamp_with_time_zone(LearnerSignIns::StartedAt))
                    .col(string_len(LearnerSignIns::ClientIp, 64))
                    .col(timestamp_with_time_zone_null(LearnerSignIns::EndedAt))
                    // logout | replaced (a newer sign-in) | refresh_reused | password_changed
                    .col(string_len_null(LearnerSignIns::EndReason, 32))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_learner_sign_ins_learner")
                            .from(LearnerSignIns::Table, LearnerSignIns::LearnerId)
                            .to(Learners::Table, Learners::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_learner_sign_ins_learner")
                    .table(LearnerSignIns::Table)
                    .col(LearnerSignIns::LearnerId)
                    .col(LearnerSignIns::EndedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LearnerRefreshTokens::Table)
                    .if_not_exists()
                    // SHA-256 of the token (hex): the token itself is never stored.
                    .col(string_len(LearnerRefreshTokens::TokenHash, 64).primary_key())
                    .col(uuid(LearnerRefreshTokens::SignInId))
                    .col(timestamp_with_time_zone(LearnerRefreshTokens::IssuedAt))
                    .col(timestamp_with_time_zone(LearnerRefreshTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(LearnerRefreshTokens::SpentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_learner_refresh_tokens_sign_in")
                            .from(LearnerRefreshTokens::Table, LearnerRefreshTokens::SignInId)
                            .to(LearnerSignIns::Table, LearnerSignIns::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_learner_refresh_tokens_sign_in")
                    .table(LearnerRefreshTokens::Table)
                    .col(LearnerRefreshTokens::SignInId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LearnerRefreshTokens::Table.into_iden(),
            LearnerSignIns::Table.into_iden(),
            LearnerConsents::Table.into_iden(),
            Learners::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub enum Learners {
    Table,
    Id,
    InstitutionId,
    CityCode,
    Name,
    IdNumberEnc,
    IdNumberHash,
    PhoneEnc,
    PhoneHash,
    EmployerName,
    EmployerCreditCode,
    Industry,
    TrainingCategory,
    OperationType,
    TrainingType,
    PasswordHash,
    PasswordSetAt,
    FailedLogins,
    LockedUntil,
    PortraitKey,
    PortraitMediaType,
    PortraitSize,
    PortraitSha256,
    PortraitWidth,
    PortraitHeight,
    PortraitUploadedAt,
    FaceConsentVersion,
    FaceConsentAt,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum LearnerConsents {
    Table,
    Id,
    LearnerId,
    Purpose,
    TextVersion,
    Decision,
    ClientIp,
    RecordedAt,
}

#[derive(DeriveIden)]
pub enum LearnerSignIns {
    Table,
    Id,
    LearnerId,
    StartedAt,
    ClientIp,
    EndedAt,
    EndReason,
}

#[derive(DeriveIden)]
pub enum LearnerRefreshTokens {
    Table,
    TokenHash,
    SignInId,
    IssuedAt,
    ExpiresAt,
    SpentAt,
}
