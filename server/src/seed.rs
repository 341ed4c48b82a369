//! `seltzer seed`: fills a database with realistic scan results through the real ingest path
//! (Soda Core's scan-results document, parsed and stored exactly as `POST /api/command` stores
//! it), for demos and for the load benchmark. Default: 1,000 checks × 1,000 scans over 50
//! datasets = 1,000,000 check results, one scan every 3 hours.

use std::time::Instant;

use serde_json::{Value, json};

use crate::soda::document;
use crate::storage::{Database, StorageError};
use crate::timestamp;

#[derive(Debug, Clone)]
pub struct SeedPlan {
    pub checks: usize,
    pub scans: usize,
    pub datasets: usize,
    /// Data timestamp of the last scan (epoch ms); earlier scans go back by `interval_ms`.
    pub last_ms: i64,
    pub interval_ms: i64,
}

impl SeedPlan {
    pub fn new(checks: usize, scans: usize, datasets: usize, last_ms: i64) -> Self {
        SeedPlan {
            checks,
            scans,
            datasets: datasets.max(1),
            last_ms,
            interval_ms: 3 * 3600 * 1000,
        }
    }

    pub fn dataset_name(&self, check: usize) -> String {
        format!("dataset_{:02}", check % self.datasets)
    }
}

/// What the metric checks look like: (metric, needs a column).
const METRICS: &[(&str, bool)] = &[
    ("row_count", false),
    ("missing_count", true),
    ("invalid_percent", true),
    ("duplicate_count", true),
    ("avg", true),
];

const TEAMS: &[&str] = &["core", "growth", "finance"];

/// A deterministic value in 0..100 for a check in a scan: mostly calm, sometimes past the
/// warn (90) or fail (95) line, with a slow drift so that trend charts have a shape.
fn value(check: usize, scan: usize) -> f64 {
    let mut x = (check as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (scan as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    x ^= x >> 29;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 32;
    let noise = (x % 10_000) as f64 / 100.0;
    let drift = ((scan as f64 / 50.0) + check as f64).sin() * 10.0;
    (noise * 0.8 + drift + 10.0).clamp(0.0, 100.0)
}

/// The scan-results document Soda Core would send for scan `index` (0 = oldest).
pub fn scan_document(plan: &SeedPlan, index: usize) -> Value {
    let age = i64::try_from(plan.scans.saturating_sub(index + 1)).unwrap_or(0);
    let ts = timestamp::format(plan.last_ms - age * plan.interval_ms);
    let mut checks = Vec::with_capacity(plan.checks);
    let mut metrics = Vec::with_capacity(plan.checks);
    let (mut failures, mut warnings) = (false, false);
    for c in 0..plan.checks {
        let dataset = plan.dataset_name(c);
        let (metric, has_column) = METRICS[c % METRICS.len()];
        let column = has_column.then(|| format!("col_{}", c / METRICS.len() % 40));
        let metric_text = match &column {
            Some(col) => format!("{metric}({col})"),
            None => metric.to_owned(),
        };
        let line = format!("{metric_text} #{c}");
        let v = value(c, index);
        let outcome = if v > 95.0 {
            failures = true;
            "fail"
        } else if v > 90.0 {
            warnings = true;
            "warn"
        } else {
            "pass"
        };
        let identity = format!(
            "{:08x}",
            (c as u64).wrapping_mul(2_654_435_761) & 0xffff_ffff
        );
        let metric_id = format!("metric-seed-{dataset}-{c}");
        metrics.push(json!({"identity": metric_id, "metricName": metric, "value": v}));
        checks.push(json!({
            "identity": identity,
            "identities": {"v1": format!("a{identity}"), "v2": format!("b{identity}"), "v3": identity},
            "name": line,
            "type": "generic",
            "definition": format!("checks for {dataset}:\n  {metric_text}:\n    warn: when > 90\n    fail: when > 95"),
            "resourceAttributes": [{"name": "team", "value": TEAMS[c % TEAMS.len()]}],
            "location": {"filePath": "checks.yml", "line": 2 + c * 4, "col": 5},
            "dataSource": "warehouse",
            "table": dataset,
            "column": column,
            "metrics": [metric_id],
            "outcome": outcome,
            "diagnostics": {
                "blocks": [],
                "value": v,
                "warn": {"greaterThan": 90.0},
                "fail": {"greaterThan": 95.0},
            },
            "source": "soda-core",
        }));
    }
    json!({
        "type": "sodaCoreInsertScanResults",
        "definitionName": "seed_hourly",
        "defaultDataSource": "warehouse",
        "dataTimestamp": ts,
        "scanStartTimestamp": ts,
        "scanEndTimestamp": ts,
        "hasErrors": false,
        "hasWarnings": warnings,
        "hasFailures": failures,
        "metrics": metrics,
        "checks": checks,
        "queries": [],
        "automatedMonitoringChecks": [],
        "profiling": [],
        "metadata": [],
        "logs": [
            {"level": "info", "message": "Soda Core 3.5.6", "timestamp": ts, "index": 0},
            {"level": "info", "message": format!("{} checks evaluated", plan.checks), "timestamp": ts, "index": 1},
        ],
        "sourceOwner": "soda-core",
    })
}

/// Stores every scan of the plan; `progress` hears after each scan (index, results so far).
pub async fn seed(
    db: &Database,
    plan: &SeedPlan,
    mut progress: impl FnMut(usize, usize),
) -> Result<SeedSummary, SeedError> {
    let start = Instant::now();
    let mut results = 0;
    for index in 0..plan.scans {
        let body = scan_document(plan, index);
        let doc = document::parse(&body).map_err(SeedError::Document)?;
        db.insert_scan(&doc, &body.to_string(), crate::storage::ScanSender::SELTZER)
            .await?;
        results += doc.checks.len();
        progress(index, results);
    }
    Ok(SeedSummary {
        scans: plan.scans,
        results,
        seconds: start.elapsed().as_secs_f64(),
    })
}

#[derive(Debug, Clone, Copy)]
pub struct SeedSummary {
    pub scans: usize,
    pub results: usize,
    pub seconds: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("the generated document was refused: {0}")]
    Document(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_parse_and_have_every_outcome() {
        let plan = SeedPlan::new(200, 50, 10, 1_700_000_000_000);
        let mut outcomes = std::collections::BTreeSet::new();
        for i in [0, 25, 49] {
            let body = scan_document(&plan, i);
            let doc = document::parse(&body).expect("valid document");
            assert_eq!(doc.checks.len(), 200);
            for c in body["checks"].as_array().into_iter().flatten() {
                outcomes.insert(c["outcome"].as_str().unwrap_or_default().to_owned());
            }
        }
        assert_eq!(outcomes.len(), 3, "{outcomes:?}");
        assert_ne!(
            scan_document(&plan, 0)["dataTimestamp"],
            scan_document(&plan, 1)["dataTimestamp"]
        );
    }
}
