//! A check's outcome from its measured value, as Soda Core 3.5.6 decides it (spec §5.3, §11).

use super::catalogue;
use super::model::{Check, CheckKind};
use super::threshold::{Thresholds, Zone};
use super::variables::{Variables, python_float};
use crate::api::CheckOutcome;

/// What was measured for a check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measurement {
    /// The metric value (for freshness: the age in seconds; `None` when nothing was measured,
    /// e.g. `avg` over no rows or freshness of an empty dataset).
    pub value: Option<f64>,
    /// For change-over-time checks: the previous value from the history.
    pub previous: Option<f64>,
}

/// The value a change-over-time check compares: signed difference, or percent change (null
/// when the previous value is 0 and the current is not).
pub fn change_value(current: f64, previous: f64, percent: bool) -> Option<f64> {
    if !percent {
        return Some(current - previous);
    }
    if previous == 0.0 {
        return (current == 0.0).then_some(0.0);
    }
    Some((current - previous) / previous * 100.0)
}

/// Python's `round(x, 2)` for the percentages Soda Core computes (half to even on the binary
/// value, close enough for values that went through SQL).
fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The check's fail and warn zones with their variables resolved; `None` when a bound is not a
/// number (Soda Core then does not evaluate the check).
fn thresholds(check: &Check, variables: &Variables) -> Option<Thresholds> {
    let resolve = |text: &str| python_float(&variables.resolve(text));
    let fail = match &check.fail {
        Some(z) => Some(z.resolve(&resolve)?),
        None => None,
    };
    let warn = match &check.warn {
        Some(z) => Some(z.resolve(&resolve)?),
        None => None,
    };
    Some(Thresholds { fail, warn })
}

/// The outcome, or `None` when Soda Core would not evaluate the check.
pub fn outcome(check: &Check, m: Measurement, variables: &Variables) -> Option<CheckOutcome> {
    let thresholds = || thresholds(check, variables);
    match check.kind {
        CheckKind::Freshness => {
            let Some(age) = m.value else {
                return Some(CheckOutcome::Fail);
            };
            if check.fail_older_than.is_some_and(|span| age > span) {
                Some(CheckOutcome::Fail)
            } else if check.warn_older_than.is_some_and(|span| age > span) {
                Some(CheckOutcome::Warn)
            } else {
                Some(CheckOutcome::Pass)
            }
        }
        CheckKind::Reference => Some(if m.value? > 0.0 {
            CheckOutcome::Fail
        } else {
            CheckOutcome::Pass
        }),
        CheckKind::RowCountComparison => Some(if m.value? == 0.0 {
            CheckOutcome::Pass
        } else {
            CheckOutcome::Fail
        }),
        CheckKind::FailedRowsCondition | CheckKind::FailedRowsQuery => {
            let value = m.value?;
            if check.fail.is_none() && check.warn.is_none() {
                return Some(if value > 0.0 {
                    CheckOutcome::Fail
                } else {
                    CheckOutcome::Pass
                });
            }
            thresholds()?.outcome(Some(value))
        }
        CheckKind::ChangeOverTime => {
            let percent = check.change_over_time.as_ref().is_some_and(|c| c.percent);
            let value = change_value(m.value?, m.previous?, percent)?;
            thresholds()?.outcome(Some(value))
        }
        CheckKind::Metric | CheckKind::Distribution => {
            let mut value = m.value?;
            if check
                .metric_name
                .as_deref()
                .is_some_and(catalogue::is_percentage_metric)
            {
                value = round2(value);
            }
            thresholds()?.outcome(Some(value))
        }
        // These need Soda Cloud history or more than one value.
        CheckKind::AnomalyScore
        | CheckKind::AnomalyDetection
        | CheckKind::Schema
        | CheckKind::GroupBy
        | CheckKind::GroupEvolution => None,
    }
}

/// Why Soda Core alone can judge a check of this kind, or `None` when a stored result's value
/// is all it takes (see `judge_stored`).
pub fn needs_soda_core(kind: CheckKind) -> Option<&'static str> {
    match kind {
        CheckKind::AnomalyScore | CheckKind::AnomalyDetection => {
            Some("Soda Core judges anomalies with its own model of the whole history")
        }
        CheckKind::Schema => Some("Soda Core judges a schema against the previous scan's"),
        CheckKind::GroupEvolution => Some("Soda Core judges groups against the previous scan's"),
        CheckKind::GroupBy => Some("Soda Core judges each group's own value"),
        _ => None,
    }
}

/// The outcome a check gives a result Soda Core stored, from the result's value as Soda Core
/// reported it: the change itself for a change-over-time check, the age in milliseconds for
/// freshness, the metric otherwise. `None` when the check cannot be judged from that value
/// (see `needs_soda_core`), or Soda Core would not evaluate it.
pub fn judge_stored(
    check: &Check,
    value: Option<f64>,
    variables: &Variables,
) -> Option<CheckOutcome> {
    if needs_soda_core(check.kind).is_some() {
        return None;
    }
    match check.kind {
        // The stored value is the change Soda Core computed: only the thresholds apply.
        CheckKind::ChangeOverTime => thresholds(check, variables)?.outcome(Some(value?)),
        CheckKind::Freshness => outcome(
            check,
            Measurement {
                value: value.map(|ms| ms / 1000.0),
                previous: None,
            },
            variables,
        ),
        _ => outcome(
            check,
            Measurement {
                value,
                previous: None,
            },
            variables,
        ),
    }
}

/// The fail and warn zones in the unit Seltzer stores the check's value in (freshness: the age
/// in milliseconds; a change-over-time check: the change), for drawing them over its history.
/// `None` when only Soda Core knows them (see `needs_soda_core`) or a variable is missing.
pub fn stored_zones(check: &Check, variables: &Variables) -> Option<Thresholds> {
    match check.kind {
        // Soda Core reports no bounds for freshness: the zones are "older than" each span.
        CheckKind::Freshness => {
            let older_than = |span: Option<f64>| {
                span.map(|seconds| Zone {
                    gt: Some(seconds * 1000.0),
                    ..Zone::default()
                })
            };
            Some(Thresholds {
                fail: older_than(check.fail_older_than),
                warn: older_than(check.warn_older_than),
            })
        }
        kind if needs_soda_core(kind).is_some() => None,
        _ => thresholds(check, variables),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::sodacl::{Options, parse};

    fn check(yaml: &str) -> Check {
        let report = parse(yaml, &Options::default());
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        report.checks.into_iter().next().unwrap()
    }

    const NOTHING_MEASURED: Measurement = Measurement {
        value: None,
        previous: None,
    };

    fn value(v: f64) -> Measurement {
        Measurement {
            value: Some(v),
            previous: None,
        }
    }

    #[test]
    fn fail_wins_and_percentages_round() {
        let vars = Variables::default();
        let c =
            check("checks for t:\n  - row_count:\n      warn: when > 5\n      fail: when > 3\n");
        assert_eq!(outcome(&c, value(6.0), &vars), Some(CheckOutcome::Fail));
        let c = check("checks for t:\n  - missing_percent(a) = 16.67\n");
        assert_eq!(
            outcome(&c, value(16.666_666), &vars),
            Some(CheckOutcome::Pass)
        );
        assert_eq!(outcome(&c, NOTHING_MEASURED, &vars), None);
    }

    #[test]
    fn freshness_zones_are_in_milliseconds_like_its_stored_value() {
        let vars = Variables::default();
        let c = check(
            "checks for t:\n  - freshness(a):\n      warn: when > 1h\n      fail: when > 1d\n",
        );
        let zones = stored_zones(&c, &vars).unwrap();
        assert_eq!(zones.fail.unwrap().gt, Some(86_400_000.0));
        assert_eq!(zones.warn.unwrap().gt, Some(3_600_000.0));
        let plain = check("checks for t:\n  - freshness(a) < 12h\n");
        let zones = stored_zones(&plain, &vars).unwrap();
        assert_eq!(zones.fail.unwrap().gt, Some(43_200_000.0));
        assert_eq!(zones.warn, None);
        // The stored zones judge the stored value as Soda Core did.
        let fail = zones.fail.unwrap();
        assert!(!fail.contains(43_200_000.0) && fail.contains(43_200_001.0));
    }

    #[test]
    fn freshness_is_strictly_older_than() {
        let vars = Variables::default();
        let c = check("checks for t:\n  - freshness(a) < 12h\n");
        assert_eq!(
            outcome(&c, value(12.0 * 3600.0), &vars),
            Some(CheckOutcome::Pass)
        );
        assert_eq!(
            outcome(&c, value(12.0 * 3600.0 + 1.0), &vars),
            Some(CheckOutcome::Fail)
        );
        assert_eq!(
            outcome(&c, NOTHING_MEASURED, &vars),
            Some(CheckOutcome::Fail)
        );
    }

    #[test]
    fn change_over_time() {
        let vars = Variables::default();
        let c = check("checks for t:\n  - change percent for row_count < 10\n");
        let m = Measurement {
            value: Some(105.0),
            previous: Some(100.0),
        };
        assert_eq!(outcome(&c, m, &vars), Some(CheckOutcome::Pass));
        let m = Measurement {
            value: Some(5.0),
            previous: Some(0.0),
        };
        assert_eq!(outcome(&c, m, &vars), None);
    }
}
