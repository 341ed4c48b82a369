//! Thresholds (spec §5): a *zone* is the set of values for which a condition is true.
//!
//! - `ZoneSpec::of` turns a condition the grammar parsed (`grammar::parse_condition`: `> 5`,
//!   `= 0`, `between (10 and 20]`, `not between 1 and 3`, `!= 4`) into a zone with its bounds
//!   as written; an inline threshold on a check line states when the check passes, so its fail
//!   zone is `ZoneSpec::inverse` of it. `ZoneSpec::resolve` makes it numeric: a `Zone`.
//! - `Thresholds::outcome` decides pass / warn / fail: fail wins, then warn, else pass; no value
//!   or no zone means not evaluated.
//! - `Zone::from_soda_bounds` reads the bad zone Soda Core reports in a check result's
//!   diagnostics (`{"greaterThan": 1000, "lessThan": 5}`), so stored results can be re-judged.

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use super::grammar::{Comparator, Condition, Value, format_number};
use crate::api::CheckOutcome;

/// One bound of a zone as written: a number, a duration (freshness), or text that is only
/// resolved when the check is evaluated (`${MAX_ROWS}`, `1e3`).
#[derive(Debug, Clone, PartialEq)]
pub enum Bound {
    Number(f64),
    Duration(f64),
    Text(String),
}

impl Serialize for Bound {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Bound::Number(n) => s.serialize_f64(*n),
            Bound::Text(t) => s.serialize_str(t),
            Bound::Duration(secs) => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("duration_seconds", secs)?;
                m.serialize_entry("text", &timedelta_text(*secs))?;
                m.end()
            }
        }
    }
}

/// Python's `str(timedelta)` for whole seconds: `1 day, 2:00:00`, `0:30:00`.
pub fn timedelta_text(seconds: f64) -> String {
    // Durations come from whole `d`/`h`/`m` units, so they are whole seconds.
    let total = seconds.max(0.0).round() as u64;
    let days = total / 86_400;
    let rest = total % 86_400;
    let hms = format!("{}:{:02}:{:02}", rest / 3600, rest % 3600 / 60, rest % 60);
    match days {
        0 => hms,
        1 => format!("1 day, {hms}"),
        d => format!("{d} days, {hms}"),
    }
}

impl Bound {
    pub fn describe(&self) -> String {
        match self {
            Bound::Number(n) => format_number(*n),
            Bound::Duration(s) => timedelta_text(*s),
            Bound::Text(t) => t.clone(),
        }
    }
}

/// A zone with its bounds as written: the values for which the condition is true (see
/// `Zone`, which is its resolved, numeric form).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ZoneSpec {
    pub gt: Option<Bound>,
    pub gte: Option<Bound>,
    pub lt: Option<Bound>,
    pub lte: Option<Bound>,
    pub split_zone: bool,
}

impl ZoneSpec {
    /// The zone in which a parsed condition (`grammar::parse_condition`) is true.
    pub fn of(c: &Condition) -> Self {
        let b = |v: &Value| match v {
            Value::Number(n) => Bound::Number(*n),
            Value::Duration(s) => Bound::Duration(*s),
            Value::Text(t) => Bound::Text(t.clone()),
        };
        match c {
            Condition::Compare(op, v) => {
                let v = b(v);
                match op {
                    Comparator::Lt => ZoneSpec {
                        lt: Some(v),
                        ..ZoneSpec::default()
                    },
                    Comparator::Lte => ZoneSpec {
                        lte: Some(v),
                        ..ZoneSpec::default()
                    },
                    Comparator::Gt => ZoneSpec {
                        gt: Some(v),
                        ..ZoneSpec::default()
                    },
                    Comparator::Gte => ZoneSpec {
                        gte: Some(v),
                        ..ZoneSpec::default()
                    },
                    Comparator::Eq => ZoneSpec {
                        gte: Some(v.clone()),
                        lte: Some(v),
                        ..ZoneSpec::default()
                    },
                    Comparator::Ne => ZoneSpec {
                        gt: Some(v.clone()),
                        lt: Some(v),
                        split_zone: true,
                        ..ZoneSpec::default()
                    },
                }
            }
            Condition::Between {
                not,
                lower_inclusive,
                lower,
                upper,
                upper_inclusive,
            } => {
                let mut z = ZoneSpec::default();
                if *lower_inclusive {
                    z.gte = Some(b(lower));
                } else {
                    z.gt = Some(b(lower));
                }
                if *upper_inclusive {
                    z.lte = Some(b(upper));
                } else {
                    z.lt = Some(b(upper));
                }
                if *not { z.inverse() } else { z }
            }
        }
    }

    /// The inverse zone (Soda Core's `ThresholdCfg.get_inverse`).
    pub fn inverse(&self) -> Self {
        let has_lower = self.gt.is_some() || self.gte.is_some();
        let has_upper = self.lt.is_some() || self.lte.is_some();
        ZoneSpec {
            gte: self.lt.clone(),
            gt: self.lte.clone(),
            lt: self.gte.clone(),
            lte: self.gt.clone(),
            split_zone: if has_lower && has_upper {
                !self.split_zone
            } else {
                self.split_zone
            },
        }
    }

    pub fn bounds(&self) -> impl Iterator<Item = &Bound> {
        [&self.gt, &self.gte, &self.lt, &self.lte]
            .into_iter()
            .flatten()
    }

    /// The numeric zone, with text bounds resolved by `resolve` (`None` when one cannot be
    /// read as a number — Soda Core then errors and does not evaluate the check).
    pub fn resolve(&self, resolve: &dyn Fn(&str) -> Option<f64>) -> Option<Zone> {
        let bound = |b: &Option<Bound>| -> Option<Option<f64>> {
            match b {
                None => Some(None),
                Some(Bound::Number(n) | Bound::Duration(n)) => Some(Some(*n)),
                Some(Bound::Text(t)) => resolve(t).map(Some),
            }
        };
        Some(Zone {
            gt: bound(&self.gt)?,
            gte: bound(&self.gte)?,
            lt: bound(&self.lt)?,
            lte: bound(&self.lte)?,
            split: self.split_zone,
        })
    }
}

/// `{gt, gte, lt, lte, split}`. Non-split: every set bound holds. Split: the lower half
/// (`gte`/`gt`) **or** the upper half (`lt`/`lte`) holds.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Zone {
    pub gt: Option<f64>,
    pub gte: Option<f64>,
    pub lt: Option<f64>,
    pub lte: Option<f64>,
    #[serde(rename = "split_zone")]
    pub split: bool,
}

impl Zone {
    pub fn contains(&self, v: f64) -> bool {
        let lower = self.gte.is_none_or(|b| v >= b) && self.gt.is_none_or(|b| v > b);
        let upper = self.lt.is_none_or(|b| v < b) && self.lte.is_none_or(|b| v <= b);
        if self.split {
            // Each half needs a bound; an empty half would be vacuously true.
            (self.has_lower() && lower) || (self.has_upper() && upper)
        } else {
            lower && upper
        }
    }

    fn has_lower(&self) -> bool {
        self.gt.is_some() || self.gte.is_some()
    }

    fn has_upper(&self) -> bool {
        self.lt.is_some() || self.lte.is_some()
    }

    /// The bad zone as Soda Core reports it in a result's diagnostics (`fail` / `warn`). One
    /// key is a half-line. With a lower and an upper bound, the zone is their union when the
    /// lower bound is above the upper one (`between 5 and 1000` fails outside it) or equal to
    /// it with an exclusive bound (`= 0` passes, so it fails on `> 0 or < 0`), else their
    /// intersection. Diagnostics cannot tell a reversed `between 20 and 10` (an empty zone, which
    /// the validator reports as an error) from a union; it is read as the union.
    pub fn from_soda_bounds(bounds: &SodaBounds) -> Self {
        let zone = Self {
            gt: bounds.greater_than,
            gte: bounds.greater_than_or_equal,
            lt: bounds.less_than,
            lte: bounds.less_than_or_equal,
            split: false,
        };
        let lower = zone.gt.or(zone.gte);
        let upper = zone.lt.or(zone.lte);
        let inclusive = zone.gte.is_some() && zone.lte.is_some();
        match (lower, upper) {
            (Some(l), Some(u)) if l > u || (l == u && !inclusive) => Self {
                split: true,
                ..zone
            },
            _ => zone,
        }
    }
}

/// Soda Core's own spelling of a zone, in check result diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SodaBounds {
    pub greater_than: Option<f64>,
    pub greater_than_or_equal: Option<f64>,
    pub less_than: Option<f64>,
    pub less_than_or_equal: Option<f64>,
}

/// The fail and warn zones of a check.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Thresholds {
    pub fail: Option<Zone>,
    pub warn: Option<Zone>,
}

impl Thresholds {
    /// Spec §5.3: no value or no zone → not evaluated (`None`); in the fail zone → fail (fail
    /// wins); in the warn zone → warn; else pass.
    pub fn outcome(&self, value: Option<f64>) -> Option<CheckOutcome> {
        let v = value?;
        if self.fail.is_none() && self.warn.is_none() {
            return None;
        }
        if self.fail.is_some_and(|z| z.contains(v)) {
            Some(CheckOutcome::Fail)
        } else if self.warn.is_some_and(|z| z.contains(v)) {
            Some(CheckOutcome::Warn)
        } else {
            Some(CheckOutcome::Pass)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sodacl::variables::python_float;
    use crate::sodacl::{Options, Severity, grammar, parse};

    /// The numeric zone of a condition on the product's path: the grammar, `ZoneSpec::of`, and
    /// `resolve` with Python's `float` as the evaluator resolves text bounds.
    fn zone_of(text: &str) -> Option<Zone> {
        let (condition, _) = grammar::parse_condition(text).ok()?;
        ZoneSpec::of(&condition).resolve(&python_float)
    }

    fn zone(
        gt: Option<f64>,
        gte: Option<f64>,
        lt: Option<f64>,
        lte: Option<f64>,
        split: bool,
    ) -> Option<Zone> {
        Some(Zone {
            gt,
            gte,
            lt,
            lte,
            split,
        })
    }

    /// The fail zone the parser gives the only check of a one-line checks file.
    fn inline_fail_zone(check_line: &str) -> (Option<Zone>, Vec<String>) {
        let report = parse(
            &format!("checks for orders:\n  - {check_line}\n"),
            &Options::default(),
        );
        let errors = report
            .diagnostics()
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| d.message.clone())
            .collect();
        let fail = report.checks[0]
            .fail
            .as_ref()
            .and_then(|z| z.resolve(&python_float));
        (fail, errors)
    }

    #[test]
    fn every_operator_becomes_its_zone() {
        assert_eq!(zone_of("< 5"), zone(None, None, Some(5.0), None, false));
        assert_eq!(zone_of("<= 5"), zone(None, None, None, Some(5.0), false));
        assert_eq!(zone_of("> -5"), zone(Some(-5.0), None, None, None, false));
        assert_eq!(zone_of(">= +5"), zone(None, Some(5.0), None, None, false));
        assert_eq!(
            zone_of("= 0"),
            zone(None, Some(0.0), None, Some(0.0), false)
        );
        assert_eq!(
            zone_of("!= 4"),
            zone(Some(4.0), None, Some(4.0), None, true)
        );
        assert_eq!(zone_of("<> 4"), zone_of("!= 4"));
        assert_eq!(zone_of("< 25%"), zone(None, None, Some(25.0), None, false));
        assert_eq!(zone_of("> 1.5").and_then(|z| z.gt), Some(1.5));
    }

    #[test]
    fn between_brackets_choose_inclusive_or_exclusive_bounds() {
        let ten_twenty = zone(None, Some(10.0), None, Some(20.0), false);
        assert_eq!(zone_of("between 10 and 20"), ten_twenty);
        assert_eq!(zone_of("between [10 and 20]"), ten_twenty);
        assert_eq!(
            zone_of("between (10 and 20)"),
            zone(Some(10.0), None, Some(20.0), None, false)
        );
        assert_eq!(
            zone_of("between (10 and 20]"),
            zone(Some(10.0), None, None, Some(20.0), false)
        );
        assert_eq!(
            zone_of("not between 10 and 20"),
            zone(Some(20.0), None, Some(10.0), None, true)
        );
    }

    #[test]
    fn split_zones_are_a_union() {
        let outside = zone_of("not between 10 and 20").unwrap();
        assert!(outside.contains(9.0) && outside.contains(21.0));
        assert!(!outside.contains(10.0) && !outside.contains(15.0) && !outside.contains(20.0));
        let not_four = zone_of("!= 4").unwrap();
        assert!(not_four.contains(3.9) && !not_four.contains(4.0));
    }

    #[test]
    fn a_reversed_between_is_reported_but_used_as_soda_core_does() {
        let (fail, errors) = inline_fail_zone("row_count between 20 and 10");
        assert!(
            errors.iter().any(|e| e.contains("lower bound 20")),
            "{errors:?}"
        );
        // Used anyway: as an inline threshold it then fails every value (spec §5.1).
        let thresholds = Thresholds { fail, warn: None };
        for v in [-100.0, 10.0, 15.0, 20.0, 100.0] {
            assert_eq!(thresholds.outcome(Some(v)), Some(CheckOutcome::Fail), "{v}");
        }
    }

    #[test]
    fn bad_conditions_are_refused() {
        for bad in [
            "",
            "> ",
            "> five",
            "is 5",
            "between 1 or 2",
            "~ 3",
            "between1 and 2",
        ] {
            assert_eq!(zone_of(bad), None, "{bad}");
        }
        assert!(zone_of("> 5").is_some());
        // A variable is text until the scan resolves it: no numeric zone before that.
        let (condition, _) = grammar::parse_condition("> ${LIMIT}").unwrap();
        let spec = ZoneSpec::of(&condition);
        assert_eq!(spec.resolve(&python_float), None);
        assert_eq!(
            spec.resolve(&|t| (t == "${LIMIT}").then_some(7.0)),
            zone(Some(7.0), None, None, None, false)
        );
    }

    #[test]
    fn fail_wins_then_warn_then_pass() {
        let t = Thresholds {
            fail: zone_of("> 10"),
            warn: zone_of("> 5"),
        };
        assert_eq!(t.outcome(Some(11.0)), Some(CheckOutcome::Fail));
        assert_eq!(t.outcome(Some(6.0)), Some(CheckOutcome::Warn));
        assert_eq!(t.outcome(Some(5.0)), Some(CheckOutcome::Pass));
        assert_eq!(t.outcome(None), None, "no value: not evaluated");
        assert_eq!(
            Thresholds::default().outcome(Some(1.0)),
            None,
            "no zone: not evaluated"
        );
    }

    #[test]
    fn inline_thresholds_fail_outside_their_pass_zone() {
        let (fail, errors) = inline_fail_zone("row_count > 0");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(fail, zone(None, None, None, Some(0.0), false));
        let t = Thresholds { fail, warn: None };
        assert_eq!(t.outcome(Some(0.0)), Some(CheckOutcome::Fail));
        assert_eq!(t.outcome(Some(7.0)), Some(CheckOutcome::Pass));
        let (equal, _) = inline_fail_zone("row_count = 1");
        assert_eq!(equal, zone(Some(1.0), None, Some(1.0), None, true));
    }

    #[test]
    fn soda_diagnostics_bounds_union_when_reversed() {
        let outside = Zone::from_soda_bounds(&SodaBounds {
            greater_than: Some(1000.0),
            less_than: Some(5.0),
            ..SodaBounds::default()
        });
        assert!(
            outside.split
                && outside.contains(2.0)
                && outside.contains(2000.0)
                && !outside.contains(500.0)
        );
        let inside = Zone::from_soda_bounds(&SodaBounds {
            greater_than_or_equal: Some(1.0),
            less_than_or_equal: Some(3.0),
            ..SodaBounds::default()
        });
        assert!(!inside.split && inside.contains(2.0) && !inside.contains(4.0));
        let not_zero = Zone::from_soda_bounds(&SodaBounds {
            greater_than: Some(0.0),
            less_than: Some(0.0),
            ..SodaBounds::default()
        });
        assert!(not_zero.split && not_zero.contains(1.0) && !not_zero.contains(0.0));
        let zero = Zone::from_soda_bounds(&SodaBounds {
            greater_than_or_equal: Some(0.0),
            less_than_or_equal: Some(0.0),
            ..SodaBounds::default()
        });
        assert!(!zero.split && zero.contains(0.0) && !zero.contains(1.0));
    }
}

/// The same decisions in headless Chromium: the editor's backtest runs this code as wasm.
#[cfg(all(test, target_arch = "wasm32"))]
mod in_browser {
    use super::*;
    use crate::sodacl::grammar;
    use crate::sodacl::variables::python_float;
    use wasm_bindgen_test::wasm_bindgen_test;

    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    fn zone_of(text: &str) -> Option<Zone> {
        let (condition, _) = grammar::parse_condition(text).ok()?;
        ZoneSpec::of(&condition).resolve(&python_float)
    }

    #[wasm_bindgen_test]
    fn thresholds_decide_in_the_browser() {
        let t = Thresholds {
            fail: zone_of("not between 0 and 100"),
            warn: zone_of("> 90"),
        };
        assert_eq!(t.outcome(Some(95.0)), Some(CheckOutcome::Warn));
        assert_eq!(t.outcome(Some(101.0)), Some(CheckOutcome::Fail));
        assert_eq!(t.outcome(Some(50.0)), Some(CheckOutcome::Pass));
    }
}
