//! Runs Soda Core 4 reports in batches (managed runs, `SODA_SCAN_ID` set): opened by
//! `sodaCoreScanStart`, fed a results document and streamed log lines, and stored as one scan
//! when `sodaCoreScanEndAsync` closes them — Soda Cloud, too, ingests a batched run only then.

use super::{Database, StorageError};
use crate::credentials;
use crate::timestamp;

/// One batched run as `sodaCoreScanStart` opened it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BatchedRun {
    /// What the client names the run by in later commands (`scanReference`).
    pub reference: String,
    /// The client's `SODA_SCAN_ID`, which its log stream is addressed to.
    pub run_id: String,
    pub definition: String,
    pub data_source: String,
    pub data_timestamp: Option<String>,
    pub api_key_id: Option<String>,
    /// `started`, `ending` (one Seltzer is storing it), `ended` or `failed`.
    pub state: String,
    /// The results document (`sodaCoreInsertScanDataBatch`), without its token.
    pub document: Option<String>,
    /// The scan it was stored as.
    pub scan_id: Option<i64>,
}

/// A streamed log line: the client's thread and index (a line sent twice is kept once) and the
/// line as JSON.
pub struct StreamedLog {
    pub thread: String,
    pub index: i64,
    pub line: String,
}

const COLUMNS: &str = "reference, run_id, definition, data_source, data_timestamp, api_key_id, \
                       state, document, scan_id";

impl Database {
    /// Opens a batched run; its reference.
    pub async fn start_batched_run(
        &self,
        run_id: &str,
        definition: &str,
        data_source: &str,
        data_timestamp: Option<&str>,
        api_key_id: Option<&str>,
    ) -> Result<String, StorageError> {
        let reference = format!("run-{}", credentials::random_hex(12));
        let _gate = self.write_gate().await;
        sqlx::query(
            "INSERT INTO batched_runs (reference, run_id, definition, data_source, \
             data_timestamp, api_key_id, state, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'started', $7)",
        )
        .bind(&reference)
        .bind(run_id)
        .bind(definition)
        .bind(data_source)
        .bind(data_timestamp)
        .bind(api_key_id)
        .bind(timestamp::now())
        .execute(&self.pool)
        .await?;
        Ok(reference)
    }

    pub async fn batched_run(&self, reference: &str) -> Result<Option<BatchedRun>, StorageError> {
        let sql = format!("SELECT {COLUMNS} FROM batched_runs WHERE reference = $1");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(reference)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The newest run the client opened under this `SODA_SCAN_ID`.
    pub async fn latest_batched_run(
        &self,
        run_id: &str,
    ) -> Result<Option<BatchedRun>, StorageError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM batched_runs WHERE run_id = $1 \
             ORDER BY created_at DESC, reference DESC LIMIT 1"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(run_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Keeps the run's results document; false when the run is no longer open.
    pub async fn set_batched_document(
        &self,
        reference: &str,
        document: &str,
    ) -> Result<bool, StorageError> {
        let _gate = self.write_gate().await;
        let done = sqlx::query(
            "UPDATE batched_runs SET document = $1 WHERE reference = $2 AND state = 'started'",
        )
        .bind(document)
        .bind(reference)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(done == 1)
    }

    /// The bytes of log lines the run holds.
    pub async fn batched_log_bytes(&self, reference: &str) -> Result<i64, StorageError> {
        Ok(sqlx::query_scalar(
            "SELECT COALESCE(SUM(LENGTH(line)), 0) FROM batched_run_logs WHERE reference = $1",
        )
        .bind(reference)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Adds streamed lines; a line already held (same thread and index) is not added again.
    pub async fn add_batched_logs(
        &self,
        reference: &str,
        lines: &[StreamedLog],
    ) -> Result<(), StorageError> {
        let _gate = self.write_gate().await;
        let mut tx = self.pool.begin().await?;
        for l in lines {
            sqlx::query(
                "INSERT INTO batched_run_logs (reference, thread, line_index, line) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(reference)
            .bind(&l.thread)
            .bind(l.index)
            .bind(&l.line)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The run's streamed lines (JSON), in the order the client numbered them.
    pub async fn batched_logs(&self, reference: &str) -> Result<Vec<String>, StorageError> {
        Ok(sqlx::query_scalar(
            "SELECT line FROM batched_run_logs WHERE reference = $1 \
             ORDER BY line_index, thread",
        )
        .bind(reference)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Moves the run from state `from` to `to`, noting the scan it was stored as; false when
    /// it was not in `from` (another request or another Seltzer moved it first).
    pub async fn move_batched_run(
        &self,
        reference: &str,
        from: &str,
        to: &str,
        scan_id: Option<i64>,
    ) -> Result<bool, StorageError> {
        let _gate = self.write_gate().await;
        let ended = matches!(to, "ended" | "failed").then(timestamp::now);
        let done = sqlx::query(
            "UPDATE batched_runs SET state = $1, scan_id = COALESCE($2, scan_id), \
             ended_at = COALESCE($3, ended_at) WHERE reference = $4 AND state = $5",
        )
        .bind(to)
        .bind(scan_id)
        .bind(ended)
        .bind(reference)
        .bind(from)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(done == 1)
    }
}
