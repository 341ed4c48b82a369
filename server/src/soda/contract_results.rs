//! Soda Core 4's results document: `sodaCoreInsertScanResults` with `"version": "4"`, sent by
//! `soda contract verify -p` (data contracts). It is read into the same [`ScanResults`] as
//! Soda Core 3's, so both are stored, shown and notified about alike. What differs:
//! - checks are identified by `identities.vc1` alone (stable across renames and threshold
//!   edits), datasets by their qualified name `dataSource/prefix…/table`: the dataset is
//!   stored as `prefix…/table` under its data source;
//! - outcomes add `excluded` (deselected: not run, so not stored: no history point, no status
//!   change) and `unevaluated` (stored as not evaluated, without the `value: 0` Soda Core 4
//!   puts in its place);
//! - `hasErrors`, `hasFailures` and `hasWarnings` are one status in three flags (at most one
//!   is true): they are derived again from the outcomes;
//! - locations are 0-based; keys whose value is null are left out, never sent as null.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::document::{self, ScanResults};

/// Whether a `sodaCoreInsertScanResults` body is Soda Core 4's (its `version` is `"4"`; Soda
/// Core 3 sends none).
pub fn is_v4(version: Option<&str>) -> bool {
    version.is_some_and(|v| v.trim_start().starts_with('4'))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Results {
    definition_name: String,
    default_data_source: String,
    data_timestamp: String,
    scan_start_timestamp: String,
    scan_end_timestamp: String,
    #[serde(default)]
    has_errors: bool,
    /// Absent when the contract has no checks.
    #[serde(default)]
    checks: Vec<Check>,
    #[serde(default)]
    logs: Vec<Value>,
    #[serde(default)]
    metadata: Vec<Metadata>,
    /// The contract file uploaded just before (`sodaCoreUploadContractFile`).
    contract: Option<Contract>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Contract {
    file_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Check {
    identities: Identities,
    name: String,
    /// `missing`, `freshness`, … (the key Soda Core 4 drops from `definition`).
    check_type: Option<String>,
    #[serde(default)]
    definition: String,
    #[serde(default)]
    resource_attributes: Vec<Value>,
    location: Option<Location>,
    data_source: Option<String>,
    table: Option<String>,
    #[serde(default)]
    dataset_prefix: Vec<String>,
    column: Option<String>,
    outcome: Outcome,
    #[serde(default)]
    diagnostics: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
struct Identities {
    vc1: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    file_path: Option<String>,
    line: Option<i64>,
    col: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Outcome {
    Pass,
    Warn,
    Fail,
    Excluded,
    Unevaluated,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    dataset_qualified_name: String,
    /// The columns a schema check measured: `[{columnName, sourceDataType}]`.
    schema: Option<Vec<Value>>,
}

/// The check as its contract says it: Soda Core 4's `definition` is the check's place in the
/// contract (`columns: - name: id  checks: - BODY`) with the check's type key dropped
/// (`- missing:` arrives as `- {}`); it is put back, so the snippet reads as the contract does
/// (and says which check it is). A snippet of another shape is kept as it came.
pub fn with_check_type(definition: &str, check_type: &str) -> Option<String> {
    let lines: Vec<&str> = definition.lines().collect();
    let list = lines.iter().rposition(|l| l.trim_start() == "checks:")?;
    let item = *lines.get(list + 1)?;
    let indent = item.len() - item.trim_start().len();
    let first = item.trim_start().strip_prefix("- ")?;
    let body = &lines[list + 2..];
    if body
        .iter()
        .any(|l| !l.trim().is_empty() && l.len() - l.trim_start().len() <= indent)
    {
        return None;
    }
    let pad = " ".repeat(indent);
    let mut out: Vec<String> = lines[..=list].iter().map(|l| (*l).to_owned()).collect();
    out.push(format!("{pad}- {check_type}:"));
    if first != "{}" {
        out.push(format!("{pad}    {first}"));
        out.extend(body.iter().map(|l| format!("  {l}")));
    }
    Some(out.join("\n") + "\n")
}

/// The dataset's name under its data source: the prefixes (schema; database and schema) and
/// the table, joined with `/` as in the qualified name.
fn dataset_name(prefix: &[String], table: &str) -> String {
    prefix
        .iter()
        .map(String::as_str)
        .chain([table])
        .collect::<Vec<_>>()
        .join("/")
}

/// The dataset a contract is about, from its `dataset:` key (`shop/main/orders`): its data
/// source and its name under it (`main/orders`).
pub fn contract_dataset(contract: &str) -> Result<(String, String), String> {
    let root = shared::sodacl::yaml::parse(contract).map_err(|e| {
        format!(
            "the contract is not YAML (line {}): {}",
            e.pos.line, e.message
        )
    })?;
    let dqn = match root.as_ref().map(|n| &n.value) {
        Some(shared::sodacl::yaml::Value::Map(entries)) => entries
            .iter()
            .find(|(k, _)| k.as_str() == Some("dataset"))
            .and_then(|(_, v)| v.as_str()),
        _ => None,
    }
    .ok_or("the contract has no `dataset:` key naming its dataset (data_source/…/table)")?;
    split_qualified_name(dqn)
        .map(|(source, dataset)| (source.to_owned(), dataset.to_owned()))
        .ok_or_else(|| format!("dataset '{dqn}' is not a qualified name (data_source/…/table)"))
}

/// The dataset Soda Core 4 names as `{datasource, prefixes, name}`: its data source and its
/// name under it.
pub fn dataset_of_parts(parts: &Value) -> Option<(String, String)> {
    let source = parts.get("datasource")?.as_str()?;
    let name = parts.get("name")?.as_str()?;
    let prefix: Vec<String> = parts
        .get("prefixes")
        .and_then(Value::as_array)
        .map(|p| {
            p.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Some((source.to_owned(), dataset_name(&prefix, name)))
}

/// `shop/main/orders` → (`shop`, `main/orders`).
fn split_qualified_name(dqn: &str) -> Option<(&str, &str)> {
    dqn.split_once('/')
        .filter(|(source, rest)| !source.is_empty() && !rest.is_empty())
}

impl Results {
    /// The document in Soda Core 3's shape, which [`document::parse`] reads and checks.
    fn to_v3(&self) -> Value {
        let evaluated: Vec<&Check> = self
            .checks
            .iter()
            .filter(|c| c.outcome != Outcome::Excluded)
            .collect();
        let any = |o: Outcome| evaluated.iter().any(|c| c.outcome == o);
        let log_errors = self.logs.iter().any(|l| {
            matches!(
                l.get("level").and_then(Value::as_str),
                Some("error" | "critical")
            )
        });
        let checks: Vec<Value> = evaluated.iter().map(|c| c.to_v3()).collect();
        let metadata: Vec<Value> = self
            .metadata
            .iter()
            .filter_map(|m| Some((split_qualified_name(&m.dataset_qualified_name)?, &m.schema)))
            .map(|((source, dataset), schema)| {
                json!({"dataSource": source, "table": dataset, "schema": schema})
            })
            .collect();
        json!({
            "definitionName": self.definition_name,
            "defaultDataSource": self.default_data_source,
            "dataTimestamp": self.data_timestamp,
            "scanStartTimestamp": self.scan_start_timestamp,
            "scanEndTimestamp": self.scan_end_timestamp,
            "hasErrors": self.has_errors || log_errors,
            "hasFailures": any(Outcome::Fail),
            "hasWarnings": any(Outcome::Warn),
            "checks": checks,
            "metadata": metadata,
            "logs": self.logs,
        })
    }
}

impl Check {
    fn to_v3(&self) -> Value {
        let outcome = match self.outcome {
            Outcome::Pass => json!("pass"),
            Outcome::Warn => json!("warn"),
            Outcome::Fail => json!("fail"),
            Outcome::Excluded | Outcome::Unevaluated => Value::Null,
        };
        let mut diagnostics = self.diagnostics.clone();
        // Soda Core 4 sends `value: 0` for a check it could not evaluate ("required
        // non-nullable field in the api"): a point at 0 in its trend would be a lie.
        if self.outcome == Outcome::Unevaluated {
            diagnostics.remove("value");
        }
        let table = self
            .table
            .as_deref()
            .filter(|t| !t.is_empty())
            .map(|t| dataset_name(&self.dataset_prefix, t));
        // Soda Core 4 counts lines and columns from 0; people, and Soda Core 3, from 1.
        let location = self.location.as_ref().map(|l| {
            json!({"filePath": l.file_path, "line": l.line.map(|n| n + 1), "col": l.col.map(|n| n + 1)})
        });
        let mut identities = BTreeMap::new();
        identities.insert("vc1", self.identities.vc1.clone());
        let definition = self
            .check_type
            .as_deref()
            .and_then(|t| with_check_type(&self.definition, t))
            .unwrap_or_else(|| self.definition.clone());
        json!({
            "identity": self.identities.vc1,
            "identities": identities,
            "name": self.name,
            "type": "generic",
            "definition": definition,
            "resourceAttributes": self.resource_attributes,
            "location": location,
            "dataSource": self.data_source,
            "table": table,
            "column": self.column,
            "outcome": outcome,
            "diagnostics": diagnostics,
        })
    }
}

/// Parses a Soda Core 4 results document, naming the offending field on error (as it was
/// sent), into what Seltzer stores.
pub fn parse_slice(body: &[u8]) -> Result<ScanResults, String> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let results: Results =
        serde_path_to_error::deserialize(&mut deserializer).map_err(document::describe)?;
    if let Some(i) = results
        .checks
        .iter()
        .position(|c| c.identities.vc1.trim().is_empty())
    {
        return Err(format!("checks[{i}].identities.vc1: must not be empty"));
    }
    let contract_file_id = results.contract.as_ref().and_then(|c| c.file_id.clone());
    let mut doc = document::parse(&results.to_v3())?;
    doc.contract_file_id = contract_file_id;
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_keep_their_identity_dataset_and_honest_outcomes() {
        let body = json!({
            "version": "4", "definitionName": "shop/main/orders", "defaultDataSource": "shop",
            "dataTimestamp": "2026-12-06T03:56:06+00:00",
            "scanStartTimestamp": "2026-12-06T03:56:06+00:00",
            "scanEndTimestamp": "2026-12-06T03:56:07+00:00",
            "hasErrors": false, "hasFailures": true, "hasWarnings": false,
            "contract": {"fileId": "contract-1", "metadata": {"source": {"type": "local"}}},
            "checks": [
                {"identities": {"vc1": "0b286aad"}, "name": "Order ids are unique",
                 "dataSource": "shop", "table": "orders", "datasetPrefix": ["main"],
                 "column": "id", "outcome": "fail",
                 "location": {"filePath": "contract.yml", "line": 7, "col": 10},
                 "diagnostics": {"value": 1, "fail": {}}},
                {"identities": {"vc1": "44fe6387"}, "name": "Customer is set",
                 "dataSource": "shop", "table": "orders", "datasetPrefix": ["main"],
                 "outcome": "warn", "diagnostics": {"value": 2}},
                {"identities": {"vc1": "8919e98d"}, "name": "Data is fresh",
                 "dataSource": "shop", "table": "orders", "datasetPrefix": ["main"],
                 "outcome": "unevaluated", "diagnostics": {"value": 0}},
                {"identities": {"vc1": "29cf3b4e"}, "name": "Row count",
                 "dataSource": "shop", "table": "orders", "datasetPrefix": ["main"],
                 "outcome": "excluded"}
            ],
            "logs": [{"level": "info", "message": "ok", "index": 0, "thread": 140_000,
                      "timestamp": "2026-12-06T03:56:06+00:00"}]
        });
        let doc = parse_slice(body.to_string().as_bytes()).unwrap();
        assert_eq!(doc.checks.len(), 3, "the excluded check is not stored");
        let unique = &doc.checks[0];
        assert_eq!(unique.primary_identity(), "0b286aad");
        assert_eq!(unique.table.as_deref(), Some("main/orders"));
        assert_eq!(unique.location.as_ref().unwrap().line, Some(8));
        // The flags are derived from the outcomes (Soda Core 4 sends one of them only).
        assert!(doc.has_failures && doc.has_warnings && !doc.has_errors);
        assert_eq!(doc.contract_file_id.as_deref(), Some("contract-1"));
        let fresh = &doc.checks[2];
        assert_eq!(fresh.outcome, None);
        assert_eq!(fresh.value(), None, "no value 0 for an unevaluated check");
    }

    #[test]
    fn definitions_get_their_check_type_back() {
        assert_eq!(
            with_check_type("columns:\n- name: id\n  checks:\n  - {}\n", "missing").unwrap(),
            "columns:\n- name: id\n  checks:\n  - missing:\n"
        );
        assert_eq!(
            with_check_type(
                "checks:\n- column: created_at\n  threshold:\n    unit: hour\n    must_be_less_than: 24\n",
                "freshness"
            )
            .unwrap(),
            "checks:\n- freshness:\n    column: created_at\n    threshold:\n      unit: hour\n      \
             must_be_less_than: 24\n"
        );
        assert_eq!(with_check_type("something: else\n", "missing"), None);
    }

    #[test]
    fn a_contract_names_its_dataset() {
        let contract = "dataset: shop/main/orders\n\ncolumns:\n  - name: id\n";
        assert_eq!(
            contract_dataset(contract).unwrap(),
            ("shop".to_owned(), "main/orders".to_owned())
        );
        assert!(
            contract_dataset("columns: []\n")
                .unwrap_err()
                .contains("`dataset:`")
        );
        let parts = json!({"datasource": "shop", "prefixes": ["main"], "name": "orders"});
        assert_eq!(
            dataset_of_parts(&parts),
            Some(("shop".to_owned(), "main/orders".to_owned()))
        );
    }

    #[test]
    fn a_missing_identity_is_named() {
        let body = json!({
            "version": "4", "definitionName": "d", "defaultDataSource": "shop",
            "dataTimestamp": "2026-12-06T03:56:06+00:00",
            "scanStartTimestamp": "2026-12-06T03:56:06+00:00",
            "scanEndTimestamp": "2026-12-06T03:56:06+00:00",
            "checks": [{"name": "x", "outcome": "pass"}]
        });
        let error = parse_slice(body.to_string().as_bytes()).unwrap_err();
        assert!(
            error.starts_with("checks[0]: missing field `identities`"),
            "{error}"
        );
    }
}
