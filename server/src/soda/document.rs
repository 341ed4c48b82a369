//! The scan results document of `sodaCoreInsertScanResults`, parsed into what Seltzer stores.
//! Unknown fields are ignored (newer Soda Core versions add some); a field Seltzer needs that is
//! missing or of the wrong type is a 400 whose message names it (see `parse`).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_json::value::RawValue;
use shared::api::CheckOutcome;

use crate::timestamp::{self, EpochMillis};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanResults {
    #[serde(deserialize_with = "non_empty")]
    pub definition_name: String,
    #[serde(deserialize_with = "non_empty")]
    pub default_data_source: String,
    #[serde(deserialize_with = "time")]
    pub data_timestamp: EpochMillis,
    #[serde(deserialize_with = "time")]
    pub scan_start_timestamp: EpochMillis,
    #[serde(deserialize_with = "time")]
    pub scan_end_timestamp: EpochMillis,
    #[serde(default)]
    pub has_errors: bool,
    #[serde(default)]
    pub has_warnings: bool,
    #[serde(default)]
    pub has_failures: bool,
    #[serde(default)]
    pub metrics: Vec<Metric>,
    #[serde(default)]
    pub checks: Vec<Check>,
    #[serde(default)]
    pub automated_monitoring_checks: Vec<Check>,
    #[serde(default)]
    pub queries: Vec<TableRef>,
    #[serde(default)]
    pub profiling: Vec<TableRef>,
    #[serde(default)]
    pub metadata: Vec<TableRef>,
    /// The scan log, kept verbatim (level, message, timestamp, location…) within the bounds
    /// of [`ScanResults::bound_logs`].
    #[serde(default)]
    pub logs: Vec<Value>,
    /// Error lines in the log as Soda Core sent it, before [`ScanResults::bound_logs`].
    #[serde(skip)]
    errors_received: Option<usize>,
    /// Soda Core 4: the contract file the results verified (`contract.fileId`, from
    /// `sodaCoreUploadContractFile`).
    #[serde(skip)]
    pub contract_file_id: Option<String>,
}

/// The most log text a scan keeps (messages, all lines together) and the most of one message.
/// Every viewer of the scan reads its log: an 8 MB log once became a 319 MB response.
pub const MAX_LOG_BYTES: usize = 2 * 1024 * 1024;
pub const MAX_LOG_MESSAGE_BYTES: usize = 8 * 1024;

/// The earliest and latest time a document may carry: Soda Core's times are "now" or a
/// backfill's `-t`, never before 1970 nor days ahead (`-t 9999-01-01` is a mistake).
const LATEST_AHEAD_MS: EpochMillis = 7 * 24 * 60 * 60 * 1000;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metric {
    #[serde(deserialize_with = "non_empty")]
    pub identity: String,
    #[serde(default)]
    pub metric_name: String,
    /// A number, a string (e.g. `max` of a timestamp column), a list (schema) or null.
    #[serde(default)]
    pub value: Value,
    pub data_source_name: Option<String>,
    pub table_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// Soda Core's v3 identity.
    #[serde(deserialize_with = "non_empty")]
    pub identity: String,
    /// v1..v4; values may be null.
    #[serde(default)]
    pub identities: BTreeMap<String, Option<String>>,
    #[serde(deserialize_with = "non_empty")]
    pub name: String,
    #[serde(rename = "type", default = "generic")]
    pub check_type: String,
    #[serde(default)]
    pub definition: String,
    #[serde(default)]
    pub resource_attributes: Vec<Value>,
    pub location: Option<Location>,
    pub data_source: Option<String>,
    pub table: Option<String>,
    pub column: Option<String>,
    #[serde(default)]
    pub metrics: Vec<String>,
    pub outcome: Option<CheckOutcome>,
    #[serde(default)]
    pub diagnostics: Diagnostics,
    pub group: Option<Group>,
    pub outcome_reasons: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub file_path: Option<String>,
    pub line: Option<i64>,
    pub col: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub identity: Option<String>,
    pub name: Option<String>,
}

/// A check result's diagnostics (value, thresholds, failed-row blocks…): an object stored as
/// Soda Core wrote it, with the two parts ingest reads. Keeping the text saves building a JSON
/// tree per check only to write it back out (a 1,000-check scan did that a thousand times).
#[derive(Debug)]
pub struct Diagnostics {
    /// The object's JSON text, verbatim (`{}` when the check had none).
    pub raw: String,
    /// `value`, when it is a number.
    pub value: Option<f64>,
    /// The failed-row sample files the `blocks` reference: `(fileId, columns)`.
    pub files: Vec<(String, Option<Value>)>,
}

impl Default for Diagnostics {
    fn default() -> Self {
        Diagnostics {
            raw: "{}".to_owned(),
            value: None,
            files: Vec::new(),
        }
    }
}

impl<'de> Deserialize<'de> for Diagnostics {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Only the parts ingest reads are read, and nothing is built as a JSON tree but a
        // file block: most blocks are failed-rows analyses (a few hundred bytes of rows each),
        // and building and dropping their trees was a tenth of a scan's CPU.
        #[derive(Deserialize)]
        struct Read<'a> {
            #[serde(borrow, default)]
            value: Option<&'a RawValue>,
            #[serde(borrow, default)]
            blocks: Option<&'a RawValue>,
        }
        #[derive(Deserialize)]
        struct Block {
            file: Option<Value>,
        }
        let raw = Box::<RawValue>::deserialize(d)?;
        if !raw.get().starts_with('{') {
            return Err(serde::de::Error::custom("expected an object"));
        }
        let read: Read<'_> = serde_json::from_str(raw.get()).map_err(serde::de::Error::custom)?;
        // A value or blocks of another shape are not an error: they are simply not read.
        let value = read
            .value
            .and_then(|v| serde_json::from_str::<f64>(v.get()).ok());
        let blocks: Vec<&RawValue> = read
            .blocks
            .and_then(|b| serde_json::from_str(b.get()).ok())
            .unwrap_or_default();
        let files = blocks
            .into_iter()
            .filter(|block| block.get().starts_with('{'))
            .filter_map(|block| serde_json::from_str::<Block>(block.get()).ok()?.file)
            .filter_map(|file| {
                let id = file.get("reference")?.get("fileId")?.as_str()?;
                (!id.is_empty()).then(|| (id.to_owned(), file.get("columns").cloned()))
            })
            .collect();
        Ok(Diagnostics {
            value,
            files,
            raw: String::from(Box::<str>::from(raw)),
        })
    }
}

/// Anything in the document that names a table of a data source (queries, profiling,
/// discovered tables).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableRef {
    pub data_source: Option<String>,
    pub table: Option<String>,
    /// `metadata` only: the table's columns as the data source reported them (Soda Core 3's
    /// dataset discovery, Soda Core 4's schema checks).
    #[serde(default)]
    pub schema: Option<Vec<Column>>,
}

/// A column of a table, with the data source's type name (`DECIMAL(10,2)`); a column without
/// one keeps the type Seltzer knew.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Column {
    pub column_name: String,
    pub source_data_type: Option<String>,
}

fn generic() -> String {
    "generic".to_owned()
}

fn non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    if s.trim().is_empty() {
        return Err(serde::de::Error::custom("must not be empty"));
    }
    Ok(s)
}

fn time<'de, D: Deserializer<'de>>(d: D) -> Result<EpochMillis, D::Error> {
    let s = String::deserialize(d)?;
    let millis = timestamp::parse(&s).map_err(serde::de::Error::custom)?;
    let latest = timestamp::now().saturating_add(LATEST_AHEAD_MS);
    if !(0..=latest).contains(&millis) {
        return Err(serde::de::Error::custom(format!(
            "'{s}' is implausible: times must lie between 1970-01-01 and 7 days from now \
             (check the scan's -t / --data-timestamp)"
        )));
    }
    Ok(millis)
}

/// Parses the document, naming the offending field on error, e.g.
/// `checks[3].outcome: unknown variant "maybe", expected one of "pass", "warn", "fail"`.
pub fn parse(body: &Value) -> Result<ScanResults, String> {
    let mut doc: ScanResults = serde_path_to_error::deserialize(body).map_err(describe)?;
    doc.bound_logs();
    Ok(doc)
}

/// Like [`parse`], straight from the request body's bytes (no intermediate JSON tree).
/// Read without tracking the path first: the tracking wraps every value of the document, and
/// only a document with an error needs it, so that one is read a second time to name the field.
pub fn parse_slice(body: &[u8]) -> Result<ScanResults, String> {
    let mut doc: ScanResults = serde_json::from_slice(body).or_else(|_| {
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        serde_path_to_error::deserialize(&mut deserializer).map_err(describe)
    })?;
    doc.bound_logs();
    Ok(doc)
}

/// The error with the path to the field it is about.
pub(super) fn describe<E: std::fmt::Display>(e: serde_path_to_error::Error<E>) -> String {
    {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        if path == "." {
            inner
        } else {
            format!("{path}: {inner}")
        }
    }
}

impl Check {
    /// The key Seltzer files the check under: the user's `identity:` (v4) when given, else
    /// Soda Core's v3 identity.
    pub fn primary_identity(&self) -> &str {
        self.identities
            .get("v4")
            .and_then(|v| v.as_deref())
            .filter(|v| !v.is_empty())
            .unwrap_or(&self.identity)
    }

    /// Every (version, identity) pair the check was sent with, v3 always included.
    pub fn all_identities(&self) -> BTreeSet<(String, String)> {
        let mut all: BTreeSet<(String, String)> = self
            .identities
            .iter()
            .filter_map(|(version, id)| Some((version.clone(), id.clone()?)))
            .filter(|(_, id)| !id.is_empty())
            .collect();
        all.insert(("v3".to_owned(), self.identity.clone()));
        all
    }

    /// The check's value (`diagnostics.value`) when it is a number.
    pub fn value(&self) -> Option<f64> {
        self.diagnostics.value
    }

    /// The sample files (`fileId`s) the check's diagnostics reference, with their columns.
    pub fn sample_files(&self) -> &[(String, Option<Value>)] {
        &self.diagnostics.files
    }
}

impl ScanResults {
    /// Every check of the document, automated-monitoring ones included.
    pub fn all_checks(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().chain(&self.automated_monitoring_checks)
    }

    /// The data source a check belongs to (the scan's default when the check names none).
    pub fn data_source_of<'a>(&'a self, check: &'a Check) -> &'a str {
        check
            .data_source
            .as_deref()
            .filter(|d| !d.is_empty())
            .unwrap_or(&self.default_data_source)
    }

    /// The (data source, table) pairs the document names explicitly: checks, queries,
    /// profiling, discovered tables and schema metrics.
    pub fn named_tables(&self) -> BTreeSet<(String, String)> {
        let mut tables = BTreeSet::new();
        let mut add = |ds: Option<&str>, table: Option<&str>| {
            if let Some(table) = table.filter(|t| !t.is_empty()) {
                let ds = ds
                    .filter(|d| !d.is_empty())
                    .unwrap_or(&self.default_data_source);
                tables.insert((ds.to_owned(), table.to_owned()));
            }
        };
        for check in self.all_checks() {
            add(check.data_source.as_deref(), check.table.as_deref());
        }
        for t in self
            .queries
            .iter()
            .chain(&self.profiling)
            .chain(&self.metadata)
        {
            add(t.data_source.as_deref(), t.table.as_deref());
        }
        for m in &self.metrics {
            add(m.data_source_name.as_deref(), m.table_name.as_deref());
        }
        tables
    }

    /// Tables a metric identity names (`metric-<definition>-<data source>-<table>-…`), for
    /// scans that aborted before any check or query named them. The identity format is
    /// ambiguous (names may contain `-`), so the caller only trusts tables it already knows.
    pub fn metric_table_candidates(&self) -> BTreeSet<(String, String)> {
        let mut out = BTreeSet::new();
        let ds = &self.default_data_source;
        let prefix = format!("metric-{}-{ds}-", self.definition_name);
        for m in &self.metrics {
            if let Some(rest) = m.identity.strip_prefix(&prefix)
                && let Some((table, tail)) = rest.split_once('-')
                && !tail.is_empty()
            {
                out.insert((ds.clone(), table.to_owned()));
            }
        }
        out
    }

    /// Error lines of the log as Soda Core sent it (some may have been cut by `bound_logs`).
    pub fn error_log_count(&self) -> usize {
        self.errors_received
            .unwrap_or_else(|| self.logs.iter().filter(|l| is_error_line(l)).count())
    }

    /// Keeps the log within [`MAX_LOG_BYTES`]: each message cut to [`MAX_LOG_MESSAGE_BYTES`],
    /// error lines first (they say why a scan failed), then the others in order until the
    /// budget is spent; lines keep their order. When anything was cut, a last line says what.
    pub fn bound_logs(&mut self) {
        let received = self.logs.len();
        let errors = self.logs.iter().filter(|l| is_error_line(l)).count();
        self.errors_received = Some(errors);
        let mut shortened = 0usize;
        let mut sizes = Vec::with_capacity(received);
        for line in &mut self.logs {
            if let Some(Value::String(message)) = line.get_mut("message")
                && message.len() > MAX_LOG_MESSAGE_BYTES
            {
                let mut end = MAX_LOG_MESSAGE_BYTES;
                while !message.is_char_boundary(end) {
                    end -= 1;
                }
                message.truncate(end);
                message.push_str(" …[cut by Seltzer]");
                shortened += 1;
            }
            sizes.push(line_size(line));
        }
        let mut keep = vec![false; received];
        let mut budget = MAX_LOG_BYTES;
        for errors_pass in [true, false] {
            for (i, line) in self.logs.iter().enumerate() {
                if keep[i] || is_error_line(line) != errors_pass || sizes[i] > budget {
                    continue;
                }
                budget -= sizes[i];
                keep[i] = true;
            }
        }
        let kept = keep.iter().filter(|k| **k).count();
        if kept == received && shortened == 0 {
            return;
        }
        let mut flags = keep.into_iter();
        self.logs.retain(|_| flags.next().unwrap_or(false));
        self.logs.push(serde_json::json!({
            "level": "warning",
            "message": format!(
                "Seltzer kept {kept} of the {received} log lines Soda Core sent \
                 ({shortened} messages cut to {MAX_LOG_MESSAGE_BYTES} bytes; at most \
                 {MAX_LOG_BYTES} bytes of log per scan, error lines first)"
            ),
            "index": received,
        }));
    }

    /// Soda Core's complaints about check attributes the server does not define (or values
    /// it does not allow), as it logged them: it then sends the scan without any check, so
    /// the server says why, naming the fix (`seltzer attribute create`).
    pub fn attribute_rejections(&self) -> Vec<&str> {
        self.logs
            .iter()
            .filter_map(|l| l.get("message").and_then(Value::as_str))
            .filter(|m| m.starts_with("Soda Cloud does not recognize '"))
            .collect()
    }

    /// A scan failed when Soda Core says so or when it logged an error.
    pub fn failed(&self) -> bool {
        self.has_errors || self.error_log_count() > 0
    }
}

fn is_error_line(line: &Value) -> bool {
    line.get("level").and_then(Value::as_str) == Some("error")
}

/// What a log line costs to keep: its length as JSON (a line's other fields can be large too).
fn line_size(line: &Value) -> usize {
    serde_json::to_vec(line).map_or(usize::MAX, |v| v.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal() -> Value {
        json!({
            "definitionName": "daily",
            "defaultDataSource": "shop",
            "dataTimestamp": "2026-11-23T04:23:08+00:00",
            "scanStartTimestamp": "2026-11-23T04:23:08+00:00",
            "scanEndTimestamp": "2026-11-23T04:23:09+00:00",
            "checks": [{
                "identity": "7ccd1e0c",
                "identities": {"v1": "5d4b5088", "v2": "c8fe9f11", "v3": "7ccd1e0c", "v4": null},
                "name": "row_count > 0",
                "table": "orders",
                "outcome": "pass",
                "diagnostics": {"value": 7, "blocks": []}
            }]
        })
    }

    #[test]
    fn a_minimal_document_parses() {
        let doc = parse(&minimal()).unwrap();
        let check = &doc.checks[0];
        assert_eq!(check.primary_identity(), "7ccd1e0c");
        assert_eq!(check.value(), Some(7.0));
        assert_eq!(check.all_identities().len(), 3);
        assert_eq!(doc.data_source_of(check), "shop");
    }

    #[test]
    fn diagnostics_are_kept_verbatim_and_read_for_value_and_samples() {
        let body = br#"{"definitionName": "daily", "defaultDataSource": "shop",
            "dataTimestamp": "2026-11-23T04:23:08+00:00",
            "scanStartTimestamp": "2026-11-23T04:23:08+00:00",
            "scanEndTimestamp": "2026-11-23T04:23:09+00:00",
            "checks": [{"identity": "a1", "name": "missing_count(email) = 0", "outcome": "fail",
              "diagnostics": {"value": 1.50, "fail": {"greaterThan": 0.0},
                "blocks": [{"type": "file", "file": {"reference": {"fileId": "f-1"},
                  "columns": [{"name": "email"}]}}]}},
              {"identity": "b2", "name": "row_count > 0"}]}"#;
        let doc = parse_slice(body).unwrap();
        let failed = &doc.checks[0];
        assert_eq!(
            failed.diagnostics.raw,
            r#"{"value": 1.50, "fail": {"greaterThan": 0.0},
                "blocks": [{"type": "file", "file": {"reference": {"fileId": "f-1"},
                  "columns": [{"name": "email"}]}}]}"#,
            "as sent: numbers keep their spelling"
        );
        assert_eq!(failed.value(), Some(1.5));
        let files = failed.sample_files();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].0, "f-1");
        assert_eq!(files[0].1, Some(json!([{"name": "email"}])));
        let bare = &doc.checks[1];
        assert_eq!((bare.diagnostics.raw.as_str(), bare.value()), ("{}", None));

        let mut doc = minimal();
        doc["checks"][0]["diagnostics"] = json!([1, 2]);
        let err = parse(&doc).unwrap_err();
        assert!(
            err.contains("checks[0].diagnostics") && err.contains("object"),
            "{err}"
        );
    }

    #[test]
    fn diagnostics_of_other_shapes_are_kept_but_not_read() {
        let body = br#"{"definitionName": "daily", "defaultDataSource": "shop",
            "dataTimestamp": "2026-11-23T04:23:08+00:00",
            "scanStartTimestamp": "2026-11-23T04:23:08+00:00",
            "scanEndTimestamp": "2026-11-23T04:23:09+00:00",
            "checks": [
              {"identity": "a", "name": "a", "diagnostics": {"value": "n/a", "blocks": {"x": 1}}},
              {"identity": "b", "name": "b", "diagnostics": {"value": null, "blocks": [
                "text", [{"file": {"reference": {"fileId": "in-a-list"}}}], {"file": null},
                {"file": {"reference": {"fileId": ""}}}, {"file": {"reference": {"fileId": 7}}},
                {"type": "failedRowsAnalysis", "rows": [[1, "a"]]},
                {"file": {"reference": {"fileId": "f-2"}}}]}},
              {"identity": "c", "name": "c", "diagnostics": {"value": 3, "blocks": null}}]}"#;
        let doc = parse_slice(body).unwrap();
        let [a, b, c] = [&doc.checks[0], &doc.checks[1], &doc.checks[2]];
        assert_eq!((a.value(), a.sample_files().len()), (None, 0));
        assert!(a.diagnostics.raw.contains(r#""blocks": {"x": 1}"#));
        assert_eq!(b.value(), None);
        assert_eq!(b.sample_files(), &[("f-2".to_owned(), None)]);
        assert_eq!((c.value(), c.sample_files().len()), (Some(3.0), 0));
    }

    #[test]
    fn rejected_attributes_are_found_in_the_logs() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/soda-core-3.5.6/s09_invalid_check_attributes/scan_results.json"
        );
        let doc = parse_slice(&std::fs::read(path).unwrap()).unwrap();
        assert_eq!(
            doc.attribute_rejections(),
            [
                "Soda Cloud does not recognize 'team' attribute name.",
                "Soda Cloud does not recognize 'domain': 'hr' attribute value. Valid attribute \
                 value(s): ['sales', 'marketing', 'finance']."
            ]
        );
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/soda-core-3.5.6/s01_first_scan/scan_results.json"
        );
        let doc = parse_slice(&std::fs::read(path).unwrap()).unwrap();
        assert!(doc.attribute_rejections().is_empty());
    }

    #[test]
    fn errors_name_the_field() {
        let mut doc = minimal();
        doc["checks"][0]["outcome"] = json!("maybe");
        let err = parse(&doc).unwrap_err();
        assert!(
            err.starts_with("checks[0].outcome: unknown variant"),
            "{err}"
        );

        let mut doc = minimal();
        doc["dataTimestamp"] = json!("yesterday");
        let err = parse(&doc).unwrap_err();
        assert!(
            err.starts_with("dataTimestamp: 'yesterday' is not a timestamp"),
            "{err}"
        );

        let mut doc = minimal();
        doc.as_object_mut().unwrap().remove("definitionName");
        assert_eq!(parse(&doc).unwrap_err(), "missing field `definitionName`");
    }

    #[test]
    fn a_custom_identity_is_the_primary_one() {
        let mut doc = minimal();
        doc["checks"][0]["identities"]["v4"] = json!("orders-row-count");
        let doc = parse(&doc).unwrap();
        assert_eq!(doc.checks[0].primary_identity(), "orders-row-count");
        assert_eq!(doc.checks[0].all_identities().len(), 4);
    }

    #[test]
    fn implausible_times_are_refused_naming_the_field() {
        let mut body = minimal();
        body["dataTimestamp"] = json!("9999-01-01T00:00:00+00:00");
        let err = parse(&body).unwrap_err();
        assert!(err.starts_with("dataTimestamp: "), "{err}");
        assert!(err.contains("implausible"), "{err}");
        body["dataTimestamp"] = json!("1969-12-31T23:59:59+00:00");
        assert!(parse(&body).unwrap_err().starts_with("dataTimestamp: "));
        body["dataTimestamp"] = json!("2001-01-01T00:00:00+00:00");
        parse(&body).expect("an old backfill is fine");
    }

    #[test]
    fn long_logs_are_bounded_errors_first_and_say_so() {
        let mut body = minimal();
        let mut logs: Vec<Value> = (0..5_000)
            .map(|i| json!({"level": "info", "message": "x".repeat(1_000), "index": i}))
            .collect();
        logs.push(json!({"level": "error", "message": "e".repeat(100_000), "index": 5_000}));
        body["logs"] = Value::Array(logs);
        let doc = parse(&body).unwrap();
        let size: usize = doc.logs.iter().map(line_size).sum();
        assert!(size <= MAX_LOG_BYTES + 1_000, "{size}");
        assert!(doc.failed(), "the error line is kept");
        assert_eq!(doc.error_log_count(), 1);
        let error = doc.logs.iter().find(|l| is_error_line(l)).unwrap();
        let message = error["message"].as_str().unwrap();
        assert!(message.len() < MAX_LOG_MESSAGE_BYTES + 100);
        assert!(message.ends_with("[cut by Seltzer]"));
        let last = doc.logs.last().unwrap()["message"].as_str().unwrap();
        assert!(last.starts_with("Seltzer kept "), "{last}");
        assert!(last.contains("of the 5001 log lines"), "{last}");
        // Kept lines stay in their order.
        let indexes: Vec<i64> = doc
            .logs
            .iter()
            .filter_map(|l| l["index"].as_i64())
            .collect();
        assert!(indexes.windows(2).all(|w| w[0] < w[1]), "{indexes:?}");
    }
}
