//! Overwrites: a scan with the same definition, data source and data timestamp as a stored one
//! replaces it; the old one's results and samples go, and its rollups are repaired.

use super::*;

/// The scan an overwrite removed, with what is needed to repair the rollups afterwards.
pub(super) struct Replaced {
    pub(super) scan_id: i64,
    pub(super) old_results: Value,
    pub(super) check_ids: Vec<i64>,
    pub(super) dataset_ids: Vec<i64>,
    /// Its failed-row sample files, unlinked from its results: deleted unless the scan that
    /// replaces it references them again (a re-send of the same document).
    pub(super) sample_files: Vec<String>,
}

/// Removes an earlier scan with the same definition, data source and data timestamp (its
/// results, measurements and coverage go with it), remembering what it held for the audit
/// table. A scan from another data source is never replaced; one sent by another API key only
/// when the sender may replace others' scans.
pub(super) async fn replace_existing(
    tx: &mut Tx,
    definition_id: i64,
    doc: &ScanResults,
    sender: ScanSender<'_>,
) -> Result<Option<Replaced>, StorageError> {
    let old: Option<(i64, Option<String>)> = sqlx::query_as(
        "SELECT id, api_key_id FROM scans WHERE scan_definition_id = $1 \
         AND default_data_source = $2 AND data_timestamp = $3",
    )
    .bind(definition_id)
    .bind(&doc.default_data_source)
    .bind(doc.data_timestamp)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((old, old_key)) = old else {
        return Ok(None);
    };
    if !sender.may_replace_others && old_key.as_deref() != sender.api_key_id {
        return Err(StorageError::OverwriteRefused {
            definition: doc.definition_name.clone(),
            data_source: doc.default_data_source.clone(),
            data_timestamp: timestamp::format(doc.data_timestamp),
        });
    }
    Ok(Some(remove_scan(tx, old).await?))
}

/// Deletes those of `files` that no check result references (any more).
pub(super) async fn delete_unlinked_samples(
    tx: &mut Tx,
    files: &[String],
) -> Result<(), StorageError> {
    for file_id in files {
        sqlx::query("DELETE FROM samples WHERE file_id = $1 AND check_result_id IS NULL")
            .bind(file_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Deletes a scan with its results, measurements and coverage, and returns what it held.
/// The caller repairs the rollups that pointed at it (`repair_rollups`).
pub(super) async fn remove_scan(tx: &mut Tx, old: i64) -> Result<Replaced, StorageError> {
    let rows = sqlx::query(
        "SELECT c.identity, cr.outcome, cr.value, cr.check_id FROM check_results cr \
         JOIN checks c ON c.id = cr.check_id WHERE cr.scan_id = $1 ORDER BY cr.id",
    )
    .bind(old)
    .fetch_all(&mut **tx)
    .await?;
    let mut old_results = Vec::with_capacity(rows.len());
    let mut check_ids = Vec::with_capacity(rows.len());
    for row in &rows {
        let identity: String = row.try_get(0)?;
        let outcome: Option<String> = row.try_get(1)?;
        let value: Option<f64> = row.try_get(2)?;
        old_results.push(json!({"identity": identity, "outcome": outcome, "value": value}));
        check_ids.push(row.try_get(3)?);
    }
    let dataset_ids: Vec<i64> =
        sqlx::query_scalar("SELECT dataset_id FROM scan_datasets WHERE scan_id = $1")
            .bind(old)
            .fetch_all(&mut **tx)
            .await?;
    let sample_files: Vec<String> = sqlx::query_scalar(
        "SELECT file_id FROM samples WHERE check_result_id IN \
         (SELECT id FROM check_results WHERE scan_id = $1)",
    )
    .bind(old)
    .fetch_all(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE samples SET check_result_id = NULL WHERE check_result_id IN \
         (SELECT id FROM check_results WHERE scan_id = $1)",
    )
    .bind(old)
    .execute(&mut **tx)
    .await?;
    // Explicitly, not by cascade: on PostgreSQL these tables have no foreign keys (see
    // migration 0008 there).
    for sql in [
        "DELETE FROM check_results WHERE scan_id = $1",
        "DELETE FROM measurements WHERE scan_id = $1",
        "DELETE FROM scans WHERE id = $1",
    ] {
        sqlx::query(sql).bind(old).execute(&mut **tx).await?;
    }
    Ok(Replaced {
        scan_id: old,
        old_results: Value::Array(old_results),
        check_ids,
        dataset_ids,
        sample_files,
    })
}

/// After an overwrite: record what was replaced, and re-point rollups that still pointed at
/// the removed scan (a check or dataset the new scan no longer reports).
pub(super) async fn finish_replacement(
    tx: &mut Tx,
    engine: DatabaseEngine,
    old: &Replaced,
    definition_id: i64,
    data_timestamp: i64,
    new_scan_id: i64,
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO scan_overwrites (replaced_at, scan_definition_id, data_timestamp, \
         old_scan_id, new_scan_id, old_results) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(timestamp::now())
    .bind(definition_id)
    .bind(data_timestamp)
    .bind(old.scan_id)
    .bind(new_scan_id)
    .bind(old.old_results.to_string())
    .execute(&mut **tx)
    .await?;
    repair_rollups(tx, engine, old).await
}
