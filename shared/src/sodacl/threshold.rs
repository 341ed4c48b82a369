//! Thresholds (spec §5): a *zone* is the set of values for which a condition is true.
//!
//! - `Zone::parse` turns a condition (`> 5`, `= 0`, `between (10 and 20]`, `not between 1 and
//!   3`, `!= 4`) into a zone; an inline threshold on a check line states when the check passes,
//!   so its fail zone is `Zone::inverse` of it.
//! - `Thresholds::outcome` decides pass / warn / fail: fail wins, then warn, else pass; no value
//!   or no zone means not evaluated.
//! - `Zone::from_soda_bounds` reads the bad zone Soda Core reports in a check result's
//!   diagnostics (`{"greaterThan": 1000, "lessThan": 5}`), so stored results can be re-judged.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::api::CheckOutcome;

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

/// Why a condition text is not a threshold.
#[derive(Debug, Clone, PartialEq)]
pub enum ThresholdError {
    /// Not of any threshold form; the message says which forms exist.
    Invalid(String),
    /// A bound is still a `${VARIABLE}`: known only when the scan runs.
    Unresolved(String),
    /// `between a and b` with `a > b`: Soda Core logs an error but uses the zone anyway.
    ReversedBetween { lower: f64, upper: f64 },
}

impl fmt::Display for ThresholdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(text) => write!(
                f,
                "invalid threshold '{text}': use < > <= >= = != followed by a number, or \
                 between A and B / not between A and B"
            ),
            Self::Unresolved(text) => {
                write!(f, "threshold '{text}' uses a variable that is not set")
            }
            Self::ReversedBetween { lower, upper } => write!(
                f,
                "between {lower} and {upper}: the lower bound must come first (write between \
                 {upper} and {lower})"
            ),
        }
    }
}

impl std::error::Error for ThresholdError {}

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

    /// The values outside the zone (spec §5.1): `gte'=lt, gt'=lte, lt'=gte, lte'=gt`; the split
    /// flips only when the zone has bounds on both sides.
    pub fn inverse(&self) -> Self {
        Self {
            gte: self.lt,
            gt: self.lte,
            lt: self.gte,
            lte: self.gt,
            split: if self.has_lower() && self.has_upper() {
                !self.split
            } else {
                self.split
            },
        }
    }

    /// Parses a condition: `< x`, `<= x`, `> x`, `>= x`, `= x`, `!= x`, `<> x`,
    /// `[not] between a and b` with `[`/`(` and `]`/`)` for inclusive/exclusive bounds.
    /// A reversed `between` still returns its zone, as Soda Core uses it; see
    /// `Zone::parse_strict` for the error.
    pub fn parse(text: &str) -> Result<Self, ThresholdError> {
        match Self::parse_strict(text) {
            Err(ThresholdError::ReversedBetween { .. }) => Ok(Self::parse_between(text)?.0),
            other => other,
        }
    }

    /// Like `parse`, but a `between` whose lower bound exceeds its upper bound is an error.
    pub fn parse_strict(text: &str) -> Result<Self, ThresholdError> {
        let t = text.trim();
        if t.starts_with("between") || t.starts_with("not between") {
            let (zone, lower, upper) = Self::parse_between(t)?;
            if lower > upper {
                return Err(ThresholdError::ReversedBetween { lower, upper });
            }
            return Ok(zone);
        }
        let (op, rest) = ["<=", ">=", "<>", "!=", "<", ">", "="]
            .iter()
            .find_map(|op| t.strip_prefix(op).map(|rest| (*op, rest)))
            .ok_or_else(|| ThresholdError::Invalid(t.to_owned()))?;
        let x = number(rest, t)?;
        Ok(match op {
            "<" => Self {
                lt: Some(x),
                ..Self::default()
            },
            "<=" => Self {
                lte: Some(x),
                ..Self::default()
            },
            ">" => Self {
                gt: Some(x),
                ..Self::default()
            },
            ">=" => Self {
                gte: Some(x),
                ..Self::default()
            },
            "=" => Self {
                gte: Some(x),
                lte: Some(x),
                ..Self::default()
            },
            // != and <>
            _ => Self {
                gt: Some(x),
                lt: Some(x),
                split: true,
                ..Self::default()
            },
        })
    }

    /// (zone, lower bound, upper bound) of a `[not] between` condition.
    fn parse_between(t: &str) -> Result<(Self, f64, f64), ThresholdError> {
        let t = t.trim();
        let (negated, rest) = match t.strip_prefix("not between") {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix("between").unwrap_or(t)),
        };
        if !rest.starts_with([' ', '(', '[']) {
            return Err(ThresholdError::Invalid(t.to_owned()));
        }
        let (low_text, high_text) = rest
            .split_once(" and ")
            .ok_or_else(|| ThresholdError::Invalid(t.to_owned()))?;
        let low_text = low_text.trim();
        let high_text = high_text.trim();
        let (exclusive_low, low_text) = match low_text.strip_prefix('(') {
            Some(r) => (true, r),
            None => (false, low_text.strip_prefix('[').unwrap_or(low_text)),
        };
        let (exclusive_high, high_text) = match high_text.strip_suffix(')') {
            Some(r) => (true, r),
            None => (false, high_text.strip_suffix(']').unwrap_or(high_text)),
        };
        let lower = number(low_text, t)?;
        let upper = number(high_text, t)?;
        let mut zone = Self::default();
        if exclusive_low {
            zone.gt = Some(lower);
        } else {
            zone.gte = Some(lower);
        }
        if exclusive_high {
            zone.lt = Some(upper);
        } else {
            zone.lte = Some(upper);
        }
        Ok((if negated { zone.inverse() } else { zone }, lower, upper))
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

/// A number bound: optional sign, digits, decimals; a trailing `%` is decoration only. Soda
/// Core reads `1e3` as text (and then cannot compare), so exponents are not numbers here either.
fn number(text: &str, whole: &str) -> Result<f64, ThresholdError> {
    let t = text.trim();
    if t.contains("${") {
        return Err(ThresholdError::Unresolved(whole.to_owned()));
    }
    let t = t.strip_suffix('%').unwrap_or(t).trim_end();
    let t = t.strip_prefix('+').unwrap_or(t);
    let digits = t.strip_prefix('-').unwrap_or(t);
    let valid = digits.chars().any(|c| c.is_ascii_digit())
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.');
    match t.parse::<f64>() {
        Ok(v) if valid && v.is_finite() => Ok(v),
        _ => Err(ThresholdError::Invalid(whole.to_owned())),
    }
}

/// The fail and warn zones of a check.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Thresholds {
    pub fail: Option<Zone>,
    pub warn: Option<Zone>,
}

impl Thresholds {
    /// An inline threshold (`row_count > 0`) states when the check passes: it fails outside.
    pub fn inline(pass: Zone) -> Self {
        Self {
            fail: Some(pass.inverse()),
            warn: None,
        }
    }

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

/// Splits a check line into its metric part and its inline threshold, at the first comparison
/// operator or `[not] between` outside parentheses: `missing_count(a) between 1 and 3` →
/// `("missing_count(a)", "between 1 and 3")`. `None` when the line has no inline threshold.
pub fn split_inline_threshold(line: &str) -> Option<(&str, &str)> {
    let bytes = line.as_bytes();
    let mut depth = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            b'<' | b'>' | b'=' | b'!' if i > 0 && bytes[i - 1] == b' ' => {
                return Some((line[..i].trim_end(), line[i..].trim()));
            }
            b'b' | b'n' if i > 0 && bytes[i - 1] == b' ' => {
                let rest = &line[i..];
                if rest.starts_with("between ") || rest.starts_with("not between ") {
                    return Some((line[..i].trim_end(), rest.trim()));
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(
        gt: Option<f64>,
        gte: Option<f64>,
        lt: Option<f64>,
        lte: Option<f64>,
        split: bool,
    ) -> Zone {
        Zone {
            gt,
            gte,
            lt,
            lte,
            split,
        }
    }

    #[test]
    fn every_operator_becomes_its_zone() {
        assert_eq!(
            Zone::parse("< 5").unwrap(),
            zone(None, None, Some(5.0), None, false)
        );
        assert_eq!(
            Zone::parse("<= 5").unwrap(),
            zone(None, None, None, Some(5.0), false)
        );
        assert_eq!(
            Zone::parse("> -5").unwrap(),
            zone(Some(-5.0), None, None, None, false)
        );
        assert_eq!(
            Zone::parse(">= +5").unwrap(),
            zone(None, Some(5.0), None, None, false)
        );
        assert_eq!(
            Zone::parse("= 0").unwrap(),
            zone(None, Some(0.0), None, Some(0.0), false)
        );
        assert_eq!(
            Zone::parse("!= 4").unwrap(),
            zone(Some(4.0), None, Some(4.0), None, true)
        );
        assert_eq!(Zone::parse("<> 4").unwrap(), Zone::parse("!= 4").unwrap());
        assert_eq!(
            Zone::parse("< 25%").unwrap(),
            zone(None, None, Some(25.0), None, false)
        );
        assert_eq!(Zone::parse("> 1.5").unwrap().gt, Some(1.5));
        assert!(Zone::parse("> 1e3").is_err(), "Soda Core reads 1e3 as text");
    }

    #[test]
    fn between_brackets_choose_inclusive_or_exclusive_bounds() {
        assert_eq!(
            Zone::parse("between 10 and 20").unwrap(),
            zone(None, Some(10.0), None, Some(20.0), false)
        );
        assert_eq!(
            Zone::parse("between [10 and 20]").unwrap(),
            zone(None, Some(10.0), None, Some(20.0), false)
        );
        assert_eq!(
            Zone::parse("between (10 and 20)").unwrap(),
            zone(Some(10.0), None, Some(20.0), None, false)
        );
        assert_eq!(
            Zone::parse("between (10 and 20]").unwrap(),
            zone(Some(10.0), None, None, Some(20.0), false)
        );
        assert_eq!(
            Zone::parse("not between 10 and 20").unwrap(),
            zone(Some(20.0), None, Some(10.0), None, true)
        );
    }

    #[test]
    fn split_zones_are_a_union() {
        let outside = Zone::parse("not between 10 and 20").unwrap();
        assert!(outside.contains(9.0) && outside.contains(21.0));
        assert!(!outside.contains(10.0) && !outside.contains(15.0) && !outside.contains(20.0));
        let not_four = Zone::parse("!= 4").unwrap();
        assert!(not_four.contains(3.9) && !not_four.contains(4.0));
    }

    #[test]
    fn a_reversed_between_is_reported_but_used_as_soda_core_does() {
        assert_eq!(
            Zone::parse_strict("between 20 and 10"),
            Err(ThresholdError::ReversedBetween {
                lower: 20.0,
                upper: 10.0
            })
        );
        // Used anyway: as an inline threshold it then fails every value (spec §5.1).
        let thresholds = Thresholds::inline(Zone::parse("between 20 and 10").unwrap());
        for v in [-100.0, 10.0, 15.0, 20.0, 100.0] {
            assert_eq!(thresholds.outcome(Some(v)), Some(CheckOutcome::Fail), "{v}");
        }
    }

    #[test]
    fn bad_conditions_are_refused_with_the_forms() {
        for bad in [
            "",
            "> ",
            "> five",
            "is 5",
            "between 1 or 2",
            "~ 3",
            "> 5d",
            "between1 and 2",
        ] {
            let err = Zone::parse(bad).unwrap_err();
            assert!(matches!(err, ThresholdError::Invalid(_)), "{bad}: {err:?}");
        }
        assert!(Zone::parse("> 5").is_ok());
        assert_eq!(
            Zone::parse("> ${LIMIT}"),
            Err(ThresholdError::Unresolved("> ${LIMIT}".into()))
        );
        assert!(
            ThresholdError::Invalid("x".into())
                .to_string()
                .contains("between A and B")
        );
    }

    #[test]
    fn fail_wins_then_warn_then_pass() {
        let t = Thresholds {
            fail: Some(Zone::parse("> 10").unwrap()),
            warn: Some(Zone::parse("> 5").unwrap()),
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
        let t = Thresholds::inline(Zone::parse("> 0").unwrap());
        assert_eq!(t.fail, Some(zone(None, None, None, Some(0.0), false)));
        assert_eq!(t.outcome(Some(0.0)), Some(CheckOutcome::Fail));
        assert_eq!(t.outcome(Some(7.0)), Some(CheckOutcome::Pass));
        let equal = Thresholds::inline(Zone::parse("= 1").unwrap());
        assert_eq!(
            equal.fail,
            Some(zone(Some(1.0), None, Some(1.0), None, true))
        );
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

    #[test]
    fn inline_thresholds_are_found_outside_parentheses() {
        assert_eq!(
            split_inline_threshold("row_count > 0"),
            Some(("row_count", "> 0"))
        );
        assert_eq!(
            split_inline_threshold("missing_count(a) between 1 and 3"),
            Some(("missing_count(a)", "between 1 and 3"))
        );
        assert_eq!(
            split_inline_threshold("change percent for row_count not between -20 and 20"),
            Some(("change percent for row_count", "not between -20 and 20"))
        );
        assert_eq!(split_inline_threshold("duplicate_count(a)"), None);
        assert_eq!(
            split_inline_threshold("freshness(ts) < 1d"),
            Some(("freshness(ts)", "< 1d"))
        );
    }
}

/// The same decisions in headless Chromium: the editor's backtest runs this code as wasm.
#[cfg(all(test, target_arch = "wasm32"))]
mod in_browser {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn thresholds_decide_in_the_browser() {
        let t = Thresholds {
            fail: Some(Zone::parse("not between 0 and 100").expect("a zone")),
            warn: Some(Zone::parse("> 90").expect("a zone")),
        };
        assert_eq!(t.outcome(Some(95.0)), Some(CheckOutcome::Warn));
        assert_eq!(t.outcome(Some(101.0)), Some(CheckOutcome::Fail));
        assert_eq!(t.outcome(Some(50.0)), Some(CheckOutcome::Pass));
    }
}
