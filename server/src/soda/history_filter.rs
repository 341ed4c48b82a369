//! The filter trees of `sodaCoreHistoricMeasurements` / `sodaCoreHistoricCheckResults`:
//! an `and` of `equals` on an identity column and `greaterThanOrEqual`/`lessThanOrEqual` on a
//! data time. Turned into a `HistoryQuery`; anything else is refused with the node named.
//! Soda Core 4's `…2` queries are flat: a list of identities, an optional time window and a
//! limit per identity ([`parse_lists`]).

use serde_json::Value;

use super::HistoryQuery;
use crate::timestamp;

/// The most rows one historic query returns (anomaly detection asks for 1000).
pub const MAX_LIMIT: i64 = 10_000;
/// The rows returned when the query sets no limit (change-over-time only reads the first).
pub const DEFAULT_LIMIT: i64 = 1_000;

/// `identity_column` is the column the identity must be compared on (`metric.identity` for
/// measurements, `check.identity` for check results).
pub fn parse(body: &Value, identity_column: &str) -> Result<HistoryQuery, String> {
    let filter = body
        .get("filter")
        .ok_or("missing field `filter`: the historic query names no identity")?;
    let mut query = HistoryQuery {
        identity: String::new(),
        from: None,
        to: None,
        limit: DEFAULT_LIMIT,
    };
    visit(filter, "filter", identity_column, &mut query)?;
    if query.identity.is_empty() {
        return Err(format!(
            "filter: no `equals` on {identity_column}; the historic query names no identity"
        ));
    }
    match body.get("limit") {
        None | Some(Value::Null) => {}
        Some(limit) => {
            let n = limit
                .as_i64()
                .filter(|n| *n > 0)
                .ok_or("limit: must be a positive integer")?;
            query.limit = n.min(MAX_LIMIT);
        }
    }
    Ok(query)
}

/// At most this many identities in one Soda Core 4 history query (the client sends batches
/// of 500).
pub const MAX_IDENTITIES: usize = 500;

/// `sodaCoreHistoricMeasurements2` / `sodaCoreHistoricCheckResults2`: the identities under
/// `identities_key`, `minScanTime`/`maxScanTime` and `limit` (per identity): one query each.
pub fn parse_lists(body: &Value, identities_key: &str) -> Result<Vec<HistoryQuery>, String> {
    let identities = body
        .get(identities_key)
        .and_then(Value::as_array)
        .ok_or_else(|| format!("missing field `{identities_key}` (a list of identities)"))?;
    if identities.len() > MAX_IDENTITIES {
        return Err(format!(
            "{identities_key}: {} identities; at most {MAX_IDENTITIES} in one query",
            identities.len()
        ));
    }
    let time = |field: &str| -> Result<Option<i64>, String> {
        match body.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => timestamp::parse(s)
                .map(Some)
                .map_err(|e| format!("{field}: {e}")),
            Some(_) => Err(format!("{field}: must be a time")),
        }
    };
    let (from, to) = (time("minScanTime")?, time("maxScanTime")?);
    let limit = match body.get("limit") {
        None | Some(Value::Null) => DEFAULT_LIMIT,
        Some(limit) => limit
            .as_i64()
            .filter(|n| *n > 0)
            .ok_or("limit: must be a positive integer")?
            .min(MAX_LIMIT),
    };
    identities
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let identity = id
                .as_str()
                .filter(|s| !s.is_empty())
                .ok_or_else(|| format!("{identities_key}[{i}]: must be a non-empty string"))?;
            Ok(HistoryQuery {
                identity: identity.to_owned(),
                from,
                to,
                limit,
            })
        })
        .collect()
}

fn visit(
    node: &Value,
    path: &str,
    identity_column: &str,
    q: &mut HistoryQuery,
) -> Result<(), String> {
    let kind = node
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{path}.type: missing"))?;
    match kind {
        "and" => {
            let parts = node
                .get("andExpressions")
                .and_then(Value::as_array)
                .ok_or_else(|| format!("{path}.andExpressions: missing or not a list"))?;
            for (i, part) in parts.iter().enumerate() {
                visit(
                    part,
                    &format!("{path}.andExpressions[{i}]"),
                    identity_column,
                    q,
                )?;
            }
            Ok(())
        }
        "equals" => {
            let column = column_name(node, path)?;
            if column != identity_column {
                return Err(format!(
                    "{path}.left.columnName: cannot filter on '{column}' here (expected {identity_column})"
                ));
            }
            q.identity = node
                .get("right")
                .and_then(|r| r.get("value"))
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("{path}.right.value: missing or not a string"))?
                .to_owned();
            Ok(())
        }
        "greaterThanOrEqual" | "lessThanOrEqual" => {
            let column = column_name(node, path)?;
            if !column.ends_with("dataTime") {
                return Err(format!(
                    "{path}.left.columnName: cannot compare '{column}' (only a dataTime)"
                ));
            }
            let time = node
                .get("right")
                .and_then(|r| r.get("time"))
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{path}.right.time: missing or not a string"))?;
            let millis = timestamp::parse(time).map_err(|e| format!("{path}.right.time: {e}"))?;
            if kind == "greaterThanOrEqual" {
                q.from = Some(q.from.map_or(millis, |f| f.max(millis)));
            } else {
                q.to = Some(q.to.map_or(millis, |t| t.min(millis)));
            }
            Ok(())
        }
        other => Err(format!(
            "{path}.type: unsupported filter '{other}' (Seltzer understands and, equals, \
             greaterThanOrEqual, lessThanOrEqual)"
        )),
    }
}

fn column_name<'a>(node: &'a Value, path: &str) -> Result<&'a str, String> {
    node.get("left")
        .and_then(|l| l.get("columnName"))
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{path}.left.columnName: missing"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn equals(column: &str, value: &str) -> Value {
        json!({"type": "equals", "left": {"type": "columnValue", "columnName": column},
               "right": {"type": "string", "value": value}})
    }

    #[test]
    fn same_day_last_week_window() {
        let body = json!({"filter": {"type": "and", "andExpressions": [
            equals("metric.identity", "metric-d-shop-orders-row_count"),
            {"type": "greaterThanOrEqual", "left": {"type": "columnValue", "columnName": "measurement.dataTime"},
             "right": {"type": "time", "scanTime": false, "time": "2026-11-16T00:00:00+00:00"}},
            {"type": "lessThanOrEqual", "left": {"type": "columnValue", "columnName": "measurement.dataTime"},
             "right": {"type": "time", "scanTime": false, "time": "2026-11-16T23:59:59+00:00"}},
        ]}});
        let q = parse(&body, "metric.identity").unwrap();
        assert_eq!(q.identity, "metric-d-shop-orders-row_count");
        assert_eq!(
            q.from,
            Some(timestamp::parse("2026-11-16T00:00:00Z").unwrap())
        );
        assert_eq!(
            q.to,
            Some(timestamp::parse("2026-11-16T23:59:59Z").unwrap())
        );
        assert_eq!(q.limit, DEFAULT_LIMIT);
    }

    #[test]
    fn limits_are_honoured_and_capped() {
        let body = json!({"limit": 1000, "filter": {"type": "and", "andExpressions": [equals("check.identity", "8e600082")]}});
        assert_eq!(parse(&body, "check.identity").unwrap().limit, 1000);
        let body = json!({"limit": 99_999_999, "filter": equals("check.identity", "x")});
        assert_eq!(parse(&body, "check.identity").unwrap().limit, MAX_LIMIT);
        let body = json!({"limit": -1, "filter": equals("check.identity", "x")});
        assert_eq!(
            parse(&body, "check.identity").unwrap_err(),
            "limit: must be a positive integer"
        );
    }

    #[test]
    fn errors_name_the_node() {
        let body = json!({"filter": {"type": "and", "andExpressions": [{"type": "or"}]}});
        let err = parse(&body, "metric.identity").unwrap_err();
        assert!(
            err.starts_with("filter.andExpressions[0].type: unsupported filter 'or'"),
            "{err}"
        );
        let body = json!({"filter": equals("check.identity", "x")});
        let err = parse(&body, "metric.identity").unwrap_err();
        assert!(err.contains("cannot filter on 'check.identity'"), "{err}");
        assert!(
            parse(&json!({}), "metric.identity")
                .unwrap_err()
                .contains("filter")
        );
    }
}
