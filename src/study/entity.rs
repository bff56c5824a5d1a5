//! The `study_sessions`, `courseware_progress`, `face_checks`, `session_reviews` and
//! `face_check_reviews` tables.
pub mod session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "study_sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub enrolment_id: Uuid,
        pub learner_id: Uuid,
        pub course_id: Uuid,
        pub version_number: i32,
        pub courseware_id: Uuid,
        pub institution_id: Uuid,
        pub city_code: String,
        /// open | paused | suspended | ended
        pub status: String,
        pub started_at: ChronoDateTimeUtc,
        pub ended_at: Option<ChronoDateTimeUtc>,
        pub end_reason: Option<String>,
        pub client_ip: String,
        pub user_agent: String,
        pub last_heartbeat_at: ChronoDateTimeUtc,
        pub last_position: i32,
        pub credited_seconds: i32,
        pub next_check_at: ChronoDateTimeUtc,
        pub check_due_since: Option<ChronoDateTimeUtc>,
        pub last_good_check_at: Option<ChronoDateTimeUtc>,
        pub failed_checks: i32,
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod progress {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "courseware_progress")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub enrolment_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub courseware_id: Uuid,
        pub frontier: i32,
        pub duration_seconds: i32,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod face_check {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "face_checks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub session_id: Uuid,
        pub learner_id: Uuid,
        pub due_since: ChronoDateTimeUtc,
        pub answered_at: ChronoDateTimeUtc,
        /// passed | failed | missed | pending_review
        pub result: String,
        pub score_permille: Option<i32>,
        pub verifier: String,
        pub capture_key: Option<String>,
        pub capture_sha256: Option<String>,
        pub media_type: Option<String>,
        pub institution_id: Uuid,
        pub city_code: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod review {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "session_reviews")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub session_id: Uuid,
        /// resume | end
        pub decision: String,
        pub reason: String,
        pub actor_subject: String,
        pub actor_role: String,
        pub decided_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod face_check_review {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "face_check_reviews")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub face_check_id: Uuid,
        pub session_id: Uuid,
        /// pass | fail
        pub verdict: String,
        pub reason: String,
        pub voided_seconds: i32,
        pub actor_subject: String,
        pub actor_role: String,
        pub decided_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
