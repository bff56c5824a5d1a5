//! The `regulations` table and the links of course versions to them.
pub mod regulation {
    use sea_orm::entity::prelude::*;

    use crate::regulations::dto::{RegulationKind, RegulationStatus};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "regulations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub title: String,
        pub document_number: String,
        pub kind: RegulationKind,
        pub issuer: String,
        pub published_on: Date,
        pub effective_on: Date,
        pub status: RegulationStatus,
        pub amended_at: Option<ChronoDateTimeUtc>,
        pub version: i32,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod course_regulation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "course_regulations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub course_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub version_number: i32,
        #[sea_orm(primary_key, auto_increment = false)]
        pub regulation_id: Uuid,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
