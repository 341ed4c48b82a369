//! Values as a person reads them, in their unit (`12,345`, `12.5 %`, `6d 3h`), and zones as
//! words (`at least 50`): the dashboard and the notifications write them the same way.

use super::threshold::Zone;
use crate::api::ValueUnit;

/// A value as a person reads it, in its unit: counts with thousands separators (`12,345`),
/// other numbers with up to 4 decimals, percentages with `%`, durations (freshness, reported in
/// milliseconds) as `6d 3h`.
pub fn format_measure(v: f64, unit: ValueUnit) -> String {
    match unit {
        ValueUnit::Number => format_value(v),
        ValueUnit::Percent => format!("{} %", decimals(v, 2)),
        ValueUnit::Milliseconds => duration(v),
    }
}

/// A number: integers with thousands separators, others with up to 4 decimals.
pub fn format_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        let digits = format!("{:.0}", v.abs());
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if v < 0.0 {
            format!("-{grouped}")
        } else {
            grouped
        }
    } else {
        decimals(v, 4)
    }
}

fn decimals(v: f64, places: usize) -> String {
    let s = format!("{v:.places$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// Milliseconds as the two largest units: `6d 3h`, `3h 12m`, `12m 5s`, `5.2 s`, `350 ms`.
fn duration(ms: f64) -> String {
    let sign = if ms < 0.0 { "-" } else { "" };
    let ms = ms.abs();
    if ms < 1_000.0 {
        return format!("{sign}{ms:.0} ms");
    }
    if ms < 60_000.0 {
        return format!("{sign}{} s", decimals(ms / 1_000.0, 1));
    }
    let total = (ms / 1_000.0).round() as u64;
    let (d, h, m, s) = (
        total / 86_400,
        total % 86_400 / 3_600,
        total % 3_600 / 60,
        total % 60,
    );
    let text = match (d, h, m) {
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    };
    format!("{sign}{text}")
}

/// The values a zone holds, as words: `above 0 or below 0`, `at least 50`, `at most 5 %`.
pub fn zone_words(zone: &Zone, unit: ValueUnit) -> String {
    let v = |n: f64| format_measure(n, unit);
    let lower = zone
        .gt
        .map(|n| format!("above {}", v(n)))
        .or_else(|| zone.gte.map(|n| format!("at least {}", v(n))));
    let upper = zone
        .lt
        .map(|n| format!("below {}", v(n)))
        .or_else(|| zone.lte.map(|n| format!("at most {}", v(n))));
    let parts: Vec<String> = [lower, upper].into_iter().flatten().collect();
    parts.join(if zone.split { " or " } else { " and " })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_read_as_words() {
        let zone = |gt, gte, lt, lte, split| Zone {
            gt,
            gte,
            lt,
            lte,
            split,
        };
        assert_eq!(
            zone_words(
                &zone(Some(0.0), None, Some(0.0), None, true),
                ValueUnit::Number
            ),
            "above 0 or below 0"
        );
        assert_eq!(
            zone_words(
                &zone(None, Some(50.0), None, None, false),
                ValueUnit::Number
            ),
            "at least 50"
        );
        assert_eq!(
            zone_words(
                &zone(None, Some(1.0), None, Some(5.0), false),
                ValueUnit::Percent
            ),
            "at least 1 % and at most 5 %"
        );
    }

    #[test]
    fn values_read_in_their_units() {
        assert_eq!(format_measure(12345.0, ValueUnit::Number), "12,345");
        assert_eq!(format_measure(-1234567.0, ValueUnit::Number), "-1,234,567");
        assert_eq!(format_measure(0.5, ValueUnit::Number), "0.5");
        assert_eq!(format_measure(12.5, ValueUnit::Percent), "12.5 %");
        assert_eq!(format_measure(3.0, ValueUnit::Percent), "3 %");
        assert_eq!(
            format_measure(531_001_488.0, ValueUnit::Milliseconds),
            "6d 3h"
        );
        assert_eq!(
            format_measure(3_603_295.0, ValueUnit::Milliseconds),
            "1h 0m"
        );
        assert_eq!(format_measure(725_000.0, ValueUnit::Milliseconds), "12m 5s");
        assert_eq!(format_measure(5_200.0, ValueUnit::Milliseconds), "5.2 s");
        assert_eq!(format_measure(350.0, ValueUnit::Milliseconds), "350 ms");
    }
}
