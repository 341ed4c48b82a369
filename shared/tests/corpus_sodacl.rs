//! The SodaCL reader against the verdicts of the real Soda Core 3.5.6 parser and scan engine
//! (`tests/data/sodacl-corpus/`, produced by its oracle), file by file:
//! - the same verdict: the file has parse errors or not;
//! - every error Soda Core locates is reported on the same line;
//! - the same checks (kind, dataset, metric, arguments, column, line, name, thresholds, filter);
//! - the same identities (v1, v2, v3 and the one sent) for every executed check;
//! - for every executed check with an outcome, the same outcome from the recorded value;
//! - every problem Seltzer says Soda Core finds at scan time did make the scan log an error.

//!
//! The corpus is compiled in (see `build.rs`), so the same test runs natively and as wasm in
//! headless Chromium.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use serde_json::{Value, json};
use shared::sodacl::evaluate::{Measurement, outcome};
use shared::sodacl::variables::Variables;
use shared::sodacl::{Check, Options, Origin, Report, Scope, parse};

struct Case {
    name: String,
    /// The files next to the checks file (for `sql_file`).
    companions: std::collections::BTreeSet<String>,
    source: String,
    expected: Value,
}

include!(concat!(env!("OUT_DIR"), "/sodacl_corpus.rs"));

/// The shared corpus, and Seltzer's own cases judged by the same oracle (`sodacl-extra/`).
fn corpus() -> Vec<Case> {
    CORPUS
        .iter()
        .map(|(dir, name, yml, expected)| Case {
            name: (*name).to_owned(),
            companions: COMPANIONS
                .iter()
                .filter(|(d, _)| d == dir)
                .map(|(_, f)| (*f).to_owned())
                .collect(),
            source: (*yml).to_owned(),
            expected: serde_json::from_str(expected).unwrap(),
        })
        .collect()
}

fn options(case: &Case) -> Options {
    let mut variables = BTreeMap::new();
    if let Some(vars) = case.expected["oracle"]["variables"].as_object() {
        for (k, v) in vars {
            variables.insert(k.clone(), v.as_str().unwrap_or_default().to_owned());
        }
    }
    Options {
        file_name: case.expected["file"].as_str().unwrap().to_owned(),
        data_source: case.expected["oracle"]["data_source"]
            .as_str()
            .unwrap()
            .to_owned(),
        // The oracle pins the scan's start, so `${NOW}` means the same in every run.
        now: case.expected["oracle"]["now"].as_str().unwrap().to_owned(),
        variables,
        file_exists: Some({
            let companions = case.companions.clone();
            shared::sodacl::FileCheck(std::sync::Arc::new(move |path: &str| {
                companions.contains(path.trim_start_matches("./"))
            }))
        }),
    }
}

fn zone_json(z: &Option<shared::sodacl::ZoneSpec>) -> Value {
    match z {
        None => Value::Null,
        Some(z) => {
            let mut v = serde_json::to_value(z).unwrap();
            // The corpus prints every bound; absent ones are null there too.
            for k in ["gt", "gte", "lt", "lte"] {
                if v.get(k).is_none() {
                    v[k] = Value::Null;
                }
            }
            v
        }
    }
}

/// The fields both sides have, as the corpus spells them.
fn comparable(check: &Check) -> Value {
    let mut v = json!({
        "kind": check.kind,
        "dataset": check.dataset,
        "source_line": check.source_line,
        "name": check.name,
        "filter_name": check.filter_name,
        "location": {"line": check.line, "col": check.col},
    });
    if check.metric_name.is_some()
        && !matches!(
            check.kind,
            shared::sodacl::CheckKind::Freshness | shared::sodacl::CheckKind::Distribution
        )
    {
        v["metric_name"] = json!(check.metric_name);
        v["metric_args"] = json!(check.metric_args);
        v["column"] = json!(check.column);
        v["fail"] = zone_json(&check.fail);
        v["warn"] = zone_json(&check.warn);
    }
    if check.kind == shared::sodacl::CheckKind::Freshness && check.metric_name.is_some() {
        v["column"] = json!(check.column);
        v["fail_older_than"] = json!(check.fail_older_than);
        v["warn_older_than"] = json!(check.warn_older_than);
    }
    if matches!(
        check.kind,
        shared::sodacl::CheckKind::FailedRowsCondition | shared::sodacl::CheckKind::FailedRowsQuery
    ) {
        v["fail"] = zone_json(&check.fail);
        v["warn"] = zone_json(&check.warn);
    }
    v
}

fn expected_comparable(expected: &Value, mine: &Value) -> Value {
    let mut v = json!({});
    for key in mine.as_object().unwrap().keys() {
        let mut field = expected[key].clone();
        if key == "dataset"
            && let Some(s) = field.as_str()
        {
            field = json!(s);
        }
        if key.ends_with("_older_than") {
            field = field["duration_seconds"].clone();
        }
        v[key] = field;
    }
    v
}

fn describe(report: &Report) -> String {
    report
        .diagnostics()
        .iter()
        .map(|d| {
            format!(
                "  {}:{} {:?} {:?}: {}",
                d.line, d.col, d.severity, d.origin, d.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn check_case(case: &Case) -> Vec<String> {
    let mut problems = Vec::new();
    let report = parse(&case.source, &options(case));
    let parse_logs = case.expected["parse"]["logs"].as_array().unwrap();
    let soda_errors: Vec<&Value> = parse_logs
        .iter()
        .filter(|l| l["level"] == "ERROR")
        .collect();

    // Verdict.
    let my_parse_errors: Vec<_> = report
        .errors
        .iter()
        .filter(|d| d.origin == Origin::SodaParse)
        .collect();
    if soda_errors.is_empty() != my_parse_errors.is_empty() {
        problems.push(format!(
            "verdict: Soda Core parse errors {:?}, Seltzer:\n{}",
            soda_errors
                .iter()
                .map(|l| l["message"].as_str().unwrap_or_default())
                .collect::<Vec<_>>(),
            describe(&report)
        ));
    }
    // Located errors on the same line.
    for e in &soda_errors {
        if let Some(line) = e["location"]["line"].as_u64()
            && !report.errors.iter().any(|d| u64::from(d.line) == line)
        {
            problems.push(format!(
                "Soda Core error on line {line} ({}) has no Seltzer error on that line:\n{}",
                e["message"],
                describe(&report)
            ));
        }
    }

    // Checks.
    let expected_checks: Vec<&Value> = case.expected["parse"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    let mine: Vec<&Check> = report
        .checks
        .iter()
        .filter(|c| matches!(c.scope, Scope::Dataset | Scope::DataSource))
        .collect();
    if expected_checks.len() != mine.len() {
        problems.push(format!(
            "{} checks expected, {} parsed: {:?}",
            expected_checks.len(),
            mine.len(),
            mine.iter().map(|c| &c.source_line).collect::<Vec<_>>()
        ));
    }
    for exp in &expected_checks {
        let loc = (&exp["location"]["line"], &exp["location"]["col"]);
        let Some(check) = mine
            .iter()
            .find(|c| json!(c.line) == *loc.0 && json!(c.col) == *loc.1)
        else {
            problems.push(format!("no check at {loc:?}: {}", exp["source_line"]));
            continue;
        };
        let m = comparable(check);
        let e = expected_comparable(exp, &m);
        if m != e {
            problems.push(format!("check differs:\n  Soda:    {e}\n  Seltzer: {m}"));
        }
    }
    let expected_for_each: usize = case.expected["parse"]["for_each_dataset"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            f["checks"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| !c["kind"].is_null())
                .count()
        })
        .sum();
    let my_for_each = report
        .checks
        .iter()
        .filter(|c| c.scope == Scope::ForEachDataset)
        .count();
    if expected_for_each != my_for_each {
        problems.push(format!(
            "{expected_for_each} for-each checks expected, {my_for_each} parsed"
        ));
    }

    // Execution: identities and outcomes.
    let execution = &case.expected["execution"];
    if let Some(results) = execution["results"].as_array() {
        let mut vars = {
            let options = options(case);
            Variables::new(&options.variables, &options.now)
        };
        if let Some(defined) = case.expected["parse"]["variables"].as_object() {
            for (k, v) in defined {
                vars.define(k, v.as_str().unwrap_or_default().to_owned());
            }
        }
        let previous = case.expected["oracle"]["historic"]["metric_value"].as_f64();
        for r in results {
            let line = r["location"]["line"].as_u64();
            let col = r["location"]["col"].as_u64();
            let Some(check) = report.checks.iter().find(|c| {
                Some(u64::from(c.line)) == line
                    && Some(u64::from(c.col)) == col
                    && matches!(c.scope, Scope::Dataset | Scope::DataSource)
                    && c.source_line == r["source_line"].as_str().unwrap_or_default()
            }) else {
                continue;
            };
            if let Some(ids) = &check.identities {
                let mine = json!({"v1": ids.v1, "v2": ids.v2, "v3": ids.v3});
                let theirs = json!({"v1": r["identities"]["v1"], "v2": r["identities"]["v2"], "v3": r["identities"]["v3"]});
                if mine != theirs
                    || Some(check.identity.as_deref().unwrap_or_default()) != r["identity"].as_str()
                {
                    problems.push(format!(
                        "identity of '{}' at {line:?}: Soda {} / {}, Seltzer {mine} / {:?}",
                        check.source_line, theirs, r["identity"], check.identity
                    ));
                }
            }
            let Some(expected_outcome) = r["outcome"].as_str() else {
                continue;
            };
            // Schema, group by and group evolution outcomes come from the data's schema and
            // groups, not from one value: the scan decides them, the evaluator has nothing to do.
            if matches!(
                check.kind,
                shared::sodacl::CheckKind::Schema
                    | shared::sodacl::CheckKind::GroupBy
                    | shared::sodacl::CheckKind::GroupEvolution
            ) {
                continue;
            }
            let value = match check.kind {
                shared::sodacl::CheckKind::Freshness => {
                    r["diagnostics"]["freshness"]["duration_seconds"].as_f64()
                }
                shared::sodacl::CheckKind::ChangeOverTime => {
                    r["diagnostics"]["diagnostics"]["metric_value"].as_f64()
                }
                _ => r["value"].as_f64(),
            };
            let got = outcome(check, Measurement { value, previous }, &vars);
            if got.map(|o| o.as_str()) != Some(expected_outcome) {
                problems.push(format!(
                    "outcome of '{}' with value {value:?}: Soda {expected_outcome}, Seltzer {got:?}",
                    check.source_line
                ));
            }
        }
        // Scan-time problems Seltzer predicts must have made the scan log an error.
        let scan_errors = execution["logs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["level"] == "ERROR");
        for d in report
            .errors
            .iter()
            .filter(|d| d.origin == Origin::SodaScan)
        {
            if !scan_errors {
                problems.push(format!(
                    "Seltzer predicts a scan-time error ({}:{} {}) but the scan logged none",
                    d.line, d.col, d.message
                ));
            }
        }
    }
    for d in report.errors.iter().filter(|d| d.origin == Origin::Seltzer) {
        problems.push(format!(
            "undocumented Seltzer-only error {}:{} {}",
            d.line, d.col, d.message
        ));
    }
    problems
}

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn every_corpus_file_agrees_with_soda_core() {
    let cases = corpus();
    assert!(cases.len() >= 150, "corpus incomplete: {}", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let problems = check_case(case);
        if !problems.is_empty() {
            failures.push(format!("== {}\n{}", case.name, problems.join("\n")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
