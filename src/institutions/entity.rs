//! The `institutions` table and the history of status changes.
pub mod institution {
    use sea_orm::entity::prelude::*;

    use crate::institutions::status::InstitutionStatus;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "institutions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        #[sea_orm(unique)]
        pub credit_code: String,
        pub city_code: String,
        pub registered_address: String,
        pub office_address: String,
        pub legal_representative: String,
        pub contact_name: String,
        /// AES-256-GCM ciphertext of the contact phone.
        pub contact_phone_enc: String,
        pub business_term_end: Option<Date>,
        pub platform_url: String,
        pub introduction: String,
        pub status: InstitutionStatus,
        pub version: i32,
        pub registered_at: Option<ChronoDateTimeUtc>,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod status_change {
    use sea_orm::entity::prelude::*;

    use crate::institutions::status::InstitutionStatus;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "institution_status_changes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub institution_id: Uuid,
        pub from_status: Option<InstitutionStatus>,
        pub to_status: InstitutionStatus,
        pub reason: String,
        pub actor_subject: String,
        pub actor_role: String,
        pub occurred_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
