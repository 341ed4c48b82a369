//! An incident event as each channel reads it: Soda Cloud's `incidentCreated` /
//! `incidentUpdated` webhook events (its field names, with the public API's enums and the v4
//! names of the timestamps beside the v3 ones), and a message for chats and email.

use serde_json::{Value, json};
use shared::api::{CheckOutcome, IncidentCheckResult, IncidentEvent, IncidentNotice};
use shared::sodacl::measure::format_value;

use super::messages::{Line, Links, Summary};

impl Links<'_> {
    fn incident(&self, id: i64) -> String {
        format!("{}/incidents/{id}", self.base)
    }

    fn incident_result(&self, r: &IncidentCheckResult) -> String {
        format!("{}/checks/{}?result={}", self.base, r.check_id, r.result_id)
    }
}

fn outcome_word(outcome: Option<CheckOutcome>) -> &'static str {
    match outcome {
        Some(CheckOutcome::Fail) => "fail",
        Some(CheckOutcome::Warn) => "warn",
        Some(CheckOutcome::Pass) => "pass",
        None => "not evaluated",
    }
}

/// A change as a sentence: "status reported → investigating (ana@example.com)".
pub fn change_words(e: &IncidentEvent) -> String {
    let to = e.to.clone().unwrap_or_default();
    let what = match e.kind.as_str() {
        "linked" => format!("result {to} linked"),
        "recovered" => format!("its check passed again (result {to})"),
        "ticket" => format!("ticket {to} linked"),
        "lead" if to.is_empty() => "no lead".to_owned(),
        "lead" => format!("lead {to}"),
        "resolutionNotes" => format!("resolution notes: {to}"),
        "description" => "description changed".to_owned(),
        kind => format!(
            "{kind} {} → {to}",
            e.from.clone().unwrap_or_else(|| "–".to_owned())
        ),
    };
    format!("{what} ({})", e.actor)
}

/// The webhook event, in Soda Cloud's shape.
pub fn webhook(event: &str, n: &IncidentNotice, links: &Links<'_>, sent_at: &str) -> Value {
    let i = &n.incident;
    let person = |email: &Option<String>| email.as_ref().map(|e| json!({"id": e, "email": e}));
    let results: Vec<Value> = n
        .check_results
        .iter()
        .map(|r| {
            let mut dataset = json!({"name": r.dataset, "label": r.dataset,
                "datasource": {"id": r.data_source, "name": r.data_source, "label": r.data_source}});
            if r.dataset.is_none() {
                dataset = Value::Null;
            }
            json!({
                "id": r.result_id.to_string(), "sodaCloudUrl": links.incident_result(r),
                "name": r.check_name, "outcome": outcome_word(r.outcome),
                "dataTimestamp": r.data_timestamp, "value": r.value,
                "diagnostics": {"value": r.value},
                "datasets": if dataset.is_null() { json!([]) } else { json!([dataset]) },
            })
        })
        .collect();
    let callback = format!("{}{}", links.base, n.link_callback_path);
    let links_json: Vec<Value> = n
        .links
        .iter()
        .map(|l| json!({"integrationType": "webhook", "name": l.text, "url": l.url}))
        .collect();
    let incident = json!({
        "id": i.id.to_string(), "sodaCloudUrl": links.incident(i.id), "number": i.number,
        "title": i.title, "description": i.description,
        "severity": i.severity.as_str(), "status": i.status.as_str(),
        "createdTimestamp": i.created_at, "created": i.created_at,
        "lastUpdatedTimestamp": i.updated_at, "lastUpdated": i.updated_at,
        "resolutionNotes": i.resolution_notes, "resolutionTimestamp": i.resolved_at,
        "links": links_json, "lead": person(&i.lead_email),
        "incidentLinkCallbackUrl": callback,
        "reporter": {"id": i.reporter, "email": i.reporter},
        "checkResults": results,
    });
    json!({"event": event, "sentAt": sent_at, "incident": incident, "changes": n.changes,
           "incidentLinkCallbackUrl": callback})
}

/// The message for chats and email.
pub fn summary(event: &str, n: &IncidentNotice, links: &Links<'_>) -> Summary {
    let i = &n.incident;
    let verb = if event == "incidentCreated" {
        "opened"
    } else {
        "updated"
    };
    let headline = format!(
        "Incident #{} {verb}: {} ({}, {})",
        i.number,
        i.title,
        i.severity.as_str(),
        i.status.as_str()
    );
    let mut notes: Vec<String> = n.changes.iter().map(change_words).collect();
    if event == "incidentCreated" {
        let lead = i.lead_email.as_deref().unwrap_or("nobody yet");
        notes.push(format!("Reported by {}; lead: {lead}.", i.reporter));
    }
    let lines = n
        .check_results
        .iter()
        .take(super::messages::DIGEST_ABOVE)
        .map(|r| Line {
            text: r.check_name.clone(),
            url: links.incident_result(r),
            rest: format!(
                " — {}: {} · {}",
                outcome_word(r.outcome),
                r.value.map(format_value).unwrap_or_else(|| "–".to_owned()),
                r.dataset.as_deref().unwrap_or(&r.data_source)
            ),
        })
        .collect();
    Summary {
        headline,
        notes,
        lines,
        link: links.incident(i.id),
    }
}
