use sea_orm_migration::{prelude::*, schema::*};

/// City modules: the 21 prefecture-level cities of Guangdong plus Hengqin.
/// Rows come from `fixtures/cities.json`, loaded by the application.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Cities::Table)
                    .if_not_exists()
                    .col(string_len(Cities::Code, 6).primary_key())
                    .col(string_len(Cities::Name, 64))
                    .col(string_len(Cities::NameEn, 128))
                    .col(string_len(Cities::Kind, 32))
                    .col(string_len(Cities::DivisionCode, 6))
                    .col(string_len(Cities::Supervisor, 128))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Cities::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Cities {
    Table,
    Code,
    Name,
    NameEn,
    Kind,
    DivisionCode,
    Supervisor,
}
