//! Multi-row statements: one round trip for many rows instead of one per row, which is what
//! makes a 1,000-check scan cheap to store. Values are always bound parameters; only the
//! placeholders are generated.
//!
//! [`Rows`] holds a table's rows once and renders them the way each engine takes them fastest:
//! SQLite gets `VALUES (…), (…)` in chunks; PostgreSQL gets one statement per table whose rows
//! come from `UNNEST` over one array parameter per column. PostgreSQL analyses a 3,000-parameter
//! `VALUES` list value by value (measured: 14 ms per 1,000 rows of 6 columns), while an array
//! parameter is a single value it parses in C. The Any driver cannot bind arrays, so each
//! column travels as the text of a PostgreSQL array literal and the SQL casts it back.
//!
//! Placeholders are numbered (`$1`, `$2`, …) for PostgreSQL but anonymous (`?`) for SQLite:
//! sqlx looks every SQLite parameter up by name, and SQLite finds a name by walking the list
//! of named parameters, so thousands of `$n` cost quadratic time (it was 40 % of a 1,000-check
//! ingest). Anonymous parameters are bound in the order they appear in the text, so statements
//! built here bind their values in textual order on both engines.

use std::fmt::Write as _;

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
    /// `"DOUBLE PRECISION"` is wrapped in a cast (see `scan_writes::nullable_number`); `""` is bare.
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

/// The SQL type of a column in [`Rows`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlType {
    Int,
    Text,
    Real,
}

impl SqlType {
    fn postgres_array(self) -> &'static str {
        match self {
            SqlType::Int => "BIGINT[]",
            SqlType::Text => "TEXT[]",
            SqlType::Real => "DOUBLE PRECISION[]",
        }
    }
}

/// One value of a row in [`Rows`].
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Int(Option<i64>),
    Text(Option<String>),
    Real(Option<f64>),
}

impl From<i64> for Cell {
    fn from(v: i64) -> Self {
        Cell::Int(Some(v))
    }
}
impl From<Option<i64>> for Cell {
    fn from(v: Option<i64>) -> Self {
        Cell::Int(v)
    }
}
impl From<String> for Cell {
    fn from(v: String) -> Self {
        Cell::Text(Some(v))
    }
}
impl From<&str> for Cell {
    fn from(v: &str) -> Self {
        Cell::Text(Some(v.to_owned()))
    }
}
impl From<Option<String>> for Cell {
    fn from(v: Option<String>) -> Self {
        Cell::Text(v)
    }
}
impl From<Option<&str>> for Cell {
    fn from(v: Option<&str>) -> Self {
        Cell::Text(v.map(str::to_owned))
    }
}
impl From<Option<f64>> for Cell {
    fn from(v: Option<f64>) -> Self {
        Cell::Real(v)
    }
}

/// The rows of one multi-row statement, column types fixed up front.
#[derive(Debug)]
pub struct Rows {
    types: Vec<SqlType>,
    cells: Vec<Cell>,
}

/// A statement over [`Rows`]: its SQL and the values to bind, in textual order. Parameters the
/// caller's SQL adds after the rows' source are bound by the caller, after these.
#[derive(Debug)]
pub struct Statement {
    sql: String,
    binds: Vec<Cell>,
}

impl Rows {
    pub fn new(types: &[SqlType]) -> Self {
        Self {
            types: types.to_vec(),
            cells: Vec::new(),
        }
    }

    /// Adds a row; its cells must match the column types, in order.
    pub fn push<const N: usize>(&mut self, row: [Cell; N]) {
        debug_assert_eq!(N, self.types.len(), "row width");
        debug_assert!(
            row.iter().zip(&self.types).all(|(c, t)| matches!(
                (c, t),
                (Cell::Int(_), SqlType::Int)
                    | (Cell::Text(_), SqlType::Text)
                    | (Cell::Real(_), SqlType::Real)
            )),
            "cell types"
        );
        self.cells.extend(row);
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The statements that feed these rows to `sql`, which is called with the rows' source
    /// (`VALUES …` or `SELECT * FROM UNNEST(…)`, usable after `INSERT INTO t (…)` or inside
    /// `IN (…)`) and the placeholders to continue with. No statement when there are no rows.
    pub fn statements(
        &self,
        engine: DatabaseEngine,
        sql: impl Fn(&str, &mut Placeholders) -> String,
    ) -> Vec<Statement> {
        if self.is_empty() {
            return Vec::new();
        }
        let width = self.types.len();
        match engine {
            DatabaseEngine::Sqlite => self
                .cells
                .chunks(width * ROWS_PER_STATEMENT)
                .map(|chunk| {
                    let mut p = Placeholders::new(engine);
                    let source =
                        format!("VALUES {}", p.values(chunk.len() / width, &vec![""; width]));
                    Statement {
                        sql: sql(&source, &mut p),
                        binds: chunk.to_vec(),
                    }
                })
                .collect(),
            DatabaseEngine::Postgres => {
                let mut p = Placeholders::new(engine);
                let arrays: Vec<String> = self
                    .types
                    .iter()
                    .map(|t| format!("CAST({} AS {})", p.next(), t.postgres_array()))
                    .collect();
                let source = format!("SELECT * FROM UNNEST({})", arrays.join(", "));
                let binds = (0..width)
                    .map(|column| {
                        Cell::Text(Some(postgres_array(
                            self.cells.iter().skip(column).step_by(width),
                        )))
                    })
                    .collect();
                vec![Statement {
                    sql: sql(&source, &mut p),
                    binds,
                }]
            }
        }
    }
}

/// A PostgreSQL array literal (`{1,NULL,"a \"b\""}`) of one column's cells.
fn postgres_array<'a>(cells: impl Iterator<Item = &'a Cell>) -> String {
    let mut out = String::from("{");
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        // Writing to a String cannot fail.
        match cell {
            Cell::Int(Some(v)) => _ = write!(out, "{v}"),
            // `f64`'s Display round-trips exactly and never uses an exponent.
            Cell::Real(Some(v)) => _ = write!(out, "{v}"),
            Cell::Text(Some(v)) => {
                // Copied a run at a time between the characters that need a backslash: a
                // character at a time was most of the time spent here (diagnostics are long).
                out.push('"');
                let mut rest = v.as_str();
                while let Some(at) = rest.find(['"', '\\']) {
                    out.push_str(&rest[..at]);
                    out.push('\\');
                    out.push_str(&rest[at..=at]);
                    rest = &rest[at + 1..];
                }
                out.push_str(rest);
                out.push('"');
            }
            Cell::Int(None) | Cell::Real(None) | Cell::Text(None) => out.push_str("NULL"),
        }
    }
    out.push('}');
    out
}

impl Statement {
    pub fn query(self) -> Query<'static, Any, AnyArguments> {
        let mut q = query(self.sql);
        for cell in self.binds {
            q = match cell {
                Cell::Int(v) => q.bind(v),
                Cell::Text(v) => q.bind(v),
                Cell::Real(v) => q.bind(v),
            };
        }
        q
    }

    pub fn query_as<T>(self) -> QueryAs<'static, Any, T, AnyArguments>
    where
        T: for<'r> FromRow<'r, sqlx::any::AnyRow>,
    {
        let mut q = query_as(self.sql);
        for cell in self.binds {
            q = match cell {
                Cell::Int(v) => q.bind(v),
                Cell::Text(v) => q.bind(v),
                Cell::Real(v) => q.bind(v),
            };
        }
        q
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
    fn postgres_gets_one_statement_with_an_array_per_column() {
        let mut rows = Rows::new(&[SqlType::Int, SqlType::Text, SqlType::Real]);
        rows.push([1.into(), "plain".into(), Some(1.5).into()]);
        rows.push([
            Cell::Int(None),
            r#"say "hi" \ bye"#.into(),
            Cell::Real(None),
        ]);
        rows.push([3.into(), Cell::Text(None), Some(-2e-3).into()]);
        let statements = rows.statements(DatabaseEngine::Postgres, |source, p| {
            format!("INSERT INTO t (a, b, c) {source} WHERE x = {}", p.next())
        });
        assert_eq!(statements.len(), 1);
        assert_eq!(
            statements[0].sql,
            "INSERT INTO t (a, b, c) SELECT * FROM UNNEST(CAST($1 AS BIGINT[]), \
             CAST($2 AS TEXT[]), CAST($3 AS DOUBLE PRECISION[])) WHERE x = $4"
        );
        assert_eq!(
            statements[0].binds,
            vec![
                Cell::Text(Some("{1,NULL,3}".into())),
                Cell::Text(Some(r#"{"plain","say \"hi\" \\ bye",NULL}"#.into())),
                Cell::Text(Some("{1.5,NULL,-0.002}".into())),
            ]
        );
    }

    #[test]
    fn postgres_array_text_escapes_quotes_and_backslashes_anywhere() {
        let cells: Vec<Cell> = ["", "\"", "\\", "é\"ü\\", "{\"a\": \"b\\\\c\"}\\"]
            .into_iter()
            .map(Cell::from)
            .collect();
        assert_eq!(
            postgres_array(cells.iter()),
            r#"{"","\"","\\","é\"ü\\","{\"a\": \"b\\\\c\"}\\"}"#
        );
    }

    #[test]
    fn sqlite_gets_values_in_chunks() {
        let mut rows = Rows::new(&[SqlType::Int, SqlType::Text]);
        for i in 0..(ROWS_PER_STATEMENT as i64 + 1) {
            rows.push([i.into(), "x".into()]);
        }
        let statements = rows.statements(DatabaseEngine::Sqlite, |source, _| {
            format!("INSERT INTO t {source}")
        });
        assert_eq!(statements.len(), 2);
        assert_eq!(statements[1].sql, "INSERT INTO t VALUES (?, ?)");
        assert_eq!(statements[0].binds.len(), 2 * ROWS_PER_STATEMENT);
        assert_eq!(
            statements[1].binds,
            vec![Cell::Int(Some(ROWS_PER_STATEMENT as i64)), "x".into()]
        );
        assert!(
            Rows::new(&[SqlType::Int])
                .statements(DatabaseEngine::Sqlite, |s, _| s.to_owned())
                .is_empty()
        );
    }

    #[test]
    fn sqlite_placeholders_are_anonymous() {
        let mut p = Placeholders::new(DatabaseEngine::Sqlite);
        assert_eq!(p.values(1, &["", ""]), "(?, ?)");
        assert_eq!(p.list(3), "?, ?, ?");
    }
}
