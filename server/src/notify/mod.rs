//! Notifications leave Seltzer here. Ingest writes what must be sent into the outbox with the
//! scan (`storage::notifications`); the sender started by `seltzer serve` claims due
//! deliveries, renders each for its channel (`messages`), posts it with a 10 s timeout, and
//! records the answer: delivered (2xx, 3xx; Teams answers 202), retried with backoff (a
//! timeout, 5xx, 429 honouring `Retry-After`), or given up (another 4xx) — then listed as dead
//! and redeliverable. A webhook with a secret is signed:
//! `X-Seltzer-Signature: v1=<hex HMAC-SHA256 of "<X-Seltzer-Timestamp>.<body>">`, and every
//! request carries `X-Seltzer-Delivery`, the same on every attempt, to deduplicate by.

pub mod email;
mod incidents;
pub mod messages;

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use shared::api::{
    ChannelType, IncidentLinkBack, IncidentNotice, OverdueNotice, RunFailedNotice, RunLateNotice,
    ScanNotice,
};
use tokio::sync::Notify;

use crate::config::NotifyConfig;
use crate::credentials;
use crate::storage::{AttemptResult, ClaimedDelivery, Database, StorageError};
use crate::timestamp;
use messages::Links;

/// How long a claimed delivery is its sender's before another may claim it again (the sender
/// died mid-send): longer than a whole batch can take (10 × 10 s), with room for the database.
const LEASE_MS: i64 = 180_000;
/// Deliveries claimed at once.
const BATCH: i64 = 10;
const TIMEOUT: Duration = Duration::from_secs(10);

/// Starts the sender: it sends what is due, then waits for `wake` (a scan stored, a test or a
/// redelivery asked for) or `poll_ms`, whichever comes first. Every `overdue_check_ms` it also
/// looks for datasets that went quiet for a rule's `noScanHours`.
pub fn spawn_sender(
    db: Database,
    config: Arc<NotifyConfig>,
    wake: Arc<Notify>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let poll = Duration::from_millis(config.poll_ms.max(10));
        let overdue_every = Duration::from_millis(config.overdue_check_ms.max(10));
        let mut next_overdue = tokio::time::Instant::now();
        loop {
            if tokio::time::Instant::now() >= next_overdue {
                next_overdue = tokio::time::Instant::now() + overdue_every;
                if let Err(e) = db.enqueue_overdue(timestamp::now()).await {
                    tracing::warn!("notifications (datasets without scans): {e}");
                }
                if let Err(e) = db.enqueue_late_runs(timestamp::now()).await {
                    tracing::warn!("notifications (late runs): {e}");
                }
            }
            match send_due(&db, &config).await {
                Ok(sent) if sent > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!("notifications: {e}"),
            }
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(poll) => {}
            }
        }
    })
}

/// Sends one batch of due deliveries; how many it attempted.
pub async fn send_due(db: &Database, config: &NotifyConfig) -> Result<usize, StorageError> {
    let claimed = db.claim_deliveries(LEASE_MS, BATCH).await?;
    let attempted = claimed.len();
    let mut finished = Vec::with_capacity(attempted);
    for delivery in claimed {
        let (result, answer) = attempt(&delivery, config).await;
        if let Some(answer) = answer {
            link_back(db, &delivery, &answer).await;
        }
        match &result {
            AttemptResult::Delivered { .. } => {}
            AttemptResult::Retry { response, .. } | AttemptResult::GiveUp { response } => {
                tracing::warn!(
                    delivery = delivery.id,
                    channel = delivery.channel.name,
                    attempt = delivery.attempt,
                    "notification not delivered: {response}"
                );
            }
        }
        finished.push((delivery.id, delivery.attempt, result));
    }
    db.finish_deliveries(&finished).await?;
    Ok(attempted)
}

/// What a delivery sends: a JSON body to a URL, or an email.
enum Outgoing {
    Json(Value),
    Email(messages::Mail),
}

fn parse<T: serde::de::DeserializeOwned>(notice: &str) -> Result<T, String> {
    serde_json::from_str(notice).map_err(|e| format!("unreadable notice: {e}"))
}

/// What a delivery sends to its channel.
fn render(d: &ClaimedDelivery, config: &NotifyConfig, sent_at: &str) -> Result<Outgoing, String> {
    let base = config.public_url.as_deref().unwrap_or_default();
    let links = Links { base };
    let kind = ChannelType::parse(&d.channel.channel_type).unwrap_or(ChannelType::Webhook);
    if d.event == "validate" {
        return Ok(match kind {
            ChannelType::Email => Outgoing::Email(messages::email(&messages::test_summary(base))),
            _ => Outgoing::Json(messages::test_message(kind, base, sent_at)),
        });
    }
    let webhook = kind == ChannelType::Webhook;
    let (summary, event) = if d.event.starts_with("incident") {
        let n: IncidentNotice = parse(&d.notice)?;
        let event = webhook.then(|| incidents::webhook(&d.event, &n, &links, sent_at));
        (incidents::summary(&d.event, &n, &links), event)
    } else if d.event == "datasetOverdue" {
        let n: OverdueNotice = parse(&d.notice)?;
        let event = webhook.then(|| messages::overdue_webhook(&n, &links, sent_at));
        (messages::overdue_summary(&n, &links), event)
    } else if d.event == "runLate" {
        let n: RunLateNotice = parse(&d.notice)?;
        let event = webhook.then(|| messages::run_late_webhook(&n, &links, sent_at));
        (messages::run_late_summary(&n, &links), event)
    } else if d.event == "runFailed" {
        let n: RunFailedNotice = parse(&d.notice)?;
        let event = webhook.then(|| messages::run_failed_webhook(&n, &links, sent_at));
        (messages::run_failed_summary(&n, &links), event)
    } else {
        let n: ScanNotice = parse(&d.notice)?;
        let event = webhook.then(|| messages::webhook(&n, &links, sent_at));
        (messages::scan_summary(&n, &links), event)
    };
    Ok(match kind {
        ChannelType::Slack => Outgoing::Json(messages::slack(&summary)),
        ChannelType::Teams => Outgoing::Json(messages::teams(&summary)),
        ChannelType::Email => Outgoing::Email(messages::email(&summary)),
        ChannelType::Webhook => Outgoing::Json(event.unwrap_or_default()),
    })
}

/// `v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`.
pub fn signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1={}", credentials::hex(&mac.finalize().into_bytes()))
}

/// The first retry waits `retry_base_ms`, each next one four times longer.
fn backoff(config: &NotifyConfig, attempt: i64) -> i64 {
    config.retry_base_ms.saturating_mul(
        4i64.saturating_pow(u32::try_from(attempt.saturating_sub(1)).unwrap_or(u32::MAX)),
    )
}

/// A webhook receiver that answers an incident event with `{"link": {"url", "text"}}` links
/// the incident to its ticket, as Soda Cloud's receivers do.
async fn link_back(db: &Database, d: &ClaimedDelivery, answer: &str) {
    #[derive(serde::Deserialize)]
    struct Answer {
        link: IncidentLinkBack,
    }
    if !d.event.starts_with("incident") || d.channel.channel_type != "webhook" {
        return;
    }
    let Ok(Answer { link }) = serde_json::from_str::<Answer>(answer) else {
        return;
    };
    let Ok(notice) = parse::<IncidentNotice>(&d.notice) else {
        return;
    };
    match link.checked() {
        Ok((url, text)) => {
            let id = notice.incident.id;
            if let Err(e) = db.add_incident_link(id, &url, &text, &d.channel.name).await {
                tracing::warn!(incident = id, "cannot keep the ticket link: {e}");
            }
        }
        Err(e) => tracing::warn!(channel = d.channel.name, "ignored a ticket link: {e}"),
    }
}

/// Sends a delivery; what came of it, and the receiver's answer when it took a webhook event.
async fn attempt(d: &ClaimedDelivery, config: &NotifyConfig) -> (AttemptResult, Option<String>) {
    let now = timestamp::now();
    let body = match render(d, config, &timestamp::format(now)) {
        Ok(Outgoing::Json(body)) => serde_json::to_vec(&body).unwrap_or_default(),
        Ok(Outgoing::Email(mail)) => {
            return (
                attempt_email(d, mail, backoff(config, d.attempt)).await,
                None,
            );
        }
        Err(response) => return (AttemptResult::GiveUp { response }, None),
    };
    let unix_seconds = (now / 1000).to_string();
    let mut headers: Vec<(String, String)> = vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        (
            "User-Agent".to_owned(),
            format!("Seltzer/{}", env!("CARGO_PKG_VERSION")),
        ),
        ("X-Seltzer-Event".to_owned(), d.event.clone()),
        ("X-Seltzer-Delivery".to_owned(), d.id.clone()),
        ("X-Seltzer-Timestamp".to_owned(), unix_seconds.clone()),
    ];
    if let Some(secret) = d.channel.secret.as_deref().filter(|s| !s.is_empty()) {
        let signed = signature(secret, &unix_seconds, &body);
        headers.push(("X-Seltzer-Signature".to_owned(), signed));
    }
    headers.extend(d.channel.headers.clone());
    let url = d.channel.url.clone();
    let backoff = backoff(config, d.attempt);
    let sent = tokio::task::spawn_blocking(move || post(&url, &headers, &body)).await;
    match sent {
        Ok(Ok((status, retry_after, answer))) => {
            let result = classify(status, retry_after, backoff);
            let delivered = matches!(result, AttemptResult::Delivered { .. });
            (result, delivered.then_some(answer))
        }
        Ok(Err(error)) => (
            AttemptResult::Retry {
                response: error,
                after_ms: backoff,
            },
            None,
        ),
        Err(join) => (
            AttemptResult::Retry {
                response: format!("the sending task failed: {join}"),
                after_ms: backoff,
            },
            None,
        ),
    }
}

async fn attempt_email(d: &ClaimedDelivery, mail: messages::Mail, backoff: i64) -> AttemptResult {
    let Some(settings) = d.channel.email.clone() else {
        return AttemptResult::GiveUp {
            response: "the channel has no SMTP server".to_owned(),
        };
    };
    let password = d.channel.secret.clone();
    let id = d.id.clone();
    let sent = tokio::task::spawn_blocking(move || {
        email::send(&settings, password.as_deref(), &mail, &id, TIMEOUT)
    })
    .await;
    match sent {
        Ok(Ok(response)) => AttemptResult::Delivered { response },
        Ok(Err(failure)) if failure.permanent => AttemptResult::GiveUp {
            response: failure.message,
        },
        Ok(Err(failure)) => AttemptResult::Retry {
            response: failure.message,
            after_ms: backoff,
        },
        Err(join) => AttemptResult::Retry {
            response: format!("the sending task failed: {join}"),
            after_ms: backoff,
        },
    }
}

/// What an HTTP answer means for the delivery.
fn classify(status: u16, retry_after_secs: Option<i64>, backoff_ms: i64) -> AttemptResult {
    let response = status.to_string();
    match status {
        200..=399 => AttemptResult::Delivered { response },
        429 => AttemptResult::Retry {
            response,
            after_ms: retry_after_secs.map_or(backoff_ms, |s| s.clamp(0, 86_400) * 1000),
        },
        500..=599 => AttemptResult::Retry {
            response,
            after_ms: retry_after_secs.map_or(backoff_ms, |s| s.clamp(0, 86_400) * 1000),
        },
        _ => AttemptResult::GiveUp { response },
    }
}

/// Of a receiver's answer, what is read (a ticket link is a few hundred bytes).
const ANSWER_LIMIT: u64 = 64 * 1024;

/// One POST: the status, `Retry-After` (in seconds) and the start of the answer, or the
/// transport error. The URL is left out of errors: it may carry a token.
fn post(
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<(u16, Option<i64>, String), String> {
    // One agent for every message: building one sets up TLS (its root certificates) each
    // time, more CPU than the rest of a delivery; it also keeps connections open.
    static AGENT: std::sync::OnceLock<ureq::Agent> = std::sync::OnceLock::new();
    let agent = AGENT.get_or_init(|| {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(TIMEOUT))
            .build()
            .into()
    });
    let mut request = agent.post(url);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let mut response = request.send(body).map_err(|e| match e {
        ureq::Error::Timeout(_) => "timed out after 10 s".to_owned(),
        other => format!(
            "cannot reach the channel: {}",
            other.to_string().replace(url, "<url>")
        ),
    })?;
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let status = response.status().as_u16();
    // An answer too long or not text is no link: read as nothing.
    let answer = response
        .body_mut()
        .with_config()
        .limit(ANSWER_LIMIT)
        .read_to_string()
        .unwrap_or_default();
    Ok((status, retry_after, answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_decide_between_delivered_retried_and_given_up() {
        assert!(matches!(
            classify(202, None, 5),
            AttemptResult::Delivered { .. }
        ));
        assert_eq!(
            classify(429, Some(7), 5),
            AttemptResult::Retry {
                response: "429".to_owned(),
                after_ms: 7000
            }
        );
        assert_eq!(
            classify(503, None, 5),
            AttemptResult::Retry {
                response: "503".to_owned(),
                after_ms: 5
            }
        );
        assert!(matches!(
            classify(404, None, 5),
            AttemptResult::GiveUp { .. }
        ));
    }

    #[test]
    fn signatures_are_hmac_sha256_of_timestamp_and_body() {
        // As Python's `hmac.new(b"Jefe", b'1700000000.{"a":1}', hashlib.sha256)` computes it.
        assert_eq!(
            signature("Jefe", "1700000000", br#"{"a":1}"#),
            "v1=fa5f6481efc59da48b19c9dc10196c9953e5651f8304b3a318b6b87d70272e0a"
        );
    }
}
