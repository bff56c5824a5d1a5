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

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ConnectOptions, ConnectionTrait, Database};

    const A: Unique = Unique {
        name: "t_a_key",
        table: "t",
        columns: &["a"],
    };
    const AB: Unique = Unique {
        name: "t_a_b_key",
        table: "t",
        columns: &["a", "b"],
    };

    /// A violation is told apart from another constraint's and from any other error (SQLite's
    /// message form; PostgreSQL's name form is exercised by the duplicate credit code tests).
    #[tokio::test]
    async fn a_violation_is_matched_to_its_own_constraint_only() {
        let db = Database::connect(
            ConnectOptions::new("sqlite::memory:")
                .max_connections(1)
                .to_owned(),
        )
        .await
        .unwrap();
        db.execute_unprepared(
            "CREATE TABLE t (a TEXT UNIQUE, b TEXT, c TEXT NOT NULL, UNIQUE (b, c)); \
             INSERT INTO t VALUES ('x', 'y', 'z')",
        )
        .await
        .unwrap();
        let on_a = db
            .execute_unprepared("INSERT INTO t VALUES ('x', 'q', 'z')")
            .await
            .unwrap_err();
        assert!(A.violated_by(&on_a), "{on_a}");
        assert!(!AB.violated_by(&on_a), "another constraint: {on_a}");
        let on_bc = db
            .execute_unprepared("INSERT INTO t VALUES ('w', 'y', 'z')")
            .await
            .unwrap_err();
        assert!(!A.violated_by(&on_bc), "{on_bc}");
        let not_null = db
            .execute_unprepared("INSERT INTO t VALUES ('v', 'y', NULL)")
            .await
            .unwrap_err();
        assert!(
            !A.violated_by(&not_null),
            "not a unique violation: {not_null}"
        );
        assert!(!A.violated_by(&DbErr::Custom("t.a".into())));
    }
}
