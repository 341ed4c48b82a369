#![allow(clippy::unwrap_used)]
use super::*;

fn metric(line: &str) -> MetricLine {
    match parse_check(line).unwrap() {
        CheckLine::Metric(m) => m,
        other => panic!("{other:?}"),
    }
}

#[test]
fn metric_lines() {
    let m = metric("row_count > 0");
    assert_eq!(m.metric, "row_count");
    assert_eq!(
        m.threshold,
        Some(LineThreshold::Condition(Condition::Compare(
            Comparator::Gt,
            Value::Number(0.0)
        )))
    );
    let m = metric("duplicate_count(a, b) between -1.5 and 5. %");
    assert_eq!(m.args, vec![Arg::Ident("a".into()), Arg::Ident("b".into())]);
    let m = metric("percentile(distance, 0.95) > .5");
    assert_eq!(m.args[1], Arg::Number(0.95));
    let m = metric("freshness(shipped_at) < 1d");
    assert_eq!(
        m.threshold,
        Some(LineThreshold::Condition(Condition::Compare(
            Comparator::Lt,
            Value::Duration(86_400.0)
        )))
    );
    let m = metric("freshness(shipped_at) < 1d2h");
    assert!(matches!(
        m.threshold,
        Some(LineThreshold::Condition(Condition::Compare(_, Value::Duration(s)))) if s == 93_600.0
    ));
    let m = metric("change avg last 7 percent for row_count between (1 and 5]");
    assert!(matches!(
        m.prefix,
        Some(Prefix::Change(ChangeOverTime {
            percent: true,
            last_measurements: Some(7),
            ..
        }))
    ));
    let m = metric("anomaly score for row_count < default");
    assert_eq!(m.threshold, Some(LineThreshold::Default));
    let m = metric("avg(\"Weight kg\") > ${MIN}");
    assert_eq!(m.args, vec![Arg::Ident("\"Weight kg\"".into())]);
}

#[test]
fn other_lines() {
    assert!(matches!(
        parse_check("values in (a, b) must not exist in carriers (c, e)").unwrap(),
        CheckLine::Reference {
            must_not_exist: true,
            ..
        }
    ));
    assert!(matches!(
        parse_check("row_count same as other [recent] in ds").unwrap(),
        CheckLine::RowCountComparison { other_partition: Some(p), .. } if p == "recent"
    ));
}

#[test]
fn errors() {
    for bad in [
        "row_count>0",
        "row_count  > 0",
        "row_count > 0 ",
        "row_count => 0",
        "row_count BETWEEN 1 AND 2",
        "change last 7 for row_count > 1",
        "missing_count( a) = 0",
        "f() > 1",
        "values in carrier_code must exist in carriers.code",
        "row_count > 1.5d",
        "row_count > '5'",
    ] {
        assert!(parse_check(bad).is_err(), "{bad}");
    }
}

#[test]
fn headers() {
    assert_eq!(
        parse_header("checks for shipments [recent]").unwrap(),
        Header::Checks {
            dataset: "shipments".into(),
            partition: Some("recent".into())
        }
    );
    assert!(parse_header("check for shipments").is_err());
    assert!(parse_header("checks for a b c").is_err());
    assert!(parse_header("filter shipments").is_err());
}
