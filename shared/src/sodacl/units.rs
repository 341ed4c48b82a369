//! The unit of a check's value, from its definition: what a person should read instead of a
//! bare number (`6d 3h` for a freshness of 531,001,488 ms, `12.5 %` for a percentage).

use super::catalogue;
use super::grammar::{self, CheckLine, Prefix};
use crate::api::ValueUnit;

/// The unit of the values Soda Core reports for the check defined by `definition` (Soda Core's
/// `definition`: the section header, then the check line and its configuration; or, from Soda
/// Core 4, the check's place in its data contract).
pub fn value_unit(definition: &str) -> ValueUnit {
    if let Some(unit) = contract_unit(definition) {
        return unit;
    }
    let Some(line) = definition
        .lines()
        .skip(1)
        .map(str::trim)
        .find(|l| !l.is_empty())
    else {
        return ValueUnit::Number;
    };
    let line = line.strip_prefix("- ").unwrap_or(line);
    let line = line.strip_suffix(':').unwrap_or(line);
    match grammar::parse_check(line) {
        Ok(CheckLine::FreshnessUsing { .. }) => ValueUnit::Milliseconds,
        Ok(CheckLine::Metric(m)) if m.metric == "freshness" => ValueUnit::Milliseconds,
        Ok(CheckLine::Metric(m)) => match m.prefix {
            Some(Prefix::Change(change)) if change.percent => ValueUnit::Percent,
            _ if catalogue::is_percentage_metric(&m.metric) => ValueUnit::Percent,
            _ => ValueUnit::Number,
        },
        _ => ValueUnit::Number,
    }
}

/// A Soda Core 4 contract check (`checks:`, `columns:` or `filter:` at the top, the check's
/// type key under the last `checks:` list, as Seltzer stores it): freshness is measured in
/// milliseconds, a threshold on `metric: percent` in percent.
fn contract_unit(definition: &str) -> Option<ValueUnit> {
    let first = definition.lines().next()?.trim_end();
    if !(first == "checks:" || first == "columns:" || first.starts_with("filter:")) {
        return None;
    }
    let lines: Vec<&str> = definition.lines().collect();
    let list = lines.iter().rposition(|l| l.trim_start() == "checks:")?;
    let item = lines.get(list + 1)?.trim_start().strip_prefix("- ")?;
    let check_type = item.strip_suffix(':').unwrap_or(item);
    Some(if check_type == "freshness" {
        ValueUnit::Milliseconds
    } else if lines[list + 1..]
        .iter()
        .any(|l| l.trim() == "metric: percent")
    {
        ValueUnit::Percent
    } else {
        ValueUnit::Number
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_follow_the_check_line() {
        let unit = |line: &str| value_unit(&format!("checks for orders:\n  {line}"));
        assert_eq!(unit("freshness(created_at) < 1d"), ValueUnit::Milliseconds);
        assert_eq!(
            unit("- freshness(created_at) < 1d:"),
            ValueUnit::Milliseconds
        );
        assert_eq!(unit("missing_percent(email) < 5 %"), ValueUnit::Percent);
        assert_eq!(
            unit("change percent for row_count < 50 %"),
            ValueUnit::Percent
        );
        assert_eq!(unit("change for row_count < 10"), ValueUnit::Number);
        assert_eq!(unit("row_count > 0"), ValueUnit::Number);
        assert_eq!(value_unit("checks for orders:"), ValueUnit::Number);
    }

    #[test]
    fn soda_core_4_contract_checks_have_units_too() {
        assert_eq!(
            value_unit("checks:\n- freshness:\n    column: created_at\n"),
            ValueUnit::Milliseconds
        );
        assert_eq!(
            value_unit(
                "columns:\n- name: email\n  checks:\n  - invalid:\n      threshold:\n        \
                 metric: percent\n        must_be_less_than: 50\n"
            ),
            ValueUnit::Percent
        );
        assert_eq!(
            value_unit("columns:\n- name: id\n  checks:\n  - missing:\n"),
            ValueUnit::Number
        );
    }
}
