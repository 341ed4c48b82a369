use serde_json::Value;
use shared::api::ValueUnit;

use super::format_measure;

/// The facts of Soda Core's diagnostics that a person reads as sentences, beyond the zones:
/// failing rows counted and sampled (with the query's title), schema changes, the values a
/// change or comparison was computed from. Keys a check kind does not send are skipped.
pub fn diagnostic_sentences(diagnostics: &Value, unit: ValueUnit) -> Vec<String> {
    let mut out = Vec::new();
    let number = |v: &Value| v.as_f64().map(|n| format_measure(n, unit));
    for block in diagnostics["blocks"].as_array().into_iter().flatten() {
        let file = &block["file"];
        if let (Some(total), Some(stored)) = (
            file["totalRowCount"].as_i64(),
            file["storedRowCount"].as_i64(),
        ) {
            let title = block["title"].as_str().unwrap_or("Failed rows");
            out.push(format!(
                "{title}: {} failing, {} sampled.",
                rows(total),
                format_measure(stored as f64, ValueUnit::Number)
            ));
        }
    }
    let names = |key: &str| -> Vec<String> {
        diagnostics[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect()
    };
    for (key, words) in [
        ("column_additions", "Columns added"),
        ("column_deletions", "Columns removed"),
        ("missing_column_names", "Required columns missing"),
    ] {
        let list = names(key);
        if !list.is_empty() {
            out.push(format!("{words}: {}.", list.join(", ")));
        }
    }
    for (key, words) in [
        ("column_type_changes", "Column types changed"),
        ("column_type_mismatches", "Column types other than required"),
    ] {
        if let Some(map) = diagnostics[key].as_object().filter(|m| !m.is_empty()) {
            let changes: Vec<String> = map
                .iter()
                .map(|(column, change)| {
                    let was = change["previous_type"]
                        .as_str()
                        .or_else(|| change["expected_type"].as_str());
                    let now = change["new_type"]
                        .as_str()
                        .or_else(|| change["actual_type"].as_str());
                    match (was, now) {
                        (Some(was), Some(now)) => format!("{column} {was} → {now}"),
                        _ => format!("{column} {change}"),
                    }
                })
                .collect();
            out.push(format!("{words}: {}.", changes.join(", ")));
        }
    }
    let inner = &diagnostics["diagnostics"];
    if let (Some(before), Some(now)) = (
        number(&inner["historic_value"]),
        number(&inner["metric_value"]),
    ) {
        out.push(format!("Computed from {now} now against {before} before."));
    }
    if let (Some(here), Some(other)) = (
        diagnostics["rowCount"].as_i64(),
        diagnostics["otherRowCount"].as_i64(),
    ) {
        out.push(format!(
            "{} here, {} in the other dataset.",
            rows(here),
            rows(other)
        ));
    }
    if let (Some(newest), Some(now)) = (
        diagnostics["maxColumnTimestampUtc"].as_str(),
        diagnostics["nowTimestampUtc"].as_str(),
    ) {
        out.push(format!("Newest row {newest}, the scan's now {now}."));
    }
    out.extend(contract_sentences(&diagnostics["v4"]));
    out
}

/// Soda Core 4's per-check-type facts (`diagnostics.v4`).
fn contract_sentences(v4: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let count = |key: &str| v4[key].as_i64();
    let what = match v4["type"].as_str() {
        Some("missing") => "missing",
        Some("invalid") => "invalid",
        Some("duplicate") => "duplicate",
        _ => "failing",
    };
    if let Some(failed) = count("failedRowsCount") {
        let of = count("checkRowsTested")
            .map(|n| format!(" of {}", rows(n)))
            .unwrap_or_default();
        let share = v4["failedRowsPercent"]
            .as_f64()
            .map(|p| format!(" ({})", format_measure(p, ValueUnit::Percent)))
            .unwrap_or_default();
        let failed = format_measure(failed as f64, ValueUnit::Number);
        out.push(format!("{failed}{of} {what}{share}."));
    } else if let Some(tested) = count("checkRowsTested").or_else(|| count("datasetRowsTested")) {
        out.push(format!("{} tested.", rows(tested)));
    }
    if let Some(missing) = count("missingCount").filter(|n| *n > 0) {
        out.push(format!(
            "{} missing (not counted as {what}).",
            format_measure(missing as f64, ValueUnit::Number)
        ));
    }
    if let (Some(newest), Some(now)) = (
        v4["actualTimestampUtc"].as_str(),
        v4["expectedTimestampUtc"].as_str(),
    ) {
        out.push(format!("Newest row {newest}, checked at {now}."));
    }
    let columns = |key: &str| -> Option<Vec<String>> {
        let list = v4[key].as_array()?;
        Some(
            list.iter()
                .filter_map(|c| {
                    let name = c["name"].as_str()?;
                    Some(match c["type"].as_str() {
                        Some(t) => format!("{name} {t}"),
                        None => name.to_owned(),
                    })
                })
                .collect(),
        )
    };
    if let (Some(expected), Some(actual)) = (columns("expected"), columns("actual")) {
        out.push(format!("Expected columns: {}.", expected.join(", ")));
        out.push(format!("Actual columns: {}.", actual.join(", ")));
    }
    out
}

fn rows(n: i64) -> String {
    let count = format_measure(n as f64, ValueUnit::Number);
    if n == 1 {
        format!("{count} row")
    } else {
        format!("{count} rows")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn failed_rows_schema_changes_and_sources_read_as_sentences() {
        let failed = json!({"blocks": [{"type": "file", "title": "Failed Rows",
            "file": {"totalRowCount": 1234, "storedRowCount": 100}}]});
        assert_eq!(
            diagnostic_sentences(&failed, ValueUnit::Number),
            ["Failed Rows: 1,234 rows failing, 100 sampled."]
        );
        let schema = json!({"column_additions": ["note"], "column_deletions": [],
            "missing_column_names": ["email"],
            "column_type_changes": {"age": {"previous_type": "integer", "new_type": "text"}}});
        assert_eq!(
            diagnostic_sentences(&schema, ValueUnit::Number),
            [
                "Columns added: note.",
                "Required columns missing: email.",
                "Column types changed: age integer → text."
            ]
        );
        let change = json!({"diagnostics": {"historic_value": 12, "metric_value": 9}});
        assert_eq!(
            diagnostic_sentences(&change, ValueUnit::Number),
            ["Computed from 9 now against 12 before."]
        );
        let compared = json!({"rowCount": 1, "otherRowCount": 12});
        assert_eq!(
            diagnostic_sentences(&compared, ValueUnit::Number),
            ["1 row here, 12 rows in the other dataset."]
        );
        assert!(diagnostic_sentences(&json!({"value": 3}), ValueUnit::Number).is_empty());
    }

    #[test]
    fn soda_core_4_facts_read_as_sentences() {
        let duplicate = json!({"value": 1, "v4": {"type": "duplicate", "failedRowsCount": 1,
            "failedRowsPercent": 12.5, "datasetRowsTested": 8, "checkRowsTested": 8,
            "missingCount": 2}});
        assert_eq!(
            diagnostic_sentences(&duplicate, ValueUnit::Number),
            [
                "1 of 8 rows duplicate (12.5 %).",
                "2 missing (not counted as duplicate)."
            ]
        );
        let schema = json!({"v4": {"type": "schema", "expected": [{"name": "id"}],
            "actual": [{"name": "id", "type": "integer"}]}});
        assert_eq!(
            diagnostic_sentences(&schema, ValueUnit::Number),
            ["Expected columns: id.", "Actual columns: id integer."]
        );
        let fresh = json!({"v4": {"type": "freshness", "datasetRowsTested": 8,
            "actualTimestampUtc": "2026-12-06T03:26:05+00:00",
            "expectedTimestampUtc": "2026-12-06T03:56:20+00:00"}});
        assert_eq!(
            diagnostic_sentences(&fresh, ValueUnit::Milliseconds),
            [
                "8 rows tested.",
                "Newest row 2026-12-06T03:26:05+00:00, checked at 2026-12-06T03:56:20+00:00."
            ]
        );
    }
}
