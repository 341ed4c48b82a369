//! Thresholds against the verdicts of the real Soda Core 3.5.6 (`tests/data/sodacl-corpus/`,
//! produced by its oracle): every condition Soda Core parsed becomes the same zone here, and
//! every result it evaluated gets the same outcome from the recorded value.

#![cfg(not(target_arch = "wasm32"))]
// A test that meets an unexpected error should stop right there, helpers included.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use serde_json::Value;
use shared::api::CheckOutcome;
use shared::sodacl::threshold::SodaBounds;
use shared::sodacl::{Thresholds, Zone, split_inline_threshold};

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

/// The condition text(s) of a check: `(fail, warn)` from `when …` configurations, or the
/// inline threshold of its line (whose fail zone is the inverse).
#[derive(Debug)]
enum Source {
    Configured {
        fail: Option<String>,
        warn: Option<String>,
    },
    Inline(String),
}

fn source(check: &Value) -> Option<Source> {
    let config = &check["source_configurations"];
    let when = |key: &str| {
        config[key]
            .as_str()
            .and_then(|v| v.strip_prefix("when "))
            .map(str::to_owned)
    };
    let (fail, warn) = (when("fail"), when("warn"));
    let line = check["source_line"].as_str()?;
    match split_inline_threshold(line) {
        Some((_, condition)) => Some(Source::Inline(condition.to_owned())),
        None if fail.is_some() || warn.is_some() => Some(Source::Configured { fail, warn }),
        None => None,
    }
}

#[test]
fn conditions_become_the_zones_soda_core_built() {
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for (file, expected) in corpus() {
        for check in expected["parse"]["checks"].as_array().into_iter().flatten() {
            if !is_threshold_check(check) {
                continue;
            }
            let (Ok(want_fail), Ok(want_warn)) = (zone(&check["fail"]), zone(&check["warn"]))
            else {
                // A bound Soda Core kept as text: Seltzer must refuse the condition.
                let refused = match source(check) {
                    Some(Source::Inline(cond)) => Zone::parse(&cond).is_err(),
                    Some(Source::Configured { fail, warn }) => {
                        fail.iter().chain(&warn).any(|c| Zone::parse(c).is_err())
                    }
                    None => true,
                };
                if !refused {
                    mismatches.push(format!(
                        "{file}: {}: accepted a text bound",
                        check["source_line"]
                    ));
                }
                continue;
            };
            let got = match source(check) {
                Some(Source::Inline(cond)) => Zone::parse(&cond).map(Thresholds::inline),
                Some(Source::Configured { fail, warn }) => (|| {
                    Ok(Thresholds {
                        fail: fail.map(|c| Zone::parse(&c)).transpose()?,
                        warn: warn.map(|c| Zone::parse(&c)).transpose()?,
                    })
                })(),
                None => continue,
            };
            match got {
                // Soda Core did not build a zone either (variables, durations, bad text).
                Err(_) if want_fail.is_none() && want_warn.is_none() => {}
                Err(e) => mismatches.push(format!("{file}: {}: {e}", check["source_line"])),
                // Soda Core ignores `when` keys next to an inline threshold (spec §5.2).
                Ok(t) if (t.fail, t.warn) == (want_fail, want_warn) => compared += 1,
                Ok(t) => mismatches.push(format!(
                    "{file}: {}: got {t:?}, Soda Core {want_fail:?} / {want_warn:?}",
                    check["source_line"]
                )),
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(compared >= 200, "only {compared} thresholds compared");
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
