//! One scan's notice as each channel reads it: Soda Cloud's webhook event (same field names and
//! nesting, so receivers written for Soda Cloud work unchanged, plus `name`, `value` and
//! `evaluationStatus`), a Slack Block Kit message, a Teams Adaptive Card. Counts first, then
//! the checks (at most [`MAX_LISTED`]; the rest are counted), each with its dataset, data
//! source, column, outcome, value against its threshold in its unit, and a link.

use serde_json::{Value, json};
use shared::api::{CheckNotice, CheckOutcome, ScanNotice};
use shared::sodacl::measure::{format_measure, zone_words};

/// Checks a chat message lists one by one; more are summed up in one line (the webhook event
/// carries them all).
pub const MAX_LISTED: usize = 20;

/// Links into the dashboard, from the configured public URL.
pub struct Links<'a> {
    pub base: &'a str,
}

impl Links<'_> {
    fn result(&self, c: &CheckNotice) -> String {
        format!("{}/checks/{}?result={}", self.base, c.check_id, c.result_id)
    }

    fn dataset(&self, id: i64) -> String {
        format!("{}/datasets/{id}", self.base)
    }

    fn scan(&self, id: i64) -> String {
        format!("{}/scans/{id}", self.base)
    }
}

fn outcome_word(c: &CheckNotice) -> &'static str {
    if c.recovered {
        return "passes again";
    }
    match c.outcome {
        Some(CheckOutcome::Fail) => "fail",
        Some(CheckOutcome::Warn) => "warn",
        Some(CheckOutcome::Pass) => "pass",
        None => "not evaluated",
    }
}

/// "value 0 (fails when the value is at most 0)".
fn value_words(c: &CheckNotice) -> String {
    let Some(value) = c.value else {
        return "no value".to_owned();
    };
    let zone = match c.outcome {
        Some(CheckOutcome::Fail) => c.fail.map(|z| ("fails", z)),
        Some(CheckOutcome::Warn) => c.warn.map(|z| ("warns", z)),
        _ => None,
    };
    let value = format_measure(value, c.unit);
    match zone {
        Some((verb, z)) => format!("value {value} ({verb} when {})", zone_words(&z, c.unit)),
        None => format!("value {value}"),
    }
}

/// "orders · shop · column amount".
fn place(c: &CheckNotice) -> String {
    let mut parts = vec![
        c.dataset
            .clone()
            .unwrap_or_else(|| "(data source)".to_owned()),
    ];
    parts.push(c.data_source.clone());
    if let Some(column) = &c.column {
        parts.push(format!("column {column}"));
    }
    parts.join(" · ")
}

/// "3 fail, 1 warn, 1 passes again".
pub fn counts(n: &ScanNotice) -> String {
    let count = |f: &dyn Fn(&CheckNotice) -> bool| n.checks.iter().filter(|c| f(c)).count();
    let fail = count(&|c| !c.recovered && c.outcome == Some(CheckOutcome::Fail));
    let warn = count(&|c| !c.recovered && c.outcome == Some(CheckOutcome::Warn));
    let recovered = count(&|c| c.recovered);
    let mut parts = Vec::new();
    for (k, word) in [(fail, "fail"), (warn, "warn"), (recovered, "pass again")] {
        if k > 0 {
            parts.push(format!("{k} {word}"));
        }
    }
    parts.join(", ")
}

/// The headline: what happened in which scan.
pub fn headline(n: &ScanNotice) -> String {
    let mut what = Vec::new();
    if n.scan_failed {
        what.push("the scan failed".to_owned());
    }
    let counts = counts(n);
    if !counts.is_empty() {
        what.push(counts);
    }
    format!(
        "Seltzer: {} in scan {} of {} ({})",
        what.join("; "),
        n.definition,
        n.data_source,
        n.data_timestamp
    )
}

/// Soda Cloud's `checkEvaluation` event (or `scanFailed` when only the scan failed).
pub fn webhook(n: &ScanNotice, links: &Links<'_>, sent_at: &str) -> Value {
    let results: Vec<Value> = n
        .checks
        .iter()
        .map(|c| {
            let status = c.outcome.map_or("notEvaluated", CheckOutcome::as_str);
            let attributes: Vec<Value> = c
                .attributes
                .iter()
                .map(|a| json!({"id": a.name, "label": a.name, "name": a.name, "value": a.value}))
                .collect();
            let datasets: Vec<Value> = c
                .dataset_id
                .map(|id| {
                    json!({
                        "id": id.to_string(), "sodaCloudUrl": links.dataset(id),
                        "name": c.dataset, "label": c.dataset, "tags": [], "owner": null,
                        "datasource": {"id": c.data_source, "name": c.data_source, "label": c.data_source},
                        "attributes": attributes,
                    })
                })
                .into_iter()
                .collect();
            json!({
                "id": c.check_id.to_string(),
                "sodaCloudUrl": links.result(c),
                "name": c.name,
                "definition": c.definition,
                "column": c.column,
                "outcome": status,
                "evaluationStatus": status,
                "value": c.value,
                "dataTimestamp": n.data_timestamp,
                "diagnostics": {"value": c.value},
                "datasets": datasets,
                "recovered": c.recovered,
            })
        })
        .collect();
    let scan = json!({
        "id": n.scan_id.to_string(), "sodaCloudUrl": links.scan(n.scan_id),
        "definition": n.definition, "dataSource": n.data_source,
        "dataTimestamp": n.data_timestamp, "failed": n.scan_failed, "errors": n.errors,
    });
    if results.is_empty() {
        json!({"event": "scanFailed", "sentAt": sent_at, "scan": scan})
    } else {
        json!({"event": "checkEvaluation", "sentAt": sent_at, "checkResults": results, "scan": scan})
    }
}

/// One line per check, Markdown-like (Slack's mrkdwn and Teams' TextBlock both read it).
fn check_lines(
    n: &ScanNotice,
    links: &Links<'_>,
    link: impl Fn(&str, &str) -> String,
) -> Vec<String> {
    let mut lines: Vec<String> = n
        .checks
        .iter()
        .take(MAX_LISTED)
        .map(|c| {
            format!(
                "{} — {}: {} · {}",
                link(&links.result(c), &c.name),
                outcome_word(c),
                value_words(c),
                place(c)
            )
        })
        .collect();
    if n.checks.len() > MAX_LISTED {
        lines.push(format!("and {} more checks", n.checks.len() - MAX_LISTED));
    }
    lines
}

/// A Slack incoming-webhook message (Block Kit, with a text fallback for notifications).
pub fn slack(n: &ScanNotice, links: &Links<'_>) -> Value {
    let headline = headline(n);
    let mut blocks = vec![json!({
        "type": "section",
        "text": {"type": "mrkdwn", "text": format!("*{headline}*")},
    })];
    if n.scan_failed && !n.errors.is_empty() {
        blocks.push(json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": format!("Errors: {}", n.errors.join("; "))},
        }));
    }
    let lines = check_lines(n, links, |url, text| format!("<{url}|{text}>"));
    for chunk in lines.chunks(10) {
        blocks.push(json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": chunk.join("\n")},
        }));
    }
    blocks.push(json!({
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": format!("<{}|Open the scan in Seltzer>", links.scan(n.scan_id))}],
    }));
    json!({"text": headline, "blocks": blocks})
}

/// A Teams Workflows message: an Adaptive Card in Teams' attachment envelope.
pub fn teams(n: &ScanNotice, links: &Links<'_>) -> Value {
    let mut body = vec![json!({
        "type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": true,
        "text": headline(n),
    })];
    if n.scan_failed && !n.errors.is_empty() {
        body.push(json!({"type": "TextBlock", "wrap": true, "text": format!("Errors: {}", n.errors.join("; "))}));
    }
    for line in check_lines(n, links, |url, text| format!("[{text}]({url})")) {
        body.push(json!({"type": "TextBlock", "wrap": true, "text": line}));
    }
    teams_card(&body, &links.scan(n.scan_id))
}

fn teams_card(body: &[Value], url: &str) -> Value {
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": {
                "type": "AdaptiveCard", "version": "1.4",
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "body": body,
                "actions": [{"type": "Action.OpenUrl", "title": "Open in Seltzer", "url": url}],
            },
        }],
    })
}

const TEST_TEXT: &str = "Seltzer test message: this channel receives Seltzer's notifications.";

/// A test message: Soda Cloud's `validate` event, or a line of text in a chat.
pub fn test_message(channel_type: &str, base: &str, sent_at: &str) -> Value {
    match channel_type {
        "slack" => json!({"text": TEST_TEXT}),
        "teams" => teams_card(
            &[json!({"type": "TextBlock", "wrap": true, "text": TEST_TEXT})],
            base,
        ),
        _ => json!({"event": "validate", "sentAt": sent_at}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::api::ValueUnit;
    use shared::sodacl::Zone;

    fn notice() -> ScanNotice {
        ScanNotice {
            scan_id: 7,
            definition: "daily".to_owned(),
            data_source: "shop".to_owned(),
            data_timestamp: "2026-11-23T04:00:00Z".to_owned(),
            scan_failed: false,
            errors: vec![],
            checks: vec![CheckNotice {
                check_id: 3,
                result_id: 9,
                name: "Orders are fresh".to_owned(),
                definition: "checks for orders:\n  freshness(created_at) < 1d".to_owned(),
                dataset_id: Some(2),
                dataset: Some("orders".to_owned()),
                data_source: "shop".to_owned(),
                column: None,
                outcome: Some(CheckOutcome::Fail),
                recovered: false,
                value: Some(531_001_488.0),
                unit: ValueUnit::Milliseconds,
                fail: Some(Zone {
                    gt: Some(86_400_000.0),
                    ..Zone::default()
                }),
                warn: None,
                attributes: vec![],
            }],
        }
    }

    #[test]
    fn messages_say_the_value_against_its_threshold_with_a_working_link() {
        let links = Links {
            base: "https://seltzer.example.com",
        };
        let slack = slack(&notice(), &links);
        let text = slack["blocks"][1]["text"]["text"].as_str().unwrap();
        assert_eq!(
            text,
            "<https://seltzer.example.com/checks/3?result=9|Orders are fresh> — fail: value 6d 3h \
             (fails when above 1d 0h) · orders · shop"
        );
        assert_eq!(
            slack["text"],
            "Seltzer: 1 fail in scan daily of shop (2026-11-23T04:00:00Z)"
        );
        let event = webhook(&notice(), &links, "2026-11-23T04:01:00Z");
        assert_eq!(event["event"], "checkEvaluation");
        let result = &event["checkResults"][0];
        assert_eq!(result["outcome"], "fail");
        assert_eq!(result["evaluationStatus"], "fail");
        assert_eq!(result["datasets"][0]["datasource"]["name"], "shop");
        assert_eq!(
            result["sodaCloudUrl"],
            "https://seltzer.example.com/checks/3?result=9"
        );
        let card = teams(&notice(), &links);
        assert_eq!(
            card["attachments"][0]["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
    }
}
