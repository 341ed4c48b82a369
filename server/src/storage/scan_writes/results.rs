//! The scan row, its checks (upserted with their identities and descriptions), results and
//! measurements, in multi-row statements.

use super::*;
use crate::storage::outcome_runs::APPEND_TO_RUN;

pub(super) async fn insert_scan_row(
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
         logs, payload, api_key_id, contract_file_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18) RETURNING id",
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
    .bind(&doc.contract_file_id)
    .fetch_one(&mut **tx)
    .await?)
}

/// The datasets the scan covered. Tables the document names explicitly, plus tables that
/// metric identities name and Seltzer already knows. A scan that failed before naming any
/// table (an unreachable data source) covers what the same scan definition covered last time,
/// so those datasets show that their scan failed.
pub(super) async fn covered_datasets(
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
    pub(super) attributes: String,
    pub(super) metrics: String,
    pub(super) outcome_reasons: Option<String>,
    /// What the checks list's text search matches (see [`search_text`]).
    pub(super) search_text: String,
    /// SHA-256 of everything describing the check but its data source and dataset ids.
    pub(super) digest: [u8; 32],
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
pub(super) fn search_text(check: &Check) -> String {
    [
        check.name.as_str(),
        check.table.as_deref().unwrap_or_default(),
        check.column.as_deref().unwrap_or_default(),
    ]
    .map(str::to_lowercase)
    .join("\u{1f}")
}

/// One check of the document with everything resolved that its rows need.
pub(super) struct CheckRow<'a> {
    pub(super) check: &'a Check,
    pub(super) described: &'a Described,
    pub(super) data_source_id: i64,
    pub(super) dataset_id: Option<i64>,
    /// What the check's row and identities hold, hashed: see `store_checks`.
    pub(super) digest: String,
}

impl<'a> CheckRow<'a> {
    pub(super) fn new(
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
pub(super) fn differs(engine: DatabaseEngine) -> &'static str {
    match engine {
        DatabaseEngine::Postgres => "IS DISTINCT FROM",
        DatabaseEngine::Sqlite => "IS NOT",
    }
}

/// What storing a scan's check results changed.
pub(super) struct StoredResults {
    /// Per dataset, this scan's outcome counts: pass, warn, fail, not evaluated.
    pub(super) counts: HashMap<i64, [i64; 4]>,
    /// Datasets whose checks by latest outcome changed.
    pub(super) recount: BTreeSet<i64>,
}

/// Stores every check of the document: upserts the checks, records their identities, inserts
/// the results and moves each check's description and latest result forward, all in
/// multi-row statements. Returns the outcome counts per dataset: pass, warn, fail, not
/// evaluated.
pub(super) async fn insert_check_results(
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
           OR checks.latest_outcome {differs} r.outcome THEN 1 ELSE 0 END, {APPEND_TO_RUN} \
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
pub(super) async fn store_checks(
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
pub(super) async fn insert_measurements(
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
