//! Reading one scan: its times, counts, log and the outcomes of its checks.

use sqlx::Row;

use super::{Database, StorageError};

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
    pub error_count: i64,
    /// The scan log as Soda Core sent it (a JSON array).
    pub logs: String,
    /// (check id, outcome) of every result in the scan.
    pub checks: Vec<(i64, Option<String>)>,
}

impl Database {
    pub async fn scan(&self, id: i64) -> Result<Option<ScanDetail>, StorageError> {
        let row = sqlx::query(
            "SELECT s.id, s.scan_definition_id, d.name, s.data_timestamp, s.scan_start_timestamp, \
             s.scan_end_timestamp, s.received_at, s.has_errors, s.pass_count, s.warn_count, \
             s.fail_count, s.error_count, s.logs \
             FROM scans s JOIN scan_definitions d ON d.id = s.scan_definition_id WHERE s.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let checks: Vec<(i64, Option<String>)> = sqlx::query_as(
            "SELECT check_id, outcome FROM check_results WHERE scan_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
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
            checks,
        }))
    }
}
