//! The `learners` and `learner_consents` tables.
pub mod learner {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "learners")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub institution_id: Uuid,
        pub city_code: String,
        pub name: String,
        /// `<key id>:<ciphertext>` of the identity number.
        pub id_number_enc: String,
        /// Keyed hash of the identity number (look-up, uniqueness).
        pub id_number_hash: String,
        pub phone_enc: String,
        pub phone_hash: String,
        pub employer_name: String,
        pub employer_credit_code: String,
        pub industry: String,
        pub training_category: String,
        pub operation_type: Option<String>,
        pub training_type: String,
        /// Argon2id PHC string.
        pub password_hash: String,
        pub password_set_at: ChronoDateTimeUtc,
        pub failed_logins: i32,
        pub locked_until: Option<ChronoDateTimeUtc>,
        pub portrait_key: Option<String>,
        pub portrait_media_type: Option<String>,
        pub portrait_size: Option<i64>,
        pub portrait_sha256: Option<String>,
        pub portrait_width: Option<i32>,
        pub portrait_height: Option<i32>,
        pub portrait_uploaded_at: Option<ChronoDateTimeUtc>,
        pub face_consent_version: Option<String>,
        pub face_consent_at: Option<ChronoDateTimeUtc>,
        pub version: i32,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod consent {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "learner_consents")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub learner_id: Uuid,
        pub purpose: String,
        pub text_version: String,
        /// granted | withdrawn
        pub decision: String,
        pub client_ip: String,
        pub recorded_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
