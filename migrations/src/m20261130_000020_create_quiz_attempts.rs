use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261130_000018_create_enrolments::Enrolments;

/// Learners' attempts at the quizzes of their enrolments' courses: kept, never changed.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(QuizAttempts::Table)
                    .if_not_exists()
                    .col(uuid(QuizAttempts::Id).primary_key())
                    .col(uuid(QuizAttempts::EnrolmentId))
                    .col(uuid(QuizAttempts::LearnerId))
                    .col(uuid(QuizAttempts::CourseId))
                    .col(integer(QuizAttempts::VersionNumber))
                    .col(uuid(QuizAttempts::CoursewareId))
                    .col(integer(QuizAttempts::Correct))
                    .col(integer(QuizAttempts::Total))
                    .col(boolean(QuizAttempts::Passed))
                    // The answers as sent (question id → chosen options), JSON.
                    .col(text(QuizAttempts::Answers))
                    .col(uuid(QuizAttempts::InstitutionId))
                    .col(string_len(QuizAttempts::CityCode, 6))
                    .col(timestamp_with_time_zone(QuizAttempts::AttemptedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_quiz_attempts_enrolment")
                            .from(QuizAttempts::Table, QuizAttempts::EnrolmentId)
                            .to(Enrolments::Table, Enrolments::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_quiz_attempts_enrolment_course")
                    .table(QuizAttempts::Table)
                    .col(QuizAttempts::EnrolmentId)
                    .col(QuizAttempts::CourseId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(QuizAttempts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum QuizAttempts {
    Table,
    Id,
    EnrolmentId,
    LearnerId,
    CourseId,
    VersionNumber,
    CoursewareId,
    Correct,
    Total,
    Passed,
    Answers,
    InstitutionId,
    CityCode,
    AttemptedAt,
}
