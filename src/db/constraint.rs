//! Unique constraints told apart by name. PostgreSQL reports the violated constraint's name;
//! SQLite reports only `UNIQUE constraint failed: table.col, …`, so each constraint is declared
//! once with both and matched by whichever the backend gives.
use sea_orm::{DbErr, RuntimeErr};

/// A unique constraint (or unique index) of the schema.
#[derive(Debug, Clone, Copy)]
pub struct Unique {
    /// Its name in PostgreSQL.
    pub name: &'static str,
    pub table: &'static str,
    pub columns: &'static [&'static str],
}

impl Unique {
    /// True when `e` is a violation of this constraint.
    pub fn violated_by(&self, e: &DbErr) -> bool {
        let (DbErr::Exec(RuntimeErr::SqlxError(inner))
        | DbErr::Query(RuntimeErr::SqlxError(inner))) = e
        else {
            return false;
        };
        let sea_orm::sqlx::Error::Database(db) = inner.as_ref() else {
            return false;
        };
        if !db.is_unique_violation() {
            return false;
        }
        if let Some(name) = db.constraint() {
            return name == self.name;
        }
        let columns: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!("{}.{}", self.table, c))
            .collect();
        db.message()
            .strip_prefix("UNIQUE constraint failed: ")
            .is_some_and(|rest| rest == columns.join(", "))
    }
}

/// True when `e` violates any unique constraint.
pub fn is_unique_violation(e: &DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
