//! The names SodaCL knows: built-in metrics, format names, configuration keys — and the
//! "did you mean" suggestions made from them.

/// Built-in metrics of the DuckDB / PostgreSQL data sources, with whether they need a column.
pub const METRICS: &[(&str, bool)] = &[
    ("row_count", false),
    ("missing_count", true),
    ("missing_percent", true),
    ("invalid_count", true),
    ("invalid_percent", true),
    ("valid_count", true),
    ("valid_percent", true),
    ("duplicate_count", true),
    ("duplicate_percent", true),
    ("min", true),
    ("max", true),
    ("avg", true),
    ("sum", true),
    ("min_length", true),
    ("max_length", true),
    ("avg_length", true),
    ("stddev", true),
    ("stddev_pop", true),
    ("stddev_samp", true),
    ("variance", true),
    ("var_pop", true),
    ("var_samp", true),
    ("percentile", true),
    ("percentile_disc", true),
    ("freshness", true),
    ("distribution_difference", true),
];

pub fn metric(name: &str) -> Option<bool> {
    METRICS
        .iter()
        .find(|(m, _)| *m == name)
        .map(|(_, col)| *col)
}

/// Metrics whose value is a percentage (Soda Core rounds it to 2 decimals).
pub fn is_percentage_metric(name: &str) -> bool {
    name.ends_with("_percent")
}

pub const FORMATS: &[&str] = &[
    "integer",
    "positive integer",
    "negative integer",
    "decimal",
    "positive decimal",
    "negative decimal",
    "decimal point",
    "positive decimal point",
    "negative decimal point",
    "decimal comma",
    "positive decimal comma",
    "negative decimal comma",
    "percentage",
    "positive percentage",
    "negative percentage",
    "percentage point",
    "positive percentage point",
    "negative percentage point",
    "percentage comma",
    "positive percentage comma",
    "negative percentage comma",
    "money",
    "money point",
    "money comma",
    "date us",
    "date eu",
    "date inverse",
    "date iso 8601",
    "time 24h",
    "time 24h nosec",
    "time 12h",
    "time 12h nosec",
    "timestamp 24h",
    "timestamp 12h",
    "uuid",
    "ip address",
    "ipv4 address",
    "ipv6 address",
    "email",
    "phone number",
    "credit card number",
];

/// Missing and validity configuration keys (valid on metric checks and in
/// `configurations for`).
pub const VALIDITY_KEYS: &[&str] = &[
    "missing values",
    "missing format",
    "missing regex",
    "valid values",
    "invalid values",
    "valid format",
    "invalid format",
    "valid regex",
    "invalid regex",
    "valid min",
    "valid max",
    "valid length",
    "valid min length",
    "valid max length",
    "include null",
];

/// Keys a metric-style check accepts besides the validity keys and `<metric> expression|query|sql_file`.
pub const METRIC_KEYS: &[&str] = &[
    "name",
    "identity",
    "warn",
    "fail",
    "samples limit",
    "attributes",
    "warn_only",
    "filter",
    "condition",
    "method",
    "failed rows query",
    "failed rows sql_file",
    "model",
    "training_dataset_parameters",
    "severity_level_parameters",
    "take_over_existing_anomaly_score_check",
];

/// Edit distance counting a swap of two neighbours as one edit (optimal string alignment),
/// over three rolling rows.
pub fn distance(a: &str, b: &str) -> usize {
    bounded_distance(a, b, usize::MAX)
}

/// [`distance`], giving up (returning more than `limit`) as soon as a whole row exceeds it.
fn bounded_distance(a: &str, b: &str, limit: usize) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut rows = vec![0usize; 3 * width];
    let (mut before, mut prev, mut cur) = (0, width, 2 * width);
    for (j, cell) in rows[prev..prev + width].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        rows[cur] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[prev + j] + 1)
                .min(rows[cur + j - 1] + 1)
                .min(rows[prev + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[before + j - 2] + 1);
            }
            rows[cur + j] = best;
        }
        if rows[cur..cur + width].iter().all(|d| *d > limit) {
            return limit.saturating_add(1);
        }
        (before, prev, cur) = (prev, cur, before);
    }
    rows[prev + b.len()]
}

/// The closest known name, if it is close enough to be a likely typo.
pub fn suggest<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    let normalised = word.replace(['_', '-'], " ").to_lowercase();
    let length = word.chars().count();
    let known: Vec<&'a str> = known.into_iter().collect();
    // The common mistake first: underscores or case instead of the spaced, lower-case name.
    if let Some(exact) = known
        .iter()
        .find(|c| c.len() == normalised.len() && c.replace('_', " ") == normalised)
    {
        return Some(exact);
    }
    let mut best: Option<(&str, usize)> = None;
    for candidate in known {
        // Lengths further apart than the limit cannot be within it.
        if candidate.chars().count().abs_diff(length) > limit {
            continue;
        }
        let mut d = bounded_distance(word, candidate, limit);
        if d > 0 && (candidate.contains('_') || normalised != word) {
            d = d.min(bounded_distance(
                &normalised,
                &candidate.replace('_', " "),
                limit,
            ));
        }
        if best.is_none_or(|(_, bd)| d < bd) {
            best = Some((candidate, d));
        }
    }
    best.filter(|(_, d)| *d <= limit).map(|(c, _)| c)
}

/// ` — did you mean 'x'?` or nothing.
pub fn did_you_mean<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    suggest(word, known)
        .filter(|s| *s != word)
        .map(|s| format!(" — did you mean '{s}'?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(
            suggest("row_cout", METRICS.iter().map(|m| m.0)),
            Some("row_count")
        );
        assert_eq!(
            suggest("fitler", METRIC_KEYS.iter().copied()),
            Some("filter")
        );
        assert_eq!(
            suggest("valid_values", VALIDITY_KEYS.iter().copied()),
            Some("valid values")
        );
        assert_eq!(suggest("emial", FORMATS.iter().copied()), Some("email"));
        assert_eq!(
            suggest("completely different", FORMATS.iter().copied()),
            None
        );
    }
}
