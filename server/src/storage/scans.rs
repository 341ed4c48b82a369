//! Storing one scan results document: everything in one transaction, so a scan is stored
//! completely or not at all. Also keeps the rollups current (each check's latest result, each
//! dataset's last scan and whether it failed), so no page ever scans the whole history.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};
use shared::api::DatabaseEngine;
use sqlx::{Any, Row, Transaction};

use super::batch::SqlType::{Int, Real, Text};
use super::batch::{self, Placeholders, Rows};
use super::{Database, StorageError};
use crate::credentials;
use crate::soda::document::{Check, ScanResults};
use crate::timestamp;
use sha2::{Digest, Sha256};

/// What `insert_scan` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredScan {
    pub scan_id: i64,
    /// The scan with the same definition and data timestamp that this one replaced.
    pub replaced_scan_id: Option<i64>,
}

type Tx = Transaction<'static, Any>;

/// Who sends a scan to `insert_scan`, which decides what it may replace.
#[derive(Debug, Clone, Copy)]
pub struct ScanSender<'a> {
    /// The API key that sent it; `None` for Seltzer itself (`seltzer seed`, tests).
    pub api_key_id: Option<&'a str>,
    /// Whether it may replace a scan another key sent (editor and admin keys may).
    pub may_replace_others: bool,
}

impl ScanSender<'static> {
    /// Seltzer itself: may replace any scan.
    pub const SELTZER: Self = Self {
        api_key_id: None,
        may_replace_others: true,
    };
}

/// (result id, data timestamp, outcome, value, scan id) of one check result.
type ResultSummary = (i64, i64, Option<String>, Option<f64>, i64);

/// A nullable number as a bind parameter. sqlx 0.9's Any driver binds a NULL `f64` as a
/// PostgreSQL `float4`, and the statement cached with that type then rejects every later real
/// `f64` ("incorrect binary data format"). Text binds as text whether NULL or not; the SQL
/// casts it back (`CAST($n AS DOUBLE PRECISION)`). `f64`'s `Display` round-trips exactly.
fn nullable_number(value: Option<f64>) -> Option<String> {
    value.map(|v| v.to_string())
}

impl Database {
    /// Deletes a scan (its results, measurements and coverage) and moves every check's latest
    /// result and every dataset's status back to what remains. False when there is no such scan.
    pub async fn delete_scan(&self, scan_id: i64) -> Result<bool, StorageError> {
        let _gate = self.write_gate().await;
        let mut tx = self.begin_write().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM scans WHERE id = $1")
            .bind(scan_id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Ok(false);
        }
        let removed = remove_scan(&mut tx, scan_id).await?;
        // The failed rows it sampled (rows of the customer's warehouse) go with it.
        delete_unlinked_samples(&mut tx, &removed.sample_files).await?;
        repair_rollups(&mut tx, self.engine, &removed).await?;
        tx.commit().await?;
        self.request_checkpoint();
        Ok(true)
    }

    /// Stores a parsed scan results document (`payload` is the raw body, kept verbatim).
    /// A scan with the same scan definition, data source and data timestamp is replaced, when
    /// `sender` may replace it (its own scan, or it may replace others').
    pub async fn insert_scan(
        &self,
        doc: &ScanResults,
        payload: &str,
        sender: ScanSender<'_>,
    ) -> Result<StoredScan, StorageError> {
        let api_key_id = sender.api_key_id;
        // Work that needs no database happens before the gate (see `Described`).
        let described: Vec<Described> = doc.all_checks().map(Described::new).collect();
        let logs = serde_json::to_string(&doc.logs).unwrap_or_else(|_| "[]".to_owned());
        let _gate = self.write_gate().await;
        let mut tx = self.begin_write().await?;
        let definition_id = upsert_scan_definition(&mut tx, &doc.definition_name).await?;

        let replaced = replace_existing(&mut tx, definition_id, doc, sender).await?;
        let scan_id =
            insert_scan_row(&mut tx, doc, definition_id, &logs, payload, api_key_id).await?;

        let mut names = NameCache::default();
        let covered = covered_datasets(&mut tx, &mut names, doc, definition_id, scan_id).await?;
        let StoredResults { counts, recount } = insert_check_results(
            &mut tx,
            self.engine,
            &mut names,
            doc,
            &described,
            scan_id,
            api_key_id,
        )
        .await?;
        if let Some(old) = &replaced {
            // Samples of the replaced scan that the new one does not reference go with it.
            delete_unlinked_samples(&mut tx, &old.sample_files).await?;
        }
        insert_measurements(&mut tx, self.engine, doc, scan_id).await?;

        // Dataset statuses last: PostgreSQL holds these rows' locks until commit, and every
        // scan of a dataset needs them, so the shorter the better.
        let mut locked: BTreeSet<i64> = covered.union(&recount).copied().collect();
        if let Some(old) = &replaced {
            locked.extend(&old.dataset_ids);
        }
        lock_datasets(&mut tx, self.engine, &locked).await?;
        for &dataset_id in &covered {
            // The dataset's outcome counts in this scan: its health chart reads these.
            let [pass, warn, fail, not_evaluated] =
                counts.get(&dataset_id).copied().unwrap_or_default();
            sqlx::query(
                "INSERT INTO scan_datasets (scan_id, dataset_id, data_timestamp, pass_count, \
                 warn_count, fail_count, not_evaluated_count) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(scan_id)
            .bind(dataset_id)
            .bind(doc.data_timestamp)
            .bind(pass)
            .bind(warn)
            .bind(fail)
            .bind(not_evaluated)
            .execute(&mut *tx)
            .await?;
            // A backfill (older data timestamp) never displaces a newer scan's status.
            sqlx::query(
                "UPDATE datasets SET last_scan_id = $1, last_scan_data_timestamp = $2, \
                 last_scan_failed = $3 WHERE id = $4 \
                 AND (last_scan_data_timestamp IS NULL OR last_scan_data_timestamp <= $2)",
            )
            .bind(scan_id)
            .bind(doc.data_timestamp)
            .bind(i64::from(doc.failed()))
            .bind(dataset_id)
            .execute(&mut *tx)
            .await?;
        }

        let recount: Vec<i64> = recount.into_iter().collect();
        refresh_check_counts(&mut tx, self.engine, &recount).await?;

        if let Some(old) = &replaced {
            let (engine, timestamp) = (self.engine, doc.data_timestamp);
            finish_replacement(&mut tx, engine, old, definition_id, timestamp, scan_id).await?;
        }
        tx.commit().await?;
        self.request_checkpoint();
        Ok(StoredScan {
            scan_id,
            replaced_scan_id: replaced.map(|r| r.scan_id),
        })
    }
}

/// Ids of data sources and datasets met while storing one scan.
#[derive(Default)]
struct NameCache {
    data_sources: HashMap<String, i64>,
    datasets: HashMap<(i64, String), i64>,
}

impl NameCache {
    async fn data_source(&mut self, tx: &mut Tx, name: &str) -> Result<i64, StorageError> {
        if let Some(&id) = self.data_sources.get(name) {
            return Ok(id);
        }
        // Looked up before any insert: see `upsert_scan_definition`.
        let select = sqlx::query_scalar("SELECT id FROM data_sources WHERE name = $1").bind(name);
        let id: i64 = match select.fetch_optional(&mut **tx).await? {
            Some(id) => id,
            None => {
                sqlx::query(
                    "INSERT INTO data_sources (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
                )
                .bind(name)
                .execute(&mut **tx)
                .await?;
                sqlx::query_scalar("SELECT id FROM data_sources WHERE name = $1")
                    .bind(name)
                    .fetch_one(&mut **tx)
                    .await?
            }
        };
        self.data_sources.insert(name.to_owned(), id);
        Ok(id)
    }

    async fn dataset(
        &mut self,
        tx: &mut Tx,
        data_source: &str,
        name: &str,
    ) -> Result<i64, StorageError> {
        let ds = self.data_source(tx, data_source).await?;
        if let Some(&id) = self.datasets.get(&(ds, name.to_owned())) {
            return Ok(id);
        }
        // Looked up before any insert: on PostgreSQL an `INSERT … ON CONFLICT` that meets the
        // row waits for every open transaction that updated it, and each scan updates its
        // datasets' rows (their status) until it commits, so concurrent scans of a dataset
        // queued here from their very start. A plain read does not wait.
        let select = "SELECT id FROM datasets WHERE data_source_id = $1 AND name = $2";
        let existing: Option<i64> = sqlx::query_scalar(select)
            .bind(ds)
            .bind(name)
            .fetch_optional(&mut **tx)
            .await?;
        let id = match existing {
            Some(id) => id,
            None => {
                sqlx::query(
                    "INSERT INTO datasets (data_source_id, name) VALUES ($1, $2) \
                     ON CONFLICT (data_source_id, name) DO NOTHING",
                )
                .bind(ds)
                .bind(name)
                .execute(&mut **tx)
                .await?;
                sqlx::query_scalar(select)
                    .bind(ds)
                    .bind(name)
                    .fetch_one(&mut **tx)
                    .await?
            }
        };
        self.datasets.insert((ds, name.to_owned()), id);
        Ok(id)
    }

    /// The dataset's id if it is already stored (does not create it).
    async fn existing_dataset(
        &mut self,
        tx: &mut Tx,
        data_source: &str,
        name: &str,
    ) -> Result<Option<i64>, StorageError> {
        Ok(sqlx::query_scalar(
            "SELECT d.id FROM datasets d JOIN data_sources s ON s.id = d.data_source_id \
             WHERE s.name = $1 AND d.name = $2",
        )
        .bind(data_source)
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?)
    }
}

/// The scan definition's id, created on first use. Looked up before any insert, like data
/// sources and datasets: an `INSERT … ON CONFLICT` costs a write and, on PostgreSQL, waits for
/// open transactions that touched the row.
async fn upsert_scan_definition(tx: &mut Tx, name: &str) -> Result<i64, StorageError> {
    let existing: Option<i64> =
        sqlx::query_scalar("SELECT id FROM scan_definitions WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut **tx)
            .await?;
    if let Some(id) = existing {
        return Ok(id);
    }
    sqlx::query("INSERT INTO scan_definitions (name) VALUES ($1) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .execute(&mut **tx)
        .await?;
    Ok(
        sqlx::query_scalar("SELECT id FROM scan_definitions WHERE name = $1")
            .bind(name)
            .fetch_one(&mut **tx)
            .await?,
    )
}

/// The scan an overwrite removed, with what is needed to repair the rollups afterwards.
struct Replaced {
    scan_id: i64,
    old_results: Value,
    check_ids: Vec<i64>,
    dataset_ids: Vec<i64>,
    /// Its failed-row sample files, unlinked from its results: deleted unless the scan that
    /// replaces it references them again (a re-send of the same document).
    sample_files: Vec<String>,
}

/// Removes an earlier scan with the same definition, data source and data timestamp (its
/// results, measurements and coverage go with it), remembering what it held for the audit
/// table. A scan from another data source is never replaced; one sent by another API key only
/// when the sender may replace others' scans.
async fn replace_existing(
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
async fn delete_unlinked_samples(tx: &mut Tx, files: &[String]) -> Result<(), StorageError> {
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
async fn remove_scan(tx: &mut Tx, old: i64) -> Result<Replaced, StorageError> {
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

async fn insert_scan_row(
    tx: &mut Tx,
    doc: &ScanResults,
    definition_id: i64,
    logs: &str,
    payload: &str,
    api_key_id: Option<&str>,
) -> Result<i64, StorageError> {
    let (mut pass, mut warn, mut fail, mut not_evaluated) = (0i64, 0i64, 0i64, 0i64);
    for check in doc.all_checks() {
        match check.outcome.map(|o| o.as_str()) {
            Some("pass") => pass += 1,
            Some("warn") => warn += 1,
            Some(_) => fail += 1,
            None => not_evaluated += 1,
        }
    }
    Ok(sqlx::query_scalar(
        "INSERT INTO scans (scan_definition_id, default_data_source, data_timestamp, \
         scan_start_timestamp, scan_end_timestamp, received_at, has_errors, has_warnings, \
         has_failures, pass_count, warn_count, fail_count, not_evaluated_count, error_count, \
         logs, payload, api_key_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
         RETURNING id",
    )
    .bind(definition_id)
    .bind(&doc.default_data_source)
    .bind(doc.data_timestamp)
    .bind(doc.scan_start_timestamp)
    .bind(doc.scan_end_timestamp)
    .bind(timestamp::now())
    .bind(i64::from(doc.failed()))
    .bind(i64::from(doc.has_warnings))
    .bind(i64::from(doc.has_failures))
    .bind(pass)
    .bind(warn)
    .bind(fail)
    .bind(not_evaluated)
    .bind(i64::try_from(doc.error_log_count()).unwrap_or(i64::MAX))
    .bind(logs)
    .bind(payload)
    .bind(api_key_id)
    .fetch_one(&mut **tx)
    .await?)
}

/// The datasets the scan covered. Tables the document names explicitly, plus tables that
/// metric identities name and Seltzer already knows. A scan that failed before naming any
/// table (an unreachable data source) covers what the same scan definition covered last time,
/// so those datasets show that their scan failed.
async fn covered_datasets(
    tx: &mut Tx,
    names: &mut NameCache,
    doc: &ScanResults,
    definition_id: i64,
    scan_id: i64,
) -> Result<BTreeSet<i64>, StorageError> {
    let mut covered = BTreeSet::new();
    for (ds, table) in doc.named_tables() {
        covered.insert(names.dataset(tx, &ds, &table).await?);
    }
    for (ds, table) in doc.metric_table_candidates() {
        if let Some(id) = names.existing_dataset(tx, &ds, &table).await? {
            covered.insert(id);
        }
    }
    if covered.is_empty() && doc.failed() {
        let previous: Vec<i64> = sqlx::query_scalar(
            "SELECT sd.dataset_id FROM scan_datasets sd WHERE sd.scan_id = \
             (SELECT id FROM scans WHERE scan_definition_id = $1 AND id <> $2 \
              ORDER BY data_timestamp DESC, id DESC LIMIT 1)",
        )
        .bind(definition_id)
        .bind(scan_id)
        .fetch_all(&mut **tx)
        .await?;
        covered.extend(previous);
    }
    Ok(covered)
}

/// What a check's row holds that needs no database, worked out before the write gate is taken:
/// on SQLite scans are written one at a time, and this JSON and hashing (a 1,000-check scan
/// did it a thousand times inside the gate) can overlap another scan's writes instead.
pub(super) struct Described {
    attributes: String,
    metrics: String,
    outcome_reasons: Option<String>,
    /// What the checks list's text search matches (see [`search_text`]).
    search_text: String,
    /// SHA-256 of everything describing the check but its data source and dataset ids.
    digest: [u8; 32],
}

impl Described {
    pub(super) fn new(check: &Check) -> Self {
        // Serialising JSON values and strings cannot fail; the fallbacks are never used.
        let attributes =
            serde_json::to_string(&check.resource_attributes).unwrap_or_else(|_| "[]".into());
        let metrics = serde_json::to_string(&check.metrics).unwrap_or_else(|_| "[]".into());
        let (location, group) = (check.location.as_ref(), check.group.as_ref());
        let described = serde_json::to_vec(&(
            &check.name,
            &check.check_type,
            &check.definition,
            location.and_then(|l| l.file_path.as_deref()),
            location.and_then(|l| l.line),
            location.and_then(|l| l.col),
            &check.column,
            &attributes,
            &metrics,
            group.and_then(|g| g.identity.as_deref()),
            group.and_then(|g| g.name.as_deref()),
            check.all_identities(),
        ))
        .unwrap_or_default();
        Self {
            attributes,
            metrics,
            outcome_reasons: check.outcome_reasons.as_ref().map(Value::to_string),
            search_text: search_text(check),
            digest: Sha256::digest(&described).into(),
        }
    }
}

/// The check's name, dataset and column, lower-cased (all of Unicode, on both engines) and
/// joined by a unit separator, which no search term contains: a search is one `LIKE` on one
/// column instead of `LOWER` over three columns of every check (migration 0011/0012).
fn search_text(check: &Check) -> String {
    [
        check.name.as_str(),
        check.table.as_deref().unwrap_or_default(),
        check.column.as_deref().unwrap_or_default(),
    ]
    .map(str::to_lowercase)
    .join("\u{1f}")
}

/// One check of the document with everything resolved that its rows need.
struct CheckRow<'a> {
    check: &'a Check,
    described: &'a Described,
    data_source_id: i64,
    dataset_id: Option<i64>,
    /// What the check's row and identities hold, hashed: see `store_checks`.
    digest: String,
}

impl<'a> CheckRow<'a> {
    fn new(
        check: &'a Check,
        described: &'a Described,
        data_source_id: i64,
        dataset_id: Option<i64>,
    ) -> Self {
        let mut hash = Sha256::new();
        hash.update(data_source_id.to_le_bytes());
        hash.update([u8::from(dataset_id.is_some())]);
        hash.update(dataset_id.unwrap_or_default().to_le_bytes());
        hash.update(described.digest);
        Self {
            check,
            described,
            data_source_id,
            dataset_id,
            digest: credentials::hex(&hash.finalize()),
        }
    }
}

/// The engine's "differs, NULL counting as a value" operator.
fn differs(engine: DatabaseEngine) -> &'static str {
    match engine {
        DatabaseEngine::Postgres => "IS DISTINCT FROM",
        DatabaseEngine::Sqlite => "IS NOT",
    }
}

/// What storing a scan's check results changed.
struct StoredResults {
    /// Per dataset, this scan's outcome counts: pass, warn, fail, not evaluated.
    counts: HashMap<i64, [i64; 4]>,
    /// Datasets whose checks by latest outcome changed.
    recount: BTreeSet<i64>,
}

/// Stores every check of the document: upserts the checks, records their identities, inserts
/// the results and moves each check's description and latest result forward, all in
/// multi-row statements. Returns the outcome counts per dataset: pass, warn, fail, not
/// evaluated.
async fn insert_check_results(
    tx: &mut Tx,
    engine: DatabaseEngine,
    names: &mut NameCache,
    doc: &ScanResults,
    described: &[Described],
    scan_id: i64,
    api_key_id: Option<&str>,
) -> Result<StoredResults, StorageError> {
    let mut rows = Vec::new();
    for (check, described) in doc.all_checks().zip(described) {
        let data_source = doc.data_source_of(check);
        let data_source_id = names.data_source(tx, data_source).await?;
        let dataset_id = match check.table.as_deref().filter(|t| !t.is_empty()) {
            Some(table) => Some(names.dataset(tx, data_source, table).await?),
            None => None,
        };
        rows.push(CheckRow::new(check, described, data_source_id, dataset_id));
    }

    let check_ids = store_checks(tx, engine, doc, &rows).await?;
    let check_id = |row: &CheckRow<'_>| -> Result<i64, StorageError> {
        check_ids
            .get(row.check.primary_identity())
            .copied()
            .ok_or_else(|| StorageError::Query(sqlx::Error::RowNotFound))
    };
    let mut results = Rows::new(&[Int, Int, Int, Text, Real, Text, Text, Text, Text, Text]);
    for row in &rows {
        let check = row.check;
        results.push([
            check_id(row)?.into(),
            scan_id.into(),
            doc.data_timestamp.into(),
            check.outcome.map(|o| o.as_str()).into(),
            check.value().into(),
            check.diagnostics.raw.as_str().into(),
            row.described.outcome_reasons.clone().into(),
            check.metrics.first().cloned().into(),
            check.name.clone().into(),
            check.definition.clone().into(),
        ]);
    }
    // check id -> result id of this scan.
    let mut result_ids: HashMap<i64, i64> = HashMap::with_capacity(rows.len());
    let inserts = results.statements(engine, |source, _| {
        format!(
            "INSERT INTO check_results (check_id, scan_id, data_timestamp, outcome, value, \
             diagnostics, outcome_reasons, metric_identity, name, definition) {source} \
             RETURNING check_id, id"
        )
    });
    for statement in inserts {
        result_ids.extend(
            statement
                .query_as::<(i64, i64)>()
                .fetch_all(&mut **tx)
                .await?,
        );
    }

    // Each check's latest result moves forward; a backfill (older data timestamp) only adds
    // history. (The upsert above moved the description forward under the same rule.) Each
    // moved row also notes whether its outcome changed (or it had none yet): only the datasets
    // of those checks need their check counts recounted. The note is taken in SET, from the
    // row as it is when updated (after any concurrent scan of the same check committed), so it
    // is exact where a read before the UPDATE would not be.
    let differs = differs(engine);
    let update = format!(
        "UPDATE checks SET latest_result_id = r.id, latest_data_timestamp = r.data_timestamp, \
         latest_outcome = r.outcome, latest_value = r.value, latest_scan_id = r.scan_id, \
         latest_outcome_changed = CASE WHEN checks.latest_data_timestamp IS NULL \
           OR checks.latest_outcome {differs} r.outcome THEN 1 ELSE 0 END \
         FROM check_results r WHERE r.scan_id = $1 AND checks.id = r.check_id \
         AND (checks.latest_data_timestamp IS NULL \
              OR checks.latest_data_timestamp <= r.data_timestamp) \
         RETURNING checks.dataset_id, checks.latest_outcome_changed"
    );
    // PostgreSQL sends back one row per changed dataset, not one per check (a thousand rows
    // over the wire and through the driver per scan); SQLite, in-process, has no UPDATE in a
    // WITH clause.
    let sql = match engine {
        DatabaseEngine::Postgres => format!(
            "WITH moved AS ({update}) SELECT dataset_id, MAX(latest_outcome_changed) FROM moved \
             WHERE latest_outcome_changed = 1 GROUP BY dataset_id"
        ),
        DatabaseEngine::Sqlite => update,
    };
    let moved: Vec<(Option<i64>, i64)> = batch::query_as(sql)
        .bind(scan_id)
        .fetch_all(&mut **tx)
        .await?;
    let recount: BTreeSet<i64> = moved
        .into_iter()
        .filter(|&(_, changed)| changed != 0)
        .filter_map(|(dataset, _)| dataset)
        .collect();

    // Samples uploaded before the results arrive are linked to the result that references them.
    // One lookup finds which referenced files were uploaded: a scan references many (every
    // failing check with samples) but often has none stored (collection switched off, or an
    // upload that failed), and a round trip per reference was a third of a scan's store time.
    let mut references = Vec::new();
    for row in &rows {
        let result_id = result_ids.get(&check_id(row)?).copied();
        for (file_id, columns) in row.check.sample_files() {
            references.push((file_id, columns, result_id));
        }
    }
    let mut referenced = Rows::new(&[Text]);
    for (file_id, _, _) in &references {
        referenced.push([file_id.as_str().into()]);
    }
    // A file id links only a sample its own API key uploaded and no other result holds: a
    // file id seen elsewhere (a log, a link) must not move someone else's failed rows.
    let mut uploaded = std::collections::HashSet::new();
    let lookups = referenced.statements(engine, |source, _| {
        format!(
            "SELECT file_id, api_key_id, check_result_id FROM samples WHERE file_id IN ({source})"
        )
    });
    for statement in lookups {
        let found = statement
            .query_as::<(String, Option<String>, Option<i64>)>()
            .fetch_all(&mut **tx)
            .await?;
        uploaded.extend(
            found
                .into_iter()
                .filter(|(_, key, linked)| key.as_deref() == api_key_id && linked.is_none())
                .map(|(f, _, _)| f),
        );
    }
    for (file_id, columns, result_id) in references {
        if !uploaded.contains(file_id) {
            continue;
        }
        sqlx::query("UPDATE samples SET check_result_id = $1, columns = $2 WHERE file_id = $3")
            .bind(result_id)
            .bind(columns.as_ref().map(Value::to_string))
            .bind(file_id.as_str())
            .execute(&mut **tx)
            .await?;
    }
    let mut counts: HashMap<i64, [i64; 4]> = HashMap::new();
    for row in &rows {
        if let Some(dataset_id) = row.dataset_id {
            let slot = match row.check.outcome.map(|o| o.as_str()) {
                Some("pass") => 0,
                Some("warn") => 1,
                Some("fail") => 2,
                _ => 3,
            };
            counts.entry(dataset_id).or_default()[slot] += 1;
        }
    }
    Ok(StoredResults { counts, recount })
}

/// Upserts the document's checks and records their identities; returns the check id of each
/// primary identity. Most scans re-send checks exactly as stored, so each row carries a digest
/// of everything it describes (identities included) and only checks that are new or whose
/// digest differs are written: one lookup instead of an upsert and an identity insert per check
/// (on PostgreSQL a third of a 1,000-check scan's store time went to rewriting nothing).
/// A backfill (older data timestamp) never rewrites a newer description, but its identities
/// are still indexed.
async fn store_checks(
    tx: &mut Tx,
    engine: DatabaseEngine,
    doc: &ScanResults,
    rows: &[CheckRow<'_>],
) -> Result<HashMap<String, i64>, StorageError> {
    // One row per identity (PostgreSQL refuses an upsert that touches a row twice); a document
    // that repeats an identity keeps its last check.
    // Sorted by identity: concurrent scans on PostgreSQL then lock the rows and index entries
    // they share in the same order, which rules out deadlocks between them.
    let mut last: std::collections::BTreeMap<&str, &CheckRow<'_>> = Default::default();
    for row in rows {
        last.insert(row.check.primary_identity(), row);
    }

    let mut check_ids: HashMap<String, i64> = HashMap::with_capacity(last.len());
    let mut changed: Vec<&CheckRow<'_>> = Vec::new();
    let mut lookup = Rows::new(&[Text]);
    for identity in last.keys() {
        lookup.push([(*identity).into()]);
    }
    let lookups = lookup.statements(engine, |source, _| {
        format!("SELECT identity, id, digest FROM checks WHERE identity IN ({source})")
    });
    let mut stored: HashMap<String, (i64, Option<String>)> = HashMap::with_capacity(last.len());
    for statement in lookups {
        let found = statement
            .query_as::<(String, i64, Option<String>)>()
            .fetch_all(&mut **tx)
            .await?;
        stored.extend(found.into_iter().map(|(i, id, d)| (i, (id, d))));
    }
    for (identity, row) in &last {
        match stored.get(*identity) {
            Some((id, digest)) if digest.as_deref() == Some(row.digest.as_str()) => {
                check_ids.insert((*identity).to_owned(), *id);
            }
            _ => changed.push(row),
        }
    }
    if changed.is_empty() {
        return Ok(check_ids);
    }

    let now = timestamp::now();
    let mut checks = Rows::new(&[
        Text, Int, Int, Text, Text, Text, Text, Int, Int, Text, Text, Text, Text, Text, Int, Text,
        Text,
    ]);
    let mut new_identities = Rows::new(&[Text]);
    for row in &changed {
        let (check, location, group) = (
            row.check,
            row.check.location.as_ref(),
            row.check.group.as_ref(),
        );
        checks.push([
            check.primary_identity().into(),
            row.data_source_id.into(),
            row.dataset_id.into(),
            check.name.clone().into(),
            check.check_type.clone().into(),
            check.definition.clone().into(),
            location.and_then(|l| l.file_path.clone()).into(),
            location.and_then(|l| l.line).into(),
            location.and_then(|l| l.col).into(),
            check.column.clone().into(),
            row.described.attributes.clone().into(),
            row.described.metrics.clone().into(),
            group.and_then(|g| g.identity.clone()).into(),
            group.and_then(|g| g.name.clone()).into(),
            now.into(),
            row.digest.clone().into(),
            row.described.search_text.clone().into(),
        ]);
        if !stored.contains_key(check.primary_identity()) {
            new_identities.push([check.primary_identity().into()]);
        }
    }
    let differs = differs(engine);
    let upserts = checks.statements(engine, |source, p| {
        format!(
            "INSERT INTO checks (identity, data_source_id, dataset_id, name, check_type, \
             definition, file_path, line, col, column_name, attributes, metrics, group_identity, \
             group_name, created_at, digest, search_text) {source} \
             ON CONFLICT (identity) DO UPDATE SET \
             data_source_id = excluded.data_source_id, dataset_id = excluded.dataset_id, \
             name = excluded.name, check_type = excluded.check_type, \
             definition = excluded.definition, file_path = excluded.file_path, \
             line = excluded.line, col = excluded.col, column_name = excluded.column_name, \
             attributes = excluded.attributes, metrics = excluded.metrics, \
             group_identity = excluded.group_identity, group_name = excluded.group_name, \
             digest = excluded.digest, search_text = excluded.search_text \
             WHERE (checks.latest_data_timestamp IS NULL OR checks.latest_data_timestamp <= {}) \
             AND checks.digest {differs} excluded.digest",
            p.next(),
        )
    });
    for statement in upserts {
        statement
            .query()
            .bind(doc.data_timestamp)
            .execute(&mut **tx)
            .await?;
    }
    for (identity, (id, _)) in stored {
        check_ids.insert(identity, id);
    }
    let lookups = new_identities.statements(engine, |source, _| {
        format!("SELECT identity, id FROM checks WHERE identity IN ({source})")
    });
    for statement in lookups {
        check_ids.extend(
            statement
                .query_as::<(String, i64)>()
                .fetch_all(&mut **tx)
                .await?,
        );
    }

    let changed_identities: std::collections::HashSet<&str> =
        changed.iter().map(|r| r.check.primary_identity()).collect();
    let mut sorted = Vec::new();
    for row in rows {
        let primary = row.check.primary_identity();
        if !changed_identities.contains(primary) {
            continue;
        }
        let id = check_ids
            .get(primary)
            .copied()
            .ok_or(StorageError::Query(sqlx::Error::RowNotFound))?;
        for (version, identity) in row.check.all_identities() {
            sorted.push((identity, version, id));
        }
    }
    sorted.sort();
    let mut identities = Rows::new(&[Text, Text, Int]);
    for (identity, version, id) in sorted {
        identities.push([identity.into(), version.into(), id.into()]);
    }
    let inserts = identities.statements(engine, |source, _| {
        format!(
            "INSERT INTO check_identities (identity, version, check_id) {source} \
             ON CONFLICT (identity, version, check_id) DO NOTHING"
        )
    });
    for statement in inserts {
        statement.query().execute(&mut **tx).await?;
    }
    Ok(check_ids)
}

/// Every metric value, numeric ones as numbers (the history Soda Core asks for) and the rest
/// (timestamps as text, schema lists) as JSON.
async fn insert_measurements(
    tx: &mut Tx,
    engine: DatabaseEngine,
    doc: &ScanResults,
    scan_id: i64,
) -> Result<(), StorageError> {
    let mut measurements = Rows::new(&[Int, Text, Text, Real, Text, Int]);
    for metric in &doc.metrics {
        let (number, other) = match metric.value.as_f64() {
            Some(n) => (Some(n), None),
            None if metric.value.is_null() => (None, None),
            None => (None, Some(metric.value.to_string())),
        };
        measurements.push([
            scan_id.into(),
            metric.identity.clone().into(),
            metric.metric_name.clone().into(),
            number.into(),
            other.into(),
            doc.data_timestamp.into(),
        ]);
    }
    let inserts = measurements.statements(engine, |source, _| {
        format!(
            "INSERT INTO measurements (scan_id, metric_identity, metric_name, value, value_json, \
             data_timestamp) {source}"
        )
    });
    for statement in inserts {
        statement.query().execute(&mut **tx).await?;
    }
    Ok(())
}

/// After an overwrite: record what was replaced, and re-point rollups that still pointed at
/// the removed scan (a check or dataset the new scan no longer reports).
async fn finish_replacement(
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

/// Locks the datasets' rows (PostgreSQL; SQLite writes one scan at a time), all at once and in
/// id order, before the transaction touches any of them: scans that share datasets then queue
/// instead of deadlocking (a status update that a backfill skips takes no lock, so updating
/// them one by one did not lock in order). It also makes check counts exact: a concurrent scan
/// that changed the same datasets' checks holds these locks until it commits, so the count,
/// a later statement, sees what it wrote. `NO KEY`: the lock an `UPDATE` of these rows takes,
/// which leaves the key-share locks of foreign keys (coverage rows inserted by other scans;
/// new checks took them too before migration 0014) alone; plain `FOR UPDATE` waits on those,
/// and two scans deadlocked on it.
async fn lock_datasets(
    tx: &mut Tx,
    engine: DatabaseEngine,
    dataset_ids: &BTreeSet<i64>,
) -> Result<(), StorageError> {
    if engine != DatabaseEngine::Postgres || dataset_ids.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = dataset_ids.iter().copied().collect();
    for chunk in ids.chunks(batch::ROWS_PER_STATEMENT) {
        let mut p = Placeholders::new(engine);
        let mut lock = batch::query(format!(
            "SELECT id FROM datasets WHERE id IN ({}) ORDER BY id FOR NO KEY UPDATE",
            p.list(chunk.len())
        ));
        for id in chunk {
            lock = lock.bind(*id);
        }
        lock.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Recounts the datasets' checks by latest outcome (migration 0010/0011), after their checks'
/// latest outcomes changed: one statement per batch of datasets, each counting its checks
/// through the checks-by-dataset index. The caller has locked them ([`lock_datasets`]).
async fn refresh_check_counts(
    tx: &mut Tx,
    engine: DatabaseEngine,
    dataset_ids: &[i64],
) -> Result<(), StorageError> {
    for chunk in dataset_ids.chunks(batch::ROWS_PER_STATEMENT) {
        let mut p = Placeholders::new(engine);
        let sql = format!(
            "UPDATE datasets SET (checks_total, checks_pass, checks_warn, checks_fail) = (\
               SELECT COUNT(*), COUNT(CASE WHEN c.latest_outcome = 'pass' THEN 1 END), \
               COUNT(CASE WHEN c.latest_outcome = 'warn' THEN 1 END), \
               COUNT(CASE WHEN c.latest_outcome = 'fail' THEN 1 END) \
               FROM checks c WHERE c.dataset_id = datasets.id) \
             WHERE id IN ({})",
            p.list(chunk.len())
        );
        let mut q = batch::query(sql);
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Re-points rollups that still point at a removed scan: a check's latest result and a
/// dataset's last scan fall back to the newest that remain, and the datasets' check counts
/// follow.
async fn repair_rollups(
    tx: &mut Tx,
    engine: DatabaseEngine,
    old: &Replaced,
) -> Result<(), StorageError> {
    let datasets: BTreeSet<i64> = old.dataset_ids.iter().copied().collect();
    lock_datasets(tx, engine, &datasets).await?;
    for &check_id in &old.check_ids {
        let points_at_old: Option<i64> =
            sqlx::query_scalar("SELECT id FROM checks WHERE id = $1 AND latest_scan_id = $2")
                .bind(check_id)
                .bind(old.scan_id)
                .fetch_optional(&mut **tx)
                .await?;
        if points_at_old.is_none() {
            continue;
        }
        let latest: Option<ResultSummary> = sqlx::query_as(
            "SELECT id, data_timestamp, outcome, value, scan_id FROM check_results \
             WHERE check_id = $1 ORDER BY data_timestamp DESC, id DESC LIMIT 1",
        )
        .bind(check_id)
        .fetch_optional(&mut **tx)
        .await?;
        let (id, ts, outcome, value, scan) = match latest {
            Some((id, ts, outcome, value, scan)) => {
                (Some(id), Some(ts), outcome, value, Some(scan))
            }
            None => (None, None, None, None, None),
        };
        sqlx::query(
            "UPDATE checks SET latest_result_id = $1, latest_data_timestamp = $2, \
             latest_outcome = $3, latest_value = CAST($4 AS DOUBLE PRECISION), \
             latest_scan_id = $5 WHERE id = $6",
        )
        .bind(id)
        .bind(ts)
        .bind(outcome)
        .bind(nullable_number(value))
        .bind(scan)
        .bind(check_id)
        .execute(&mut **tx)
        .await?;
    }

    for &dataset_id in &old.dataset_ids {
        let latest = sqlx::query(
            "SELECT s.id, s.data_timestamp, s.has_errors FROM scan_datasets sd \
             JOIN scans s ON s.id = sd.scan_id WHERE sd.dataset_id = $1 \
             ORDER BY sd.data_timestamp DESC, sd.scan_id DESC LIMIT 1",
        )
        .bind(dataset_id)
        .fetch_optional(&mut **tx)
        .await?;
        let (id, ts, failed): (Option<i64>, Option<i64>, bool) = match &latest {
            Some(row) => (
                Some(row.try_get(0)?),
                Some(row.try_get(1)?),
                row.try_get::<i64, _>(2)? != 0,
            ),
            None => (None, None, false),
        };
        sqlx::query(
            "UPDATE datasets SET last_scan_id = $1, last_scan_data_timestamp = $2, \
             last_scan_failed = $3 WHERE id = $4 AND last_scan_id = $5",
        )
        .bind(id)
        .bind(ts)
        .bind(i64::from(failed))
        .bind(dataset_id)
        .bind(old.scan_id)
        .execute(&mut **tx)
        .await?;
    }
    let datasets: Vec<i64> = datasets.into_iter().collect();
    refresh_check_counts(tx, engine, &datasets).await
}
