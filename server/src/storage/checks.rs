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
}

/// Which checks to list.
#[derive(Debug, Clone, Default)]
pub enum CheckSelection {
    #[default]
    All,
    Dataset(i64),
    Ids(Vec<i64>),
}

const COLUMNS: &str = "c.id, c.name, c.check_type, c.definition, c.column_name, c.attributes, \
    c.dataset_id, d.name, s.name, c.latest_result_id, c.latest_outcome, c.latest_value, \
    c.latest_data_timestamp, sc.scan_end_timestamp, c.created_at, c.group_identity, c.group_name \
    FROM checks c JOIN data_sources s ON s.id = c.data_source_id \
    LEFT JOIN datasets d ON d.id = c.dataset_id LEFT JOIN scans sc ON sc.id = c.latest_scan_id";

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
        let sql = format!(
            "SELECT {COLUMNS} {condition} ORDER BY c.name, c.id LIMIT {} OFFSET {}",
            p.next(),
            p.next()
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
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok((checks, total))
    }
}

fn condition_for_count(engine: DatabaseEngine, selection: &CheckSelection) -> String {
    let mut p = Placeholders::new(engine);
    match selection {
        CheckSelection::All => String::new(),
        CheckSelection::Dataset(_) => format!("WHERE c.dataset_id = {}", p.next()),
        CheckSelection::Ids(ids) => format!("WHERE c.id IN ({})", p.list(ids.len())),
    }
}
