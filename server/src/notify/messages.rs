//! One scan's notice as each channel reads it: Soda Cloud's webhook event (same field names and
//! nesting, so receivers written for Soda Cloud work unchanged, plus `name`, `value` and
//! `evaluationStatus`), a Slack Block Kit message, a Teams Adaptive Card. Counts first, then
//! the checks (at most [`MAX_LISTED`]; the rest are counted), each with its dataset, data
//! source, column, outcome, value against its threshold in its unit, and a link.

use serde_json::{Value, json};
use shared::api::{
    ChannelType, CheckNotice, CheckOutcome, OverdueNotice, RunFailedNotice, RunLateNotice,
    RunState, ScanNotice,
};
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

    fn run(&self, id: i64) -> String {
        format!("{}/runs/{id}", self.base)
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

/// "3 fail, 1 warn, 1 pass again".
pub fn counts<'a>(checks: impl IntoIterator<Item = &'a CheckNotice>) -> String {
    let (mut fail, mut warn, mut recovered) = (0, 0, 0);
    for c in checks {
        match (c.recovered, c.outcome) {
            (true, _) => recovered += 1,
            (false, Some(CheckOutcome::Fail)) => fail += 1,
            (false, Some(CheckOutcome::Warn)) => warn += 1,
            _ => {}
        }
    }
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
    let counts = counts(&n.checks);
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

/// A message as every chat and email reads it: a headline, notes (a failed scan's errors), a
/// line per item each leading with a link, and a closing link. Each channel renders it in its
/// own markup, so all of them say the same.
pub struct Summary {
    pub headline: String,
    pub notes: Vec<String>,
    pub lines: Vec<Line>,
    /// Where "Open in Seltzer" leads.
    pub link: String,
}

/// `link` (its text and address), then `rest`.
pub struct Line {
    pub text: String,
    pub url: String,
    pub rest: String,
}

/// Above this many checks a scan's message is a digest: a line per dataset with its counts,
/// not a line per check (the webhook event still carries every check).
pub const DIGEST_ABOVE: usize = MAX_LISTED;

/// A scan's message: the checks, one line each, or above [`DIGEST_ABOVE`] a line per dataset.
pub fn scan_summary(n: &ScanNotice, links: &Links<'_>) -> Summary {
    let lines = if n.checks.len() > DIGEST_ABOVE {
        digest_lines(n, links)
    } else {
        n.checks
            .iter()
            .map(|c| Line {
                text: c.name.clone(),
                url: links.result(c),
                rest: format!(" — {}: {} · {}", outcome_word(c), value_words(c), place(c)),
            })
            .collect()
    };
    Summary {
        headline: headline(n),
        notes: if n.scan_failed && !n.errors.is_empty() {
            vec![format!("Errors: {}", n.errors.join("; "))]
        } else {
            Vec::new()
        },
        lines,
        link: links.scan(n.scan_id),
    }
}

/// "orders — 12 fail, 3 warn · shop", a line per dataset, most failures first.
fn digest_lines(n: &ScanNotice, links: &Links<'_>) -> Vec<Line> {
    let mut by_dataset: std::collections::BTreeMap<
        (Option<i64>, String, String),
        Vec<&CheckNotice>,
    > = std::collections::BTreeMap::new();
    for c in &n.checks {
        let name = c
            .dataset
            .clone()
            .unwrap_or_else(|| "(data source)".to_owned());
        by_dataset
            .entry((c.dataset_id, name, c.data_source.clone()))
            .or_default()
            .push(c);
    }
    let mut groups: Vec<_> = by_dataset.into_iter().collect();
    let fails = |checks: &[&CheckNotice]| {
        checks
            .iter()
            .filter(|c| !c.recovered && c.outcome == Some(CheckOutcome::Fail))
            .count()
    };
    groups.sort_by_key(|(_, checks)| std::cmp::Reverse(fails(checks)));
    let total = groups.len();
    let mut lines: Vec<Line> = groups
        .into_iter()
        .take(MAX_LISTED)
        .map(|((id, name, source), checks)| Line {
            url: id.map_or_else(|| links.scan(n.scan_id), |id| links.dataset(id)),
            text: name,
            rest: format!(" — {} · {source}", counts(checks)),
        })
        .collect();
    if total > MAX_LISTED {
        lines.push(Line {
            text: format!("and {} more datasets", total - MAX_LISTED),
            url: links.scan(n.scan_id),
            rest: String::new(),
        });
    }
    lines
}

/// Datasets no scan reached for a rule's hours.
pub fn overdue_summary(n: &OverdueNotice, links: &Links<'_>) -> Summary {
    let count = n.datasets.len();
    let headline = format!(
        "Seltzer: {count} {} without a scan for {} hours ({})",
        if count == 1 { "dataset" } else { "datasets" },
        n.hours,
        n.rule
    );
    let mut lines: Vec<Line> = n
        .datasets
        .iter()
        .take(MAX_LISTED)
        .map(|d| Line {
            text: d.dataset.clone(),
            url: links.dataset(d.dataset_id),
            rest: format!(
                " · {} — last scan received {}",
                d.data_source, d.last_scan_at
            ),
        })
        .collect();
    if count > MAX_LISTED {
        lines.push(Line {
            text: format!("and {} more datasets", count - MAX_LISTED),
            url: format!("{}/datasets", links.base),
            rest: String::new(),
        });
    }
    Summary {
        headline,
        notes: Vec::new(),
        lines,
        link: format!("{}/datasets", links.base),
    }
}

/// A run that ended without results.
pub fn run_failed_summary(n: &RunFailedNotice, links: &Links<'_>) -> Summary {
    let what = if n.state == RunState::TimedOut {
        "timed out"
    } else {
        "failed"
    };
    Summary {
        headline: format!("Seltzer: a run of {} {what}", n.definition),
        notes: n.error.iter().cloned().collect(),
        lines: vec![Line {
            text: format!("Run {}", n.run_id),
            url: links.run(n.run_id),
            rest: format!(
                " · {} · data timestamp {} · attempt {}",
                n.data_source, n.data_timestamp, n.attempt
            ),
        }],
        link: links.run(n.run_id),
    }
}

/// A run without results as Soda Cloud's `scanFailed` event: the scan is the run (`run-N`, as
/// Soda Cloud's scan API names it), its state and why.
pub fn run_failed_webhook(n: &RunFailedNotice, links: &Links<'_>, sent_at: &str) -> Value {
    json!({"event": "scanFailed", "sentAt": sent_at, "scan": {
        "id": shared::api::run_scan_id(n.run_id), "sodaCloudUrl": links.run(n.run_id),
        "definition": n.definition, "dataSource": n.data_source,
        "dataTimestamp": n.data_timestamp, "failed": true, "state": n.state.as_str(),
        "errors": n.error.iter().collect::<Vec<_>>(),
    }})
}

/// A scheduled run without results some minutes after its fire time.
pub fn run_late_summary(n: &RunLateNotice, links: &Links<'_>) -> Summary {
    let where_ = if n.state == RunState::Queuing {
        "still queued"
    } else {
        "still running"
    };
    Summary {
        headline: format!(
            "Seltzer: the {} run of {} is late ({where_})",
            n.scheduled_for, n.definition
        ),
        notes: vec![format!(
            "No results {} minutes after its fire time (rule {}).",
            n.minutes, n.rule
        )],
        lines: vec![Line {
            text: format!("Run {}", n.run_id),
            url: links.run(n.run_id),
            rest: format!(" · {} · attempt {}", n.data_source, n.attempt),
        }],
        link: links.run(n.run_id),
    }
}

/// Seltzer's `scanLate` event (Soda Cloud has none): the run as Soda Cloud's scan API names it
/// (`run-N`), its state and how late.
pub fn run_late_webhook(n: &RunLateNotice, links: &Links<'_>, sent_at: &str) -> Value {
    json!({"event": "scanLate", "sentAt": sent_at, "rule": n.rule, "minutes": n.minutes,
    "scan": {
        "id": shared::api::run_scan_id(n.run_id), "sodaCloudUrl": links.run(n.run_id),
        "definition": n.definition, "dataSource": n.data_source,
        "scheduledFor": n.scheduled_for, "state": n.state.as_str(), "attempt": n.attempt,
    }})
}

/// Seltzer's `datasetOverdue` event (Soda Cloud has none): the datasets, with links.
pub fn overdue_webhook(n: &OverdueNotice, links: &Links<'_>, sent_at: &str) -> Value {
    let datasets: Vec<Value> = n
        .datasets
        .iter()
        .map(|d| {
            json!({
                "id": d.dataset_id.to_string(), "name": d.dataset,
                "datasource": {"id": d.data_source, "name": d.data_source},
                "sodaCloudUrl": links.dataset(d.dataset_id),
                "lastScan": {"id": d.last_scan_id.to_string(), "receivedAt": d.last_scan_at,
                             "sodaCloudUrl": links.scan(d.last_scan_id)},
            })
        })
        .collect();
    json!({"event": "datasetOverdue", "sentAt": sent_at, "rule": n.rule, "hours": n.hours,
           "datasets": datasets})
}

/// A Slack incoming-webhook message (Block Kit, with a text fallback for notifications).
pub fn slack(m: &Summary) -> Value {
    let mut blocks = vec![json!({
        "type": "section",
        "text": {"type": "mrkdwn", "text": format!("*{}*", m.headline)},
    })];
    for note in &m.notes {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": note}}));
    }
    let lines: Vec<String> = m
        .lines
        .iter()
        .map(|l| format!("<{}|{}>{}", l.url, l.text, l.rest))
        .collect();
    for chunk in lines.chunks(10) {
        blocks.push(json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": chunk.join("\n")},
        }));
    }
    blocks.push(json!({
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": format!("<{}|Open in Seltzer>", m.link)}],
    }));
    json!({"text": m.headline, "blocks": blocks})
}

/// A Teams Workflows message: an Adaptive Card in Teams' attachment envelope.
pub fn teams(m: &Summary) -> Value {
    let mut body = vec![json!({
        "type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": true,
        "text": m.headline,
    })];
    for note in &m.notes {
        body.push(json!({"type": "TextBlock", "wrap": true, "text": note}));
    }
    for l in &m.lines {
        let text = format!("[{}]({}){}", l.text, l.url, l.rest);
        body.push(json!({"type": "TextBlock", "wrap": true, "text": text}));
    }
    teams_card(&body, &m.link)
}

/// An email: its subject, plain text and HTML.
pub struct Mail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub fn email(m: &Summary) -> Mail {
    let mut text = format!("{}\n\n", m.headline);
    let mut html = format!(
        "<html><body style=\"font-family: sans-serif\"><h3>{}</h3>",
        escape(&m.headline)
    );
    for note in &m.notes {
        text.push_str(&format!("{note}\n\n"));
        html.push_str(&format!("<p>{}</p>", escape(note)));
    }
    html.push_str("<ul>");
    for l in &m.lines {
        text.push_str(&format!("- {}{}\n  {}\n", l.text, l.rest, l.url));
        html.push_str(&format!(
            "<li><a href=\"{}\">{}</a>{}</li>",
            escape(&l.url),
            escape(&l.text),
            escape(&l.rest)
        ));
    }
    text.push_str(&format!("\nOpen in Seltzer: {}\n", m.link));
    html.push_str(&format!(
        "</ul><p><a href=\"{}\">Open in Seltzer</a></p></body></html>",
        escape(&m.link)
    ));
    Mail {
        subject: m.headline.clone(),
        text,
        html,
    }
}

/// Text made safe inside HTML elements and quoted attributes.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
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
pub fn test_message(channel_type: ChannelType, base: &str, sent_at: &str) -> Value {
    match channel_type {
        ChannelType::Slack => json!({"text": TEST_TEXT}),
        ChannelType::Teams => teams_card(
            &[json!({"type": "TextBlock", "wrap": true, "text": TEST_TEXT})],
            base,
        ),
        _ => json!({"event": "validate", "sentAt": sent_at}),
    }
}

/// A test message as an email reads it.
pub fn test_summary(base: &str) -> Summary {
    Summary {
        headline: TEST_TEXT.to_owned(),
        notes: Vec::new(),
        lines: Vec::new(),
        link: base.to_owned(),
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
        let slack = slack(&scan_summary(&notice(), &links));
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
        let card = teams(&scan_summary(&notice(), &links));
        assert_eq!(
            card["attachments"][0]["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
    }

    #[test]
    fn many_checks_make_a_digest_by_dataset_and_emails_escape_their_text() {
        let links = Links {
            base: "https://seltzer.example.com",
        };
        let one = notice().checks[0].clone();
        let mut n = notice();
        n.checks = (0..25)
            .map(|i| CheckNotice {
                check_id: i,
                dataset_id: Some(i % 2),
                dataset: Some(if i % 2 == 0 { "orders" } else { "customers" }.to_owned()),
                outcome: Some(if i < 20 {
                    CheckOutcome::Fail
                } else {
                    CheckOutcome::Warn
                }),
                ..one.clone()
            })
            .collect();
        let summary = scan_summary(&n, &links);
        assert_eq!(
            summary.headline,
            "Seltzer: 20 fail, 5 warn in scan daily of shop (2026-11-23T04:00:00Z)"
        );
        let lines: Vec<String> = summary
            .lines
            .iter()
            .map(|l| format!("{} {}{}", l.url, l.text, l.rest))
            .collect();
        assert_eq!(
            lines,
            [
                "https://seltzer.example.com/datasets/0 orders — 10 fail, 3 warn · shop",
                "https://seltzer.example.com/datasets/1 customers — 10 fail, 2 warn · shop",
            ]
        );
        let mut odd = notice();
        odd.checks[0].name = "a < b & \"c\"".to_owned();
        let mail = email(&scan_summary(&odd, &links));
        assert!(
            mail.html.contains(">a &lt; b &amp; &quot;c&quot;</a>"),
            "{}",
            mail.html
        );
        assert!(
            mail.text.contains("- a < b & \"c\" — fail"),
            "{}",
            mail.text
        );
    }

    #[test]
    fn a_run_without_results_reads_the_same_in_chat_and_email() {
        let n = RunFailedNotice {
            run_id: 12,
            definition: "orders daily".to_owned(),
            data_source: "shop".to_owned(),
            state: RunState::TimedOut,
            error: Some("timed out after 60 s".to_owned()),
            attempt: 2,
            data_timestamp: "2026-12-06T06:00:00Z".to_owned(),
        };
        let links = Links {
            base: "https://seltzer.example.com",
        };
        let summary = run_failed_summary(&n, &links);
        assert_eq!(summary.headline, "Seltzer: a run of orders daily timed out");
        assert_eq!(summary.link, "https://seltzer.example.com/runs/12");
        let slack = slack(&summary).to_string();
        assert!(slack.contains("timed out after 60 s"), "{slack}");
        assert!(
            slack.contains("https://seltzer.example.com/runs/12"),
            "{slack}"
        );
        let mail = email(&summary);
        assert!(mail.text.contains("attempt 2"), "{}", mail.text);
    }
}
