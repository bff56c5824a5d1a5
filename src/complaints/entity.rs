//! The `complaints` and `complaint_events` tables.
pub mod complaint {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "complaints")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub number: String,
        pub kind: String,
        pub target_type: String,
        pub target_id: Option<Uuid>,
        pub institution_id: Option<Uuid>,
        pub city_code: Option<String>,
        pub title: String,
        pub content: String,
        pub contact_name_enc: String,
        pub contact_phone_enc: Option<String>,
        pub contact_email_enc: Option<String>,
        pub filer_learner_id: Option<Uuid>,
        pub tracking_hash: Option<String>,
        pub tracking_failures: i32,
        pub tracking_locked_until: Option<ChronoDateTimeUtc>,
        pub status: String,
        pub screening_hits: Option<String>,
        pub first_answer_due: ChronoDateTimeUtc,
        pub resolve_due: ChronoDateTimeUtc,
        pub deadline_estimated: bool,
        pub first_answered_at: Option<ChronoDateTimeUtc>,
        pub resolved_at: Option<ChronoDateTimeUtc>,
        pub answered_at: Option<ChronoDateTimeUtc>,
        pub reopened_at: Option<ChronoDateTimeUtc>,
        pub escalated_at: Option<ChronoDateTimeUtc>,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "complaint_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub complaint_id: Uuid,
        pub action: String,
        pub from_status: String,
        pub to_status: String,
        pub message: Option<String>,
        pub public: bool,
        /// staff | filer
        pub actor_kind: String,
        pub actor_subject: Option<String>,
        pub actor_role: Option<String>,
        pub at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod attachment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "complaint_attachments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub complaint_id: Uuid,
        pub media_type: String,
        pub size: i64,
        pub sha256: String,
        pub blob_key: String,
        /// filer | staff
        pub by: String,
        pub actor_subject: Option<String>,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
