//! Reading scans: the list, and one scan with its times, counts, log and the outcomes of its
//! checks.

use sqlx::Row;

use super::{Database, StorageError};
use shared::api::OutcomeCounts;

#[derive(Debug, Clone)]
pub struct ScanDetail {
    pub id: i64,
    pub definition_id: i64,
    pub definition_name: String,
    pub data_timestamp: i64,
    pub started: i64,
    pub ended: i64,
    pub received_at: i64,
    pub has_errors: bool,
    pub pass_count: i64,
    pub warn_count: i64,
    pub fail_count: i64,
    pub not_evaluated_count: i64,
    pub error_count: i64,
    pub data_source: String,
    /// The scan log as Soda Core sent it (a JSON array).
    pub logs: String,
    /// (check id, outcome) of every result in the scan.
    pub checks: Vec<(i64, Option<String>)>,
}

impl Database {
    /// A scan with the check results it carries.
    pub async fn scan(&self, id: i64) -> Result<Option<ScanDetail>, StorageError> {
        let Some(mut scan) = self.scan_without_checks(id).await? else {
            return Ok(None);
        };
        scan.checks = sqlx::query_as(
            "SELECT check_id, outcome FROM check_results WHERE scan_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(scan))
    }

    /// A scan without its check results (`checks` is empty): for pages that only show the
    /// scan's times, counts and logs.
    pub async fn scan_without_checks(&self, id: i64) -> Result<Option<ScanDetail>, StorageError> {
        let row = sqlx::query(
            "SELECT s.id, s.scan_definition_id, d.name, s.data_timestamp, s.scan_start_timestamp, \
             s.scan_end_timestamp, s.received_at, s.has_errors, s.pass_count, s.warn_count, \
             s.fail_count, s.error_count, s.logs, s.not_evaluated_count, s.default_data_source \
             FROM scans s JOIN scan_definitions d ON d.id = s.scan_definition_id WHERE s.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(ScanDetail {
            id: row.try_get(0)?,
            definition_id: row.try_get(1)?,
            definition_name: row.try_get(2)?,
            data_timestamp: row.try_get(3)?,
            started: row.try_get(4)?,
            ended: row.try_get(5)?,
            received_at: row.try_get(6)?,
            has_errors: row.try_get::<i64, _>(7)? != 0,
            pass_count: row.try_get(8)?,
            warn_count: row.try_get(9)?,
            fail_count: row.try_get(10)?,
            error_count: row.try_get(11)?,
            logs: row.try_get(12)?,
            not_evaluated_count: row.try_get(13)?,
            data_source: row.try_get(14)?,
            checks: Vec::new(),
        }))
    }
}

/// One row of the scans list.
#[derive(Debug, Clone)]
pub struct ScanRow {
    pub id: i64,
    pub definition: String,
    pub data_source: String,
    pub data_timestamp: i64,
    pub started: i64,
    pub ended: i64,
    pub received_at: i64,
    pub counts: OutcomeCounts,
    pub errors: i64,
    pub has_errors: bool,
}

/// Which scans to list.
#[derive(Debug, Clone, Default)]
pub struct ScanFilter {
    pub definition: Option<String>,
    pub dataset_id: Option<i64>,
    pub failed: Option<bool>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

const SCAN_COLUMNS: &str = "s.id, d.name, s.default_data_source, s.data_timestamp, \
    s.scan_start_timestamp, s.scan_end_timestamp, s.received_at, s.pass_count, s.warn_count, \
    s.fail_count, s.not_evaluated_count, s.error_count, s.has_errors";

impl Database {
    /// A page of scans, newest data timestamp first, and how many match.
    pub async fn list_scans(
        &self,
        filter: &ScanFilter,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<ScanRow>, i64), StorageError> {
        // Absent filters compare against values that match everything, so one statement
        // serves every combination and every value stays a bound parameter.
        let condition = "WHERE ($1 = '' OR d.name = $1) \
            AND ($2 = 0 OR s.id IN (SELECT scan_id FROM scan_datasets WHERE dataset_id = $2)) \
            AND ($3 = -1 OR s.has_errors = $3) \
            AND s.data_timestamp >= $4 AND s.data_timestamp <= $5";
        let from = "FROM scans s JOIN scan_definitions d ON d.id = s.scan_definition_id";
        let definition = filter.definition.clone().unwrap_or_default();
        let dataset = filter.dataset_id.unwrap_or(0);
        let failed = filter.failed.map_or(-1, i64::from);
        let (lo, hi) = (
            filter.from.unwrap_or(i64::MIN),
            filter.to.unwrap_or(i64::MAX),
        );
        let (total,): (i64,) =
            super::batch::query_as(format!("SELECT COUNT(*) {from} {condition}"))
                .bind(definition.clone())
                .bind(dataset)
                .bind(failed)
                .bind(lo)
                .bind(hi)
                .fetch_one(&self.pool)
                .await?;
        let rows = super::batch::query(format!(
            "SELECT {SCAN_COLUMNS} {from} {condition} \
             ORDER BY s.data_timestamp DESC, s.id DESC LIMIT $6 OFFSET $7"
        ))
        .bind(definition)
        .bind(dataset)
        .bind(failed)
        .bind(lo)
        .bind(hi)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let scans = rows
            .iter()
            .map(|row| {
                Ok(ScanRow {
                    id: row.try_get(0)?,
                    definition: row.try_get(1)?,
                    data_source: row.try_get(2)?,
                    data_timestamp: row.try_get(3)?,
                    started: row.try_get(4)?,
                    ended: row.try_get(5)?,
                    received_at: row.try_get(6)?,
                    counts: OutcomeCounts {
                        pass: row.try_get(7)?,
                        warn: row.try_get(8)?,
                        fail: row.try_get(9)?,
                        not_evaluated: row.try_get(10)?,
                    },
                    errors: row.try_get(11)?,
                    has_errors: row.try_get::<i64, _>(12)? != 0,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok((scans, total))
    }

    /// The checks of one scan: (check id, result id, name, dataset, outcome, value,
    /// definition).
    pub async fn scan_checks(&self, scan_id: i64) -> Result<Vec<ScanCheckRow>, StorageError> {
        Ok(sqlx::query_as(
            "SELECT cr.check_id, cr.id, cr.name, d.name, cr.outcome, cr.value, cr.definition \
             FROM check_results cr \
             JOIN checks c ON c.id = cr.check_id LEFT JOIN datasets d ON d.id = c.dataset_id \
             WHERE cr.scan_id = $1 ORDER BY cr.name, cr.id",
        )
        .bind(scan_id)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// (check id, result id, name, dataset, outcome, value, definition).
pub type ScanCheckRow = (
    i64,
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<f64>,
    String,
);
