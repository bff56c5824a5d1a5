//! The `teachers` table.
pub mod teacher {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "teachers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub institution_id: Uuid,
        pub city_code: String,
        pub name: String,
        pub title: String,
        /// JSON array of qualifications.
        pub qualifications: String,
        /// JSON array of specialities.
        pub specialities: String,
        pub biography: String,
        pub photo_key: Option<String>,
        pub photo_media_type: Option<String>,
        pub photo_size: Option<i64>,
        pub photo_sha256: Option<String>,
        pub photo_width: Option<i32>,
        pub photo_height: Option<i32>,
        pub photo_uploaded_at: Option<ChronoDateTimeUtc>,
        pub version: i32,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
