//! Storing one scan results document: everything in one transaction, so a scan is stored
//! completely or not at all. Also keeps the rollups current (each check's latest result, each
//! dataset's last scan and whether it failed), so no page ever scans the whole history.

//! - `names`: data sources, datasets and scan definitions, created on first use;
//! - `columns`: a dataset's columns, as the newest scan reported them;
//! - `results`: the scan row, its checks, results and measurements;
//! - `replacement`: an overwrite (same definition, data source and data timestamp) removes the
//!   scan it replaces;
//! - `rollups`: latest results and dataset statuses, moved forward or repaired.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};
use shared::api::DatabaseEngine;
use sqlx::{Any, Row, Transaction};

use super::batch::SqlType::{Int, Real, Text};
use super::batch::{self, Placeholders, Rows};
use super::{Database, StorageError, notifications, outcome_runs};
use crate::credentials;
use crate::soda::document::{Check, ScanResults};
use crate::timestamp;
use sha2::{Digest, Sha256};

mod columns;
mod names;
mod replacement;
mod results;
mod rollups;

use names::*;
use replacement::*;
use results::*;
use rollups::*;

/// What `insert_scan` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredScan {
    pub scan_id: i64,
    /// The scan with the same definition and data timestamp that this one replaced.
    pub replaced_scan_id: Option<i64>,
}

pub(super) type Tx = Transaction<'static, Any>;

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
pub(super) type ResultSummary = (i64, i64, Option<String>, Option<f64>, i64);

/// A nullable number as a bind parameter. sqlx 0.9's Any driver binds a NULL `f64` as a
/// PostgreSQL `float4`, and the statement cached with that type then rejects every later real
/// `f64` ("incorrect binary data format"). Text binds as text whether NULL or not; the SQL
/// casts it back (`CAST($n AS DOUBLE PRECISION)`). `f64`'s `Display` round-trips exactly.
pub(super) fn nullable_number(value: Option<f64>) -> Option<String> {
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
        // The datasets' locks before any check's row: every writer takes them in this order
        // (a deleted scan's repair too), and a concurrent scan of the same checks waits here
        // until this one commits, so its statements see this scan's results whole (each
        // check's outcome run is recomputed from all of them).
        let mut locked: BTreeSet<i64> = covered.clone();
        if let Some(old) = &replaced {
            locked.extend(&old.dataset_ids);
        }
        lock_datasets(&mut tx, self.engine, &locked).await?;
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
        // Under the dataset locks (the datasets with columns are among those covered).
        columns::write_columns(&mut tx, &mut names, doc).await?;

        // Datasets whose checks moved without the scan covering them (none in practice) are
        // locked now, in id order too.
        let unlocked: BTreeSet<i64> = recount.difference(&locked).copied().collect();
        lock_datasets(&mut tx, self.engine, &unlocked).await?;
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
        // Under the dataset locks: a concurrent scan of the same checks committed before this
        // one took them, and this statement sees its results.
        outcome_runs::refresh_for_scan(&mut tx, self.engine, scan_id).await?;
        // What the notification rules send about this scan, written with it.
        notifications::enqueue_for_scan(&mut tx, self.engine, scan_id, doc).await?;

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
