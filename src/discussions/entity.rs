//! The `discussion_threads`, `discussion_posts` and `discussion_reports` tables.
pub mod thread {
    use sea_orm::entity::prelude::*;

    use crate::discussions::dto::PostStatus;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "discussion_threads")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub course_id: Uuid,
        pub courseware_id: Option<Uuid>,
        pub institution_id: Uuid,
        pub city_code: String,
        pub author_subject: String,
        pub title: String,
        /// That of its opening post.
        pub status: PostStatus,
        pub accepted_post_id: Option<Uuid>,
        pub answered_at: Option<ChronoDateTimeUtc>,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod post {
    use sea_orm::entity::prelude::*;

    use crate::discussions::dto::PostStatus;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "discussion_posts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub thread_id: Uuid,
        pub course_id: Uuid,
        pub institution_id: Uuid,
        pub city_code: String,
        /// The thread's opening text (its first post).
        pub opening: bool,
        pub author_subject: String,
        pub author_role: String,
        pub body: String,
        pub status: PostStatus,
        /// JSON array of the screening hits that held it.
        pub screening_hits: Option<String>,
        /// When it entered the moderation queue; none: not queued.
        pub queued_at: Option<ChronoDateTimeUtc>,
        /// Orders the queue (UUIDv7 taken when queued).
        pub queue_key: Option<Uuid>,
        pub moderation_reason: Option<String>,
        pub moderated_by: Option<String>,
        pub moderated_at: Option<ChronoDateTimeUtc>,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod report {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "discussion_reports")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub post_id: Uuid,
        pub reporter_subject: String,
        pub reporter_role: String,
        pub reason: String,
        pub created_at: ChronoDateTimeUtc,
        pub resolved_at: Option<ChronoDateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
