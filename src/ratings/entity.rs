//! The rating tables: study evidence, ratings and low-satisfaction flags.
pub mod evidence {
    use sea_orm::entity::prelude::*;

    /// That a learner studied a course version (written by study sessions; a rating needs it).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "study_evidence")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub learner_subject: String,
        pub course_id: Uuid,
        pub version_number: i32,
        pub minutes: i32,
        pub recorded_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod rating {
    use sea_orm::entity::prelude::*;

    use crate::ratings::dto::CommentStatus;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "course_ratings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub course_id: Uuid,
        pub version_number: i32,
        pub learner_subject: String,
        pub content: i16,
        pub settings: i16,
        pub teacher: i16,
        pub comment: String,
        pub comment_status: CommentStatus,
        /// JSON array of the screening hits that held the comment.
        pub comment_hits: Option<String>,
        pub moderated_at: Option<ChronoDateTimeUtc>,
        pub version: i32,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod flag {
    use sea_orm::entity::prelude::*;

    use crate::ratings::dto::FlagStatus;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "course_flags")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub course_id: Uuid,
        pub version_number: i32,
        pub institution_id: Uuid,
        pub city_code: String,
        pub average_hundredths: i32,
        pub ratings: i32,
        pub status: FlagStatus,
        pub decision_reason: Option<String>,
        pub decided_by: Option<String>,
        pub decided_at: Option<ChronoDateTimeUtc>,
        pub version: i32,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
