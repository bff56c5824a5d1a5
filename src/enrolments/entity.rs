//! The `enrolments`, `enrolment_courses` and `study_ledger` tables.
pub mod enrolment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "enrolments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub learner_id: Uuid,
        pub institution_id: Uuid,
        pub city_code: String,
        pub programme_code: String,
        pub required_tenths: i32,
        /// active | completed
        pub status: String,
        pub active_key: Option<String>,
        pub completed_at: Option<ChronoDateTimeUtc>,
        pub version: i32,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod enrolment_course {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "enrolment_courses")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub enrolment_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub course_id: Uuid,
        pub version_number: i32,
        pub position: i32,
        pub hours_tenths: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ledger {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "study_ledger")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub enrolment_id: Uuid,
        pub learner_id: Uuid,
        pub course_id: Uuid,
        pub version_number: i32,
        pub courseware_id: Uuid,
        pub session_id: Option<Uuid>,
        /// credit | hold | release | void | correction
        pub kind: String,
        pub seconds: i32,
        pub reason: Option<String>,
        pub day: Date,
        pub from_position: Option<i32>,
        pub to_position: Option<i32>,
        pub actor_subject: Option<String>,
        pub note: Option<String>,
        pub institution_id: Uuid,
        pub city_code: String,
        pub recorded_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod quiz_attempt {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "quiz_attempts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub enrolment_id: Uuid,
        pub learner_id: Uuid,
        pub course_id: Uuid,
        pub version_number: i32,
        pub courseware_id: Uuid,
        pub correct: i32,
        pub total: i32,
        pub passed: bool,
        /// JSON: question id → chosen option indices.
        pub answers: String,
        pub institution_id: Uuid,
        pub city_code: String,
        pub attempted_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod certificate {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "certificates")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub number: String,
        pub enrolment_id: Uuid,
        pub learner_id: Uuid,
        pub institution_id: Uuid,
        pub city_code: String,
        pub programme_code: String,
        pub hours_tenths: i32,
        pub period_start: ChronoDateTimeUtc,
        pub period_end: ChronoDateTimeUtc,
        pub code_enc: String,
        /// valid | revoked
        pub status: String,
        pub revoked_at: Option<ChronoDateTimeUtc>,
        pub revoke_reason: Option<String>,
        pub revoked_by: Option<String>,
        pub issued_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
