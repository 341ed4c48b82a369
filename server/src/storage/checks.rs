//! Reading checks with their latest result (kept current at ingest, so a page of checks never
//! touches the history).

use shared::api::DatabaseEngine;
use sqlx::Row;

use super::batch::{self, Placeholders};
use super::{Database, StorageError};

/// One check and its latest result.
#[derive(Debug, Clone)]
pub struct CheckSummary {
    pub id: i64,
    pub name: String,
    pub check_type: String,
    pub definition: String,
    pub column: Option<String>,
    /// JSON array of `{name, value}`.
    pub attributes: String,
    pub dataset_id: Option<i64>,
    pub dataset_name: Option<String>,
    pub data_source: String,
    pub latest_result_id: Option<i64>,
    pub latest_outcome: Option<String>,
    pub latest_value: Option<f64>,
    pub latest_data_timestamp: Option<i64>,
    pub last_run: Option<i64>,
    pub created_at: i64,
    pub group_identity: Option<String>,
    pub group_name: Option<String>,
    pub scan_definition: Option<String>,
    /// The primary identity (v4 when the check sets `identity:`, else v3).
    pub identity: String,
    /// The data timestamp of the first result of the run of equal outcomes the latest result
    /// ends, and how many results that run has (see `outcome_runs`).
    pub outcome_since: Option<i64>,
    pub outcome_streak: i64,
    /// Outcome changes among the last `RECENT_RESULTS` results.
    pub recent_flips: i64,
    /// The data timestamp of the newest passing result.
    pub last_pass: Option<i64>,
}

/// Which checks to list.
#[derive(Debug, Clone, Default)]
pub enum CheckSelection {
    #[default]
    All,
    Dataset(i64),
    Ids(Vec<i64>),
}

/// What a check summary reads, from `checks c` and [`JOINS`].
const COLUMNS: &str = "c.id, c.name, c.check_type, c.definition, c.column_name, c.attributes, \
    c.dataset_id, d.name, s.name, c.latest_result_id, c.latest_outcome, c.latest_value, \
    c.latest_data_timestamp, sc.scan_end_timestamp, c.created_at, c.group_identity, c.group_name, \
    sd.name, c.identity, c.outcome_since, c.outcome_streak, c.recent_flips, \
    c.last_pass_timestamp";

/// What [`COLUMNS`] joins to `checks c`.
const JOINS: &str = "JOIN data_sources s ON s.id = c.data_source_id \
    LEFT JOIN datasets d ON d.id = c.dataset_id LEFT JOIN scans sc ON sc.id = c.latest_scan_id \
    LEFT JOIN scan_definitions sd ON sd.id = sc.scan_definition_id";

/// The summaries of the checks whose ids `page` yields (a subquery with an `id` column), in
/// `order`.
///
/// Paging picks the page's ids first, joining only what the filters and the order need; the
/// page's rows alone are then joined to their data source, dataset and scan. With the joins
/// around the LIMIT, a page deep in the list joined every row before it too (at offset 950 of
/// 1,000 checks, 1,000 rows joined to show 50). `page` comes first: SQLite keeps the written
/// order of a CROSS JOIN, and looks each check up by id from it.
fn page_of(page: &str, order: &str) -> String {
    format!(
        "SELECT {COLUMNS} FROM ({page}) page CROSS JOIN checks c {JOINS} \
         WHERE c.id = page.id ORDER BY {order}, c.id"
    )
}

impl Database {
    /// A page of checks by name, and how many there are in all.
    pub async fn list_checks(
        &self,
        selection: &CheckSelection,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<CheckSummary>, i64), StorageError> {
        let mut p = Placeholders::new(self.engine);
        let (condition, ids) = match selection {
            CheckSelection::All => (String::new(), Vec::new()),
            CheckSelection::Dataset(id) => {
                (format!("WHERE c.dataset_id = {}", p.next()), vec![*id])
            }
            CheckSelection::Ids(ids) => (
                format!("WHERE c.id IN ({})", p.list(ids.len())),
                ids.clone(),
            ),
        };
        let sql = page_of(
            &format!(
                "SELECT c.id FROM checks c {condition} ORDER BY c.name, c.id LIMIT {} OFFSET {}",
                p.next(),
                p.next()
            ),
            "c.name",
        );
        let mut q = batch::query(sql);
        for id in &ids {
            q = q.bind(*id);
        }
        let rows = q.bind(limit).bind(offset).fetch_all(&self.pool).await?;
        let count_sql = format!(
            "SELECT COUNT(*) FROM checks c {}",
            condition_for_count(self.engine, selection)
        );
        let mut count = batch::query_as::<(i64,)>(count_sql);
        for id in &ids {
            count = count.bind(*id);
        }
        let (total,) = count.fetch_one(&self.pool).await?;
        Ok((summaries(&rows)?, total))
    }
}

fn summaries(rows: &[sqlx::any::AnyRow]) -> Result<Vec<CheckSummary>, StorageError> {
    let checks = rows
        .iter()
        .map(|row| {
            Ok(CheckSummary {
                id: row.try_get(0)?,
                name: row.try_get(1)?,
                check_type: row.try_get(2)?,
                definition: row.try_get(3)?,
                column: row.try_get(4)?,
                attributes: row.try_get(5)?,
                dataset_id: row.try_get(6)?,
                dataset_name: row.try_get(7)?,
                data_source: row.try_get(8)?,
                latest_result_id: row.try_get(9)?,
                latest_outcome: row.try_get(10)?,
                latest_value: row.try_get(11)?,
                latest_data_timestamp: row.try_get(12)?,
                last_run: row.try_get(13)?,
                created_at: row.try_get(14)?,
                group_identity: row.try_get(15)?,
                group_name: row.try_get(16)?,
                scan_definition: row.try_get(17)?,
                identity: row.try_get(18)?,
                outcome_since: row.try_get(19)?,
                outcome_streak: row.try_get(20)?,
                recent_flips: row.try_get(21)?,
                last_pass: row.try_get(22)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(checks)
}

fn condition_for_count(engine: DatabaseEngine, selection: &CheckSelection) -> String {
    let mut p = Placeholders::new(engine);
    match selection {
        CheckSelection::All => String::new(),
        CheckSelection::Dataset(_) => format!("WHERE c.dataset_id = {}", p.next()),
        CheckSelection::Ids(ids) => format!("WHERE c.id IN ({})", p.list(ids.len())),
    }
}

/// The dashboard's filters over checks (all optional, combined with AND).
#[derive(Debug, Clone, Default)]
pub struct CheckFilter {
    /// `pass`, `warn`, `fail`, or `notEvaluated`.
    pub outcome: Option<String>,
    pub dataset_id: Option<i64>,
    pub data_source: Option<String>,
    /// An attribute the check carries, by name and value.
    pub attribute: Option<(String, String)>,
    /// Part of the check's name, dataset, column or definition, any case.
    pub search: Option<String>,
    /// Checks sent with any of these identities (any version).
    pub identities: Vec<String>,
    /// Checks whose outcome changed at least this often among their last results.
    pub min_flips: Option<i64>,
}

/// Sort orders for the checks list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CheckSort {
    #[default]
    Name,
    /// Worst first: fail, warn, not evaluated, pass.
    Outcome,
    Dataset,
    /// Newest data timestamp first.
    DataTimestamp,
    Value,
    /// Since when the outcome holds: the longest-standing first.
    Since,
    /// Outcome changes among the last results: the fewest first.
    Flips,
}

enum Bind {
    Text(String),
    Int(i64),
}

impl Database {
    /// A page of checks for the dashboard, how many match, and the counts per outcome for the
    /// same filters without the outcome one.
    pub async fn search_checks(
        &self,
        filter: &CheckFilter,
        sort: CheckSort,
        descending: bool,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<CheckSummary>, i64, [i64; 4]), StorageError> {
        let (where_all, binds_all) = self.check_conditions(filter, true);
        let (where_rest, binds_rest) = self.check_conditions(filter, false);
        let direction = if descending { "DESC" } else { "ASC" };
        let order = match sort {
            CheckSort::Name => format!("c.name {direction}"),
            CheckSort::Outcome => format!(
                "CASE c.latest_outcome WHEN 'fail' THEN 0 WHEN 'warn' THEN 1 WHEN 'pass' THEN 3 \
                 ELSE 2 END {direction}, c.name"
            ),
            CheckSort::Dataset => format!("d.name {direction}, c.name"),
            CheckSort::DataTimestamp => format!(
                "c.latest_data_timestamp {}, c.name",
                if descending { "ASC" } else { "DESC" }
            ),
            CheckSort::Value => format!("c.latest_value {direction}, c.name"),
            CheckSort::Since => format!("c.outcome_since {direction}, c.name"),
            CheckSort::Flips => format!("c.recent_flips {direction}, c.name"),
        };
        let mut p = Placeholders::new(self.engine);
        let where_sql = where_all.render(&mut p);
        // The page's ids, with the joins only the filters or the order need.
        let needs_dataset = sort == CheckSort::Dataset;
        let needs_source = filter.data_source.is_some();
        let sql = page_of(
            &format!(
                "SELECT c.id FROM checks c {}{} {where_sql} ORDER BY {order}, c.id LIMIT {} OFFSET {}",
                if needs_source {
                    "JOIN data_sources s ON s.id = c.data_source_id "
                } else {
                    ""
                },
                if needs_dataset {
                    "LEFT JOIN datasets d ON d.id = c.dataset_id"
                } else {
                    ""
                },
                p.next(),
                p.next()
            ),
            &order,
        );
        let rows = bind_all(batch::query(sql), &binds_all)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;

        let mut p = Placeholders::new(self.engine);
        let counts_sql = format!(
            "SELECT COALESCE(c.latest_outcome, 'notEvaluated'), COUNT(*) FROM checks c {} {} \
             GROUP BY COALESCE(c.latest_outcome, 'notEvaluated')",
            if needs_source {
                "JOIN data_sources s ON s.id = c.data_source_id"
            } else {
                ""
            },
            where_rest.render(&mut p)
        );
        let mut counts = [0i64; 4];
        for (outcome, n) in bind_all_as(batch::query_as::<(String, i64)>(counts_sql), &binds_rest)
            .fetch_all(&self.pool)
            .await?
        {
            let slot = match outcome.as_str() {
                "pass" => 0,
                "warn" => 1,
                "fail" => 2,
                _ => 3,
            };
            counts[slot] += n;
        }
        // The counts apply every filter but the outcome: the total is the chosen outcome's
        // count, or all of them (one statement fewer per page).
        let total = match filter.outcome.as_deref() {
            None => counts.iter().sum(),
            Some("pass") => counts[0],
            Some("warn") => counts[1],
            Some("fail") => counts[2],
            Some("notEvaluated") => counts[3],
            Some(_) => 0,
        };
        Ok((summaries(&rows)?, total, counts))
    }

    fn check_conditions(
        &self,
        filter: &CheckFilter,
        with_outcome: bool,
    ) -> (Conditions, Vec<Bind>) {
        let mut conditions = Conditions::default();
        let mut binds = Vec::new();
        if with_outcome && let Some(outcome) = &filter.outcome {
            if outcome == "notEvaluated" {
                conditions.push("c.latest_outcome IS NULL");
            } else {
                conditions.push("c.latest_outcome = ?");
                binds.push(Bind::Text(outcome.clone()));
            }
        }
        if let Some(id) = filter.dataset_id {
            conditions.push("c.dataset_id = ?");
            binds.push(Bind::Int(id));
        }
        if let Some(flips) = filter.min_flips {
            conditions.push("c.recent_flips >= ?");
            binds.push(Bind::Int(flips));
        }
        if let Some(ds) = &filter.data_source {
            conditions.push("s.name = ?");
            binds.push(Bind::Text(ds.clone()));
        }
        if let Some((name, value)) = &filter.attribute {
            // Attributes are stored as Soda Core sent them, a compact JSON list of
            // {"name","value"} objects (keys sorted), so one entry is one substring.
            let entry = serde_json::json!({"name": name, "value": value}).to_string();
            conditions.push("c.attributes LIKE ? ESCAPE '\\'");
            binds.push(Bind::Text(format!("%{}%", escape_like(&entry))));
        }
        if let Some(search) = &filter.search {
            // Lower-cased at ingest (`search_text`), so the pattern is too.
            conditions.push("c.search_text LIKE ? ESCAPE '\\'");
            binds.push(Bind::Text(format!(
                "%{}%",
                escape_like(&search.to_lowercase())
            )));
        }
        if !filter.identities.is_empty() {
            let markers = vec!["?"; filter.identities.len()].join(", ");
            conditions.push(&format!(
                "c.id IN (SELECT check_id FROM check_identities WHERE identity IN ({markers}))"
            ));
            for identity in &filter.identities {
                binds.push(Bind::Text(identity.clone()));
            }
        }
        (conditions, binds)
    }
}

/// `LOWER(column)` under the database's own case rules: PostgreSQL names compare byte-wise
/// (collation "C", migration 0010), under which `LOWER` would lower-case ASCII letters only.
/// (SQLite's `LOWER` is ASCII-only in any case.)
pub(super) fn lower_case(engine: DatabaseEngine, column: &str) -> String {
    match engine {
        DatabaseEngine::Postgres => format!("LOWER({column} COLLATE \"default\")"),
        DatabaseEngine::Sqlite => format!("LOWER({column})"),
    }
}

/// SQL conditions written with `?` markers, numbered for the engine when rendered.
#[derive(Debug, Default)]
struct Conditions(Vec<String>);

impl Conditions {
    fn push(&mut self, sql: &str) {
        self.0.push(sql.to_owned());
    }

    fn render(&self, p: &mut Placeholders) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        let mut out = String::from("WHERE ");
        for (i, condition) in self.0.iter().enumerate() {
            if i > 0 {
                out.push_str(" AND ");
            }
            for (j, piece) in condition.split('?').enumerate() {
                if j > 0 {
                    out.push_str(&p.next());
                }
                out.push_str(piece);
            }
        }
        out
    }
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    binds: &[Bind],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for b in binds {
        q = match b {
            Bind::Text(t) => q.bind(t.clone()),
            Bind::Int(i) => q.bind(*i),
        };
    }
    q
}

fn bind_all_as<'q, T>(
    mut q: sqlx::query::QueryAs<'q, sqlx::Any, T, sqlx::any::AnyArguments>,
    binds: &[Bind],
) -> sqlx::query::QueryAs<'q, sqlx::Any, T, sqlx::any::AnyArguments> {
    for b in binds {
        q = match b {
            Bind::Text(t) => q.bind(t.clone()),
            Bind::Int(i) => q.bind(*i),
        };
    }
    q
}

/// `%`, `_` and `\` match themselves, not as LIKE wildcards.
pub(super) fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// One result of a check's history: (result id, scan id, data timestamp, value, outcome,
/// diagnostics JSON).
pub type HistoryRow = (i64, i64, i64, Option<f64>, Option<String>, String);

impl Database {
    /// A check's results with data timestamps in [from, to], oldest first.
    pub async fn check_history(
        &self,
        check_id: i64,
        from: i64,
        to: i64,
    ) -> Result<Vec<HistoryRow>, StorageError> {
        Ok(sqlx::query_as(
            "SELECT id, scan_id, data_timestamp, value, outcome, diagnostics FROM check_results \
             WHERE check_id = $1 AND data_timestamp >= $2 AND data_timestamp <= $3 \
             ORDER BY data_timestamp, id",
        )
        .bind(check_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Up to `limit` results of a check in `from..=to` after `(data_timestamp, id)` `after`, in
    /// that order, without their diagnostics: (id, scan id, data timestamp, value, outcome).
    pub async fn check_history_page(
        &self,
        check_id: i64,
        from: i64,
        to: i64,
        after: (i64, i64),
        limit: i64,
    ) -> Result<Vec<HistoryPageRow>, StorageError> {
        Ok(sqlx::query_as(
            "SELECT id, scan_id, data_timestamp, value, outcome FROM check_results \
             WHERE check_id = $1 AND data_timestamp >= $2 AND data_timestamp <= $3 \
             AND (data_timestamp > $4 OR (data_timestamp = $4 AND id > $5)) \
             ORDER BY data_timestamp, id LIMIT $6",
        )
        .bind(check_id)
        .bind(from)
        .bind(to)
        .bind(after.0)
        .bind(after.1)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn check_exists(&self, check_id: i64) -> Result<bool, StorageError> {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM checks WHERE id = $1")
            .bind(check_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }
}

/// A check result in an export: (id, scan id, data timestamp, value, outcome).
pub type HistoryPageRow = (i64, i64, i64, Option<f64>, Option<String>);

/// Where a check is defined and which identities it was sent with.
#[derive(Debug, Clone)]
pub struct CheckDefinition {
    pub summary: CheckSummary,
    pub file_path: Option<String>,
    pub line: Option<i64>,
    pub col: Option<i64>,
    /// (version, identity), by version.
    pub identities: Vec<(String, String)>,
}

/// One stored check result.
/// An earlier result for the same check and data timestamp that a re-sent scan replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplacedResult {
    /// When the scan that replaced it arrived.
    pub replaced_at: i64,
    pub outcome: Option<String>,
    pub value: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct CheckResultRow {
    pub id: i64,
    pub check_id: i64,
    pub scan_id: i64,
    pub data_timestamp: i64,
    pub outcome: Option<String>,
    pub value: Option<f64>,
    pub name: String,
    pub definition: String,
    pub diagnostics: String,
    pub outcome_reasons: Option<String>,
    pub sample_rows: i64,
}

impl Database {
    /// A check with its definition's place and its identities; `None` when there is none.
    pub async fn check_definition(
        &self,
        check_id: i64,
    ) -> Result<Option<CheckDefinition>, StorageError> {
        let rows = batch::query(format!(
            "SELECT {COLUMNS} FROM checks c {JOINS} WHERE c.id = $1"
        ))
        .bind(check_id)
        .fetch_all(&self.pool)
        .await?;
        let Some(summary) = summaries(&rows)?.into_iter().next() else {
            return Ok(None);
        };
        let (file_path, line, col): (Option<String>, Option<i64>, Option<i64>) =
            sqlx::query_as("SELECT file_path, line, col FROM checks WHERE id = $1")
                .bind(check_id)
                .fetch_one(&self.pool)
                .await?;
        let identities = sqlx::query_as(
            "SELECT version, identity FROM check_identities WHERE check_id = $1 \
             ORDER BY version, identity",
        )
        .bind(check_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(CheckDefinition {
            summary,
            file_path,
            line,
            col,
            identities,
        }))
    }

    /// One check result and how many failed-row sample rows it has.
    pub async fn check_result(
        &self,
        result_id: i64,
    ) -> Result<Option<CheckResultRow>, StorageError> {
        let row = sqlx::query(
            "SELECT r.id, r.check_id, r.scan_id, r.data_timestamp, r.outcome, r.value, r.name, \
             r.definition, r.diagnostics, r.outcome_reasons, \
             (SELECT CAST(COALESCE(SUM(row_count), 0) AS BIGINT) FROM samples \
             WHERE check_result_id = r.id) \
             FROM check_results r WHERE r.id = $1",
        )
        .bind(result_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(CheckResultRow {
            id: row.try_get(0)?,
            check_id: row.try_get(1)?,
            scan_id: row.try_get(2)?,
            data_timestamp: row.try_get(3)?,
            outcome: row.try_get(4)?,
            value: row.try_get(5)?,
            name: row.try_get(6)?,
            definition: row.try_get(7)?,
            diagnostics: row.try_get(8)?,
            outcome_reasons: row.try_get(9)?,
            sample_rows: row.try_get(10)?,
        }))
    }

    /// The results a result replaced, newest first, from the overwrite audit: each re-send of
    /// its scan (same definition, data source and data timestamp) recorded what the scan it
    /// replaced held. At most `limit` of them.
    pub async fn replaced_results(
        &self,
        result: &CheckResultRow,
        limit: usize,
    ) -> Result<Vec<ReplacedResult>, StorageError> {
        let identity: String = sqlx::query_scalar("SELECT identity FROM checks WHERE id = $1")
            .bind(result.check_id)
            .fetch_one(&self.pool)
            .await?;
        let mut replaced = Vec::new();
        let mut scan_id = result.scan_id;
        // Each overwrite names the scan it removed; that scan may have replaced another.
        for _ in 0..limit {
            let row: Option<(i64, i64, String)> = sqlx::query_as(
                "SELECT replaced_at, old_scan_id, old_results FROM scan_overwrites \
                 WHERE new_scan_id = $1 ORDER BY id DESC LIMIT 1",
            )
            .bind(scan_id)
            .fetch_optional(&self.pool)
            .await?;
            let Some((replaced_at, old_scan_id, old_results)) = row else {
                break;
            };
            let old: Vec<serde_json::Value> =
                serde_json::from_str(&old_results).unwrap_or_default();
            if let Some(was) = old.iter().find(|r| r["identity"] == identity.as_str()) {
                replaced.push(ReplacedResult {
                    replaced_at,
                    outcome: was["outcome"].as_str().map(str::to_owned),
                    value: was["value"].as_f64(),
                });
            }
            scan_id = old_scan_id;
        }
        Ok(replaced)
    }
}
