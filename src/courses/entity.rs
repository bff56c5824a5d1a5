//! The course tables.
pub mod course {
    use sea_orm::entity::prelude::*;

    use crate::courses::status::CourseStatus;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "courses")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub institution_id: Uuid,
        pub city_code: String,
        pub status: CourseStatus,
        pub current_version: i32,
        pub published_version: Option<i32>,
        pub title: String,
        pub category: String,
        pub update_deadline: Option<Date>,
        pub published_at: Option<ChronoDateTimeUtc>,
        pub version: i32,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod version {
    use sea_orm::entity::prelude::*;

    use crate::courses::status::ReviewStatus;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "course_versions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub course_id: Uuid,
        pub number: i32,
        pub title: String,
        pub description: String,
        pub hours_tenths: i32,
        pub training_categories: String,
        pub operation_types: String,
        pub training_types: String,
        pub teacher_ids: String,
        pub regulation_ids: String,
        pub review_status: ReviewStatus,
        pub screening_hits: Option<String>,
        pub created_at: ChronoDateTimeUtc,
        pub published_at: Option<ChronoDateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod courseware {
    use sea_orm::entity::prelude::*;

    use crate::courses::dto::CoursewareKind;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "courseware")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub course_id: Uuid,
        pub version_number: i32,
        pub title: String,
        pub kind: CoursewareKind,
        pub position: i32,
        pub file_key: Option<String>,
        pub media_type: Option<String>,
        pub size: Option<i64>,
        pub sha256: Option<String>,
        pub video_facts: Option<String>,
        pub format_check: Option<String>,
        pub quality_check: Option<String>,
        pub uploaded_at: Option<ChronoDateTimeUtc>,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod status_change {
    use sea_orm::entity::prelude::*;

    use crate::courses::status::CourseStatus;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "course_status_changes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub course_id: Uuid,
        pub version_number: i32,
        pub from_status: Option<CourseStatus>,
        pub to_status: CourseStatus,
        pub reason: String,
        pub actor_subject: String,
        pub actor_role: String,
        pub occurred_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod review {
    use sea_orm::entity::prelude::*;

    use crate::courses::dto::ReviewLevel;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "course_reviews")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub course_id: Uuid,
        pub version_number: i32,
        pub level: ReviewLevel,
        pub items: String,
        pub passed: bool,
        pub reviewer_subject: String,
        pub reviewer_role: String,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
