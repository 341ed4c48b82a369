//! Judging stored results against the verdicts of the real Soda Core 3.5.6
//! (`tests/data/sodacl-corpus/`, produced by its oracle): every result it evaluated gets the same
//! outcome from its recorded value, both with the zones Soda Core parsed and with the bounds it
//! reported in the result's diagnostics (`Zone::from_soda_bounds`, which the server uses to
//! re-judge stored results). That the parser builds Soda Core's zones from the conditions is
//! `corpus_sodacl.rs`'s comparison, on the product's parser.

#![cfg(not(target_arch = "wasm32"))]
// A test that meets an unexpected error should stop right there, helpers included.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use serde_json::Value;
use shared::api::CheckOutcome;
use shared::sodacl::threshold::SodaBounds;
use shared::sodacl::{Thresholds, Zone};

fn corpus() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sodacl-corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".expected.json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (
                name,
                serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap(),
            )
        })
        .collect()
}

/// Soda Core's zone, or `Err` when it kept a bound as text (`"ten"`, `"1e3"`): such a check
/// cannot be evaluated.
fn zone(value: &Value) -> Result<Option<Zone>, String> {
    if value.is_null() {
        return Ok(None);
    }
    serde_json::from_value(value.clone())
        .map(Some)
        .map_err(|_| value.to_string())
}

fn is_threshold_check(check: &Value) -> bool {
    matches!(check["kind"].as_str(), Some("metric" | "change_over_time"))
}

#[test]
fn recorded_values_get_the_outcomes_soda_core_gave() {
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for (file, expected) in corpus() {
        let checks = expected["parse"]["checks"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for result in expected["execution"]["results"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let Some(outcome) = result["outcome"].as_str().and_then(CheckOutcome::parse) else {
                continue;
            };
            if !is_threshold_check(result) {
                continue;
            }
            let Some(value) = result["value"].as_f64() else {
                continue;
            };
            // From the zones Soda Core parsed…
            let line = &result["location"]["line"];
            if let Some(check) = checks.iter().find(|c| &c["location"]["line"] == line)
                && let (Ok(fail), Ok(warn)) = (zone(&check["fail"]), zone(&check["warn"]))
            {
                let thresholds = Thresholds { fail, warn };
                if thresholds.outcome(Some(value)) != Some(outcome) {
                    mismatches.push(format!(
                        "{file}:{line}: {value} → {thresholds:?} ≠ {outcome:?}"
                    ));
                }
            }
            // …and from the bounds it reported in the result's diagnostics, except where its zone
            // was an empty one (a reversed `between`), which diagnostics cannot express.
            let empty_zone = checks
                .iter()
                .find(|c| &c["location"]["line"] == line)
                .is_some_and(|c| {
                    ["fail", "warn"].iter().any(|k| {
                        zone(&c[*k]).ok().flatten().is_some_and(|z| {
                            !z.split
                                && matches!((z.gt.or(z.gte), z.lt.or(z.lte)), (Some(l), Some(u)) if l > u)
                        })
                    })
                });
            if empty_zone {
                continue;
            }
            let bounds = |key: &str| {
                let v = &result["diagnostics"][key];
                (!v.is_null()).then(|| {
                    Zone::from_soda_bounds(
                        &serde_json::from_value::<SodaBounds>(v.clone()).unwrap(),
                    )
                })
            };
            let from_diagnostics = Thresholds {
                fail: bounds("fail"),
                warn: bounds("warn"),
            };
            if from_diagnostics.outcome(Some(value)) != Some(outcome) {
                mismatches.push(format!(
                    "{file}:{line}: {value} → diagnostics {from_diagnostics:?} ≠ {outcome:?}"
                ));
            }
            compared += 1;
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(compared >= 200, "only {compared} outcomes compared");
}
