use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261130_000014_create_courses::Courses;

/// The course discussion space (互动交流空间): threads, their posts (the opening text is the
/// thread's first post) and readers' reports of posts. Nothing is deleted: a hidden post keeps
/// its text.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DiscussionThreads::Table)
                    .if_not_exists()
                    .col(uuid(DiscussionThreads::Id).primary_key())
                    .col(uuid(DiscussionThreads::CourseId))
                    .col(uuid_null(DiscussionThreads::CoursewareId))
                    .col(uuid(DiscussionThreads::InstitutionId))
                    .col(string_len(DiscussionThreads::CityCode, 6))
                    .col(string_len(DiscussionThreads::AuthorSubject, 255))
                    .col(string_len(DiscussionThreads::Title, 200))
                    // published | pending | hidden: that of its opening post
                    .col(string_len(DiscussionThreads::Status, 16))
                    .col(uuid_null(DiscussionThreads::AcceptedPostId))
                    // The institution's first published reply, or an accepted answer.
                    .col(timestamp_with_time_zone_null(DiscussionThreads::AnsweredAt))
                    .col(timestamp_with_time_zone(DiscussionThreads::CreatedAt))
                    .col(timestamp_with_time_zone(DiscussionThreads::UpdatedAt))
                    .col(integer(DiscussionThreads::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_discussion_threads_course")
                            .from(DiscussionThreads::Table, DiscussionThreads::CourseId)
                            .to(Courses::Table, Courses::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DiscussionPosts::Table)
                    .if_not_exists()
                    .col(uuid(DiscussionPosts::Id).primary_key())
                    .col(uuid(DiscussionPosts::ThreadId))
                    .col(uuid(DiscussionPosts::CourseId))
                    .col(uuid(DiscussionPosts::InstitutionId))
                    .col(string_len(DiscussionPosts::CityCode, 6))
                    .col(boolean(DiscussionPosts::Opening))
                    .col(string_len(DiscussionPosts::AuthorSubject, 255))
                    .col(string_len(DiscussionPosts::AuthorRole, 32))
                    .col(text(DiscussionPosts::Body))
                    // published | pending | hidden
                    .col(string_len(DiscussionPosts::Status, 16))
                    // JSON array of the screening hits that held it.
                    .col(text_null(DiscussionPosts::ScreeningHits))
                    // When it entered the moderation queue (held, or first reported); none: not queued.
                    .col(timestamp_with_time_zone_null(DiscussionPosts::QueuedAt))
                    // Orders the queue (UUIDv7, taken when it was queued); none: not queued.
                    .col(uuid_null(DiscussionPosts::QueueKey))
                    .col(text_null(DiscussionPosts::ModerationReason))
                    .col(string_len_null(DiscussionPosts::ModeratedBy, 255))
                    .col(timestamp_with_time_zone_null(DiscussionPosts::ModeratedAt))
                    .col(timestamp_with_time_zone(DiscussionPosts::CreatedAt))
                    .col(timestamp_with_time_zone(DiscussionPosts::UpdatedAt))
                    .col(integer(DiscussionPosts::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_discussion_posts_thread")
                            .from(DiscussionPosts::Table, DiscussionPosts::ThreadId)
                            .to(DiscussionThreads::Table, DiscussionThreads::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DiscussionReports::Table)
                    .if_not_exists()
                    .col(uuid(DiscussionReports::Id).primary_key())
                    .col(uuid(DiscussionReports::PostId))
                    .col(string_len(DiscussionReports::ReporterSubject, 255))
                    .col(string_len(DiscussionReports::ReporterRole, 32))
                    .col(text(DiscussionReports::Reason))
                    .col(timestamp_with_time_zone(DiscussionReports::CreatedAt))
                    .col(timestamp_with_time_zone_null(DiscussionReports::ResolvedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_discussion_reports_post")
                            .from(DiscussionReports::Table, DiscussionReports::PostId)
                            .to(DiscussionPosts::Table, DiscussionPosts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for index in [
            Index::create()
                .name("ix_discussion_threads_course")
                .table(DiscussionThreads::Table)
                .col(DiscussionThreads::CourseId)
                .col(DiscussionThreads::Id)
                .to_owned(),
            Index::create()
                .name("ix_discussion_threads_unanswered")
                .table(DiscussionThreads::Table)
                .col(DiscussionThreads::AnsweredAt)
                .col(DiscussionThreads::CreatedAt)
                .to_owned(),
            Index::create()
                .name("ix_discussion_posts_thread")
                .table(DiscussionPosts::Table)
                .col(DiscussionPosts::ThreadId)
                .col(DiscussionPosts::Id)
                .to_owned(),
            Index::create()
                .name("ix_discussion_posts_author")
                .table(DiscussionPosts::Table)
                .col(DiscussionPosts::AuthorSubject)
                .col(DiscussionPosts::CreatedAt)
                .to_owned(),
            Index::create()
                .name("ix_discussion_posts_queue")
                .table(DiscussionPosts::Table)
                .col(DiscussionPosts::QueueKey)
                .to_owned(),
            Index::create()
                .name("uq_discussion_reports_reporter")
                .table(DiscussionReports::Table)
                .col(DiscussionReports::PostId)
                .col(DiscussionReports::ReporterSubject)
                .col(DiscussionReports::ReporterRole)
                .unique()
                .to_owned(),
        ] {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DiscussionReports::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(DiscussionPosts::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(DiscussionThreads::Table).to_owned())
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
pub enum DiscussionThreads {
    Table,
    Id,
    CourseId,
    CoursewareId,
    InstitutionId,
    CityCode,
    AuthorSubject,
    Title,
    Status,
    AcceptedPostId,
    AnsweredAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
pub enum DiscussionPosts {
    Table,
    Id,
    ThreadId,
    CourseId,
    InstitutionId,
    CityCode,
    Opening,
    AuthorSubject,
    AuthorRole,
    Body,
    Status,
    ScreeningHits,
    QueuedAt,
    QueueKey,
    ModerationReason,
    ModeratedBy,
    ModeratedAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
pub enum DiscussionReports {
    Table,
    Id,
    PostId,
    ReporterSubject,
    ReporterRole,
    Reason,
    CreatedAt,
    ResolvedAt,
}
