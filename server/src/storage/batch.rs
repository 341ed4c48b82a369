//! Multi-row statements: one round trip for many rows instead of one per row, which is what
//! makes a 1,000-check scan cheap to store. Values are always bound parameters; only the
//! placeholders are generated.
//!
//! Placeholders are numbered (`$1`, `$2`, …) for PostgreSQL but anonymous (`?`) for SQLite:
//! sqlx looks every SQLite parameter up by name, and SQLite finds a name by walking the list
//! of named parameters, so thousands of `$n` cost quadratic time (it was 40 % of a 1,000-check
//! ingest). Anonymous parameters are bound in the order they appear in the text, so statements
//! built here bind their values in textual order on both engines.

use shared::api::DatabaseEngine;
use sqlx::any::AnyArguments;
use sqlx::query::{Query, QueryAs};
use sqlx::{Any, AssertSqlSafe, FromRow};

/// Rows per statement: well under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters
/// for the widest rows Seltzer writes (15 columns).
pub const ROWS_PER_STATEMENT: usize = 200;

/// Hands out the next placeholder in textual order.
#[derive(Debug)]
pub struct Placeholders {
    engine: DatabaseEngine,
    next: usize,
}

impl Placeholders {
    pub fn new(engine: DatabaseEngine) -> Self {
        Self { engine, next: 1 }
    }

    pub fn next(&mut self) -> String {
        let n = self.next;
        self.next += 1;
        match self.engine {
            DatabaseEngine::Sqlite => "?".to_owned(),
            DatabaseEngine::Postgres => format!("${n}"),
        }
    }

    /// `(…, …), (…, …)` for `rows` rows of `columns.len()` columns. A column spelled
    /// `"DOUBLE PRECISION"` is wrapped in a cast (see `scans::nullable_number`); `""` is bare.
    pub fn values(&mut self, rows: usize, columns: &[&str]) -> String {
        let mut sql = String::with_capacity(rows * columns.len() * 6);
        for row in 0..rows {
            if row > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for (i, cast) in columns.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                let p = self.next();
                if cast.is_empty() {
                    sql.push_str(&p);
                } else {
                    sql.push_str(&format!("CAST({p} AS {cast})"));
                }
            }
            sql.push(')');
        }
        sql
    }

    /// `…, …` for an `IN (…)` list of `n` values.
    pub fn list(&mut self, n: usize) -> String {
        (0..n).map(|_| self.next()).collect::<Vec<_>>().join(", ")
    }
}

/// A query over generated SQL. Safe because the text only ever holds placeholders.
pub fn query(sql: String) -> Query<'static, Any, AnyArguments> {
    sqlx::query(AssertSqlSafe(sql))
}

pub fn query_as<T>(sql: String) -> QueryAs<'static, Any, T, AnyArguments>
where
    T: for<'r> FromRow<'r, sqlx::any::AnyRow>,
{
    sqlx::query_as(AssertSqlSafe(sql))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_placeholders_number_in_textual_order_and_cast_where_asked() {
        let mut p = Placeholders::new(DatabaseEngine::Postgres);
        assert_eq!(
            p.values(2, &["", "DOUBLE PRECISION"]),
            "($1, CAST($2 AS DOUBLE PRECISION)), ($3, CAST($4 AS DOUBLE PRECISION))"
        );
        assert_eq!(p.next(), "$5");
        assert_eq!(p.list(2), "$6, $7");
    }

    #[test]
    fn sqlite_placeholders_are_anonymous() {
        let mut p = Placeholders::new(DatabaseEngine::Sqlite);
        assert_eq!(p.values(1, &["", ""]), "(?, ?)");
        assert_eq!(p.list(3), "?, ?, ?");
    }
}
