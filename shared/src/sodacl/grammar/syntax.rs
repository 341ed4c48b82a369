//! What the grammar yields: check lines, their thresholds and section headers.

/// A threshold value as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Number(f64),
    /// Seconds, from one or more `<digits><d|h|m>` units.
    Duration(f64),
    /// An identifier: a variable (`${MAX}`) or text Python's `float()` may still read (`1e3`).
    Text(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    Lt,
    Lte,
    Eq,
    Gte,
    Gt,
    Ne,
}

/// A condition as written: `> 5`, `between (1 and 10]`, `not between 1 and 2`.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Compare(Comparator, Value),
    Between {
        not: bool,
        lower_inclusive: bool,
        lower: Value,
        upper: Value,
        upper_inclusive: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Number(f64),
    Ident(String),
}

impl Arg {
    pub fn text(&self) -> String {
        match self {
            Arg::Number(n) => format_number(*n),
            Arg::Ident(s) => s.clone(),
        }
    }
}

/// Python's `str(float)` for the values a check line can hold.
pub fn format_number(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e16 {
        format!("{n:.1}")
    } else {
        format!("{n}")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChangeOverTime {
    pub last_measurements: Option<u32>,
    pub last_aggregation: Option<String>,
    pub same_day_last_week: bool,
    pub percent: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Prefix {
    Change(ChangeOverTime),
    AnomalyScore,
    AnomalyDetection,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LineThreshold {
    Condition(Condition),
    /// `< default` (anomaly score checks).
    Default,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MetricLine {
    pub prefix: Option<Prefix>,
    pub metric: String,
    /// Character offset of the metric name in the line.
    pub metric_at: usize,
    pub args: Vec<Arg>,
    pub threshold: Option<LineThreshold>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CheckLine {
    Metric(MetricLine),
    RowCountComparison {
        other_dataset: String,
        other_partition: Option<String>,
        other_data_source: Option<String>,
    },
    Reference {
        source_columns: Vec<String>,
        must_not_exist: bool,
        target_dataset: String,
        target_columns: Vec<String>,
    },
    FreshnessUsing {
        column: String,
        variable: Option<String>,
        threshold: Option<Value>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Header {
    Checks {
        dataset: String,
        partition: Option<String>,
    },
    Filter {
        dataset: String,
        partition: String,
    },
    Configurations {
        dataset: String,
    },
    ForEachDataset {
        alias: String,
    },
    ForEachColumn {
        alias: String,
    },
}
