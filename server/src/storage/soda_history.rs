//! The history Soda Core asks for while it evaluates change-over-time, anomaly, schema and group
//! evolution checks: measurements by metric identity and check results by any identity version,
//! newest first.

use serde_json::{Value, json};
use sqlx::Row;

use super::{Database, StorageError};
use crate::soda::HistoryQuery;
use crate::timestamp;

impl Database {
    /// `{id, identity, value, dataTime}` items, newest data time first (Soda Core takes the
    /// first as "the previous value"). Each value as Soda Core sent it: a number, or the list a
    /// schema or group evolution check compares with (`[{columnName, sourceDataType}]`, the
    /// groups), or text. Measurements without a value are left out.
    pub async fn historic_measurements(
        &self,
        q: &HistoryQuery,
    ) -> Result<Vec<Value>, StorageError> {
        let rows = self
            .history_rows(
                "SELECT id, metric_identity, value, value_json, data_timestamp FROM measurements \
             WHERE metric_identity = $1 AND (value IS NOT NULL OR value_json IS NOT NULL) \
             AND data_timestamp >= $2 AND data_timestamp <= $3 \
             ORDER BY data_timestamp DESC, id DESC LIMIT $4",
                q,
            )
            .await?;
        rows.iter()
            .map(|row| {
                let id: i64 = row.try_get(0)?;
                let identity: String = row.try_get(1)?;
                let number: Option<f64> = row.try_get(2)?;
                let other: Option<String> = row.try_get(3)?;
                let data_time: i64 = row.try_get(4)?;
                // Stored by `insert_measurements` from the document's JSON: it parses back.
                let value = match (number, other) {
                    (Some(n), _) => json!(n),
                    (None, Some(text)) => serde_json::from_str(&text).unwrap_or(Value::Null),
                    (None, None) => Value::Null,
                };
                Ok(json!({
                    "id": id.to_string(),
                    "identity": identity,
                    "value": value,
                    "dataTime": timestamp::format(data_time),
                }))
            })
            .collect()
    }

    /// Past results of the check(s) known under `identity` (any version: anomaly detection asks
    /// by v1), newest first, each with the id of the measurement it judged.
    pub async fn historic_check_results(
        &self,
        q: &HistoryQuery,
    ) -> Result<Vec<Value>, StorageError> {
        let rows = self
            .history_rows(
            "SELECT DISTINCT cr.id, c.identity, m.id, c.check_type, cr.definition, c.file_path, \
             c.line, c.col, c.metrics, s.name, d.name, c.column_name, cr.outcome, cr.diagnostics, \
             cr.data_timestamp \
             FROM check_identities ci \
             JOIN check_results cr ON cr.check_id = ci.check_id \
             JOIN checks c ON c.id = cr.check_id \
             JOIN data_sources s ON s.id = c.data_source_id \
             LEFT JOIN datasets d ON d.id = c.dataset_id \
             LEFT JOIN measurements m ON m.scan_id = cr.scan_id AND m.metric_identity = cr.metric_identity \
             WHERE ci.identity = $1 AND cr.data_timestamp >= $2 AND cr.data_timestamp <= $3 \
             ORDER BY cr.data_timestamp DESC, cr.id DESC LIMIT $4",
                q,
            )
            .await?;
        rows.iter()
            .map(|row| {
                let measurement_id: Option<i64> = row.try_get(2)?;
                let metrics: String = row.try_get(8)?;
                let diagnostics: String = row.try_get(13)?;
                let data_time: i64 = row.try_get(14)?;
                Ok(json!({
                    "id": row.try_get::<i64, _>(0)?.to_string(),
                    "identity": row.try_get::<String, _>(1)?,
                    "measurementId": measurement_id.map(|id| id.to_string()),
                    "type": row.try_get::<String, _>(3)?,
                    "definition": row.try_get::<String, _>(4)?,
                    "location": {
                        "filePath": row.try_get::<Option<String>, _>(5)?,
                        "line": row.try_get::<Option<i64>, _>(6)?,
                        "col": row.try_get::<Option<i64>, _>(7)?,
                    },
                    "metrics": serde_json::from_str::<Value>(&metrics).unwrap_or(Value::Null),
                    "dataSource": row.try_get::<String, _>(9)?,
                    "table": row.try_get::<Option<String>, _>(10)?,
                    "column": row.try_get::<Option<String>, _>(11)?,
                    "outcome": row.try_get::<Option<String>, _>(12)?,
                    "diagnostics": serde_json::from_str::<Value>(&diagnostics).unwrap_or(Value::Null),
                    "dataTime": timestamp::format(data_time),
                }))
            })
            .collect()
    }

    /// The rows of a history query: `$1` the identity, `$2`..`$3` the data-time window, `$4`
    /// the most rows.
    async fn history_rows(
        &self,
        sql: &'static str,
        q: &HistoryQuery,
    ) -> Result<Vec<sqlx::any::AnyRow>, StorageError> {
        Ok(sqlx::query(sql)
            .bind(&q.identity)
            .bind(q.from.unwrap_or(i64::MIN))
            .bind(q.to.unwrap_or(i64::MAX))
            .bind(q.limit)
            .fetch_all(&self.pool)
            .await?)
    }
}
