//! What reading a checks file produces: the checks (typed, each with its source position) and
//! the diagnostics. Both serialize to the JSON contract of `seltzer validate --format json`.

use serde::Serialize;

use super::grammar::ChangeOverTime;
use super::identity::Identities;
pub use super::threshold::{Bound, ZoneSpec, timedelta_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

/// Who else reports a problem, and when: the corpus comparison and the editor both need to know
/// whether Soda Core would stop at parse time, only fail when the scan runs, or accept it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Soda Core reports it while reading the file.
    SodaParse,
    /// Soda Core only finds out when the scan runs (the check or the whole scan then fails).
    SodaScan,
    /// Soda Core accepts it silently; Seltzer reports it because it is certainly a mistake.
    Seltzer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    #[serde(skip)]
    pub severity: Severity,
    pub line: u32,
    pub col: u32,
    pub message: String,
    #[serde(skip)]
    pub origin: Origin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    Metric,
    ChangeOverTime,
    AnomalyScore,
    AnomalyDetection,
    Freshness,
    Schema,
    Reference,
    RowCountComparison,
    FailedRowsCondition,
    FailedRowsQuery,
    Distribution,
    GroupBy,
    GroupEvolution,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Dataset,
    DataSource,
    ForEachDataset,
    GroupBy,
    /// Created by an `automated monitoring` section.
    AutomatedMonitoring,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum MetricArg {
    Number(f64),
    Text(String),
}

impl MetricArg {
    pub fn as_text(&self) -> Option<&str> {
        match self {
            MetricArg::Text(t) => Some(t),
            MetricArg::Number(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub dataset: Option<String>,
    pub kind: CheckKind,
    pub metric_name: Option<String>,
    /// The column the check is on: text, or a number when the argument was one.
    pub column: Option<MetricArg>,
    pub line: u32,
    pub col: u32,
    pub source_line: String,
    pub name: Option<String>,
    /// The v3 identity (what Soda Core sends as `identity`), or the configured one (v4).
    pub identity: Option<String>,
    pub fail: Option<ZoneSpec>,
    pub warn: Option<ZoneSpec>,
    pub scope: Scope,
    pub source_header: String,
    pub filter_name: Option<String>,
    pub metric_args: Option<Vec<MetricArg>>,
    pub identities: Option<Identities>,
    pub change_over_time: Option<ChangeOverTimeSpec>,
    /// Freshness: the span (seconds) past which the check fails / warns.
    pub fail_older_than: Option<f64>,
    pub warn_older_than: Option<f64>,
    /// The name Soda Core reports for the result (configured name or the generated one,
    /// variables resolved).
    pub display_name: String,
    #[serde(skip)]
    pub source_configurations: Option<serde_json::Value>,
    /// The configuration as read (positions, quoting): identities are computed from it once
    /// the whole file is known.
    #[serde(skip)]
    pub config_node: Option<super::yaml::Node>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeOverTimeSpec {
    pub last_measurements: u32,
    pub last_aggregation: String,
    pub same_day_last_week: bool,
    pub percent: bool,
}

impl From<&ChangeOverTime> for ChangeOverTimeSpec {
    fn from(c: &ChangeOverTime) -> Self {
        ChangeOverTimeSpec {
            last_measurements: c.last_measurements.unwrap_or(1),
            last_aggregation: c
                .last_aggregation
                .clone()
                .unwrap_or_else(|| "min".to_owned()),
            same_day_last_week: c.same_day_last_week,
            percent: c.percent,
        }
    }
}

/// Everything known about one checks file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub file: String,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
    pub checks: Vec<Check>,
    #[serde(skip)]
    pub infos: Vec<Diagnostic>,
    /// Soda Core would stop reading the file at a problem (`Could not add SodaCL file`): the
    /// checks after it are not loaded.
    #[serde(skip)]
    pub aborted: bool,
}

impl Report {
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Every diagnostic, in file order.
    pub fn diagnostics(&self) -> Vec<&Diagnostic> {
        let mut all: Vec<&Diagnostic> = self
            .errors
            .iter()
            .chain(&self.warnings)
            .chain(&self.infos)
            .collect();
        all.sort_by_key(|d| (d.line, d.col, d.severity));
        all
    }
}
