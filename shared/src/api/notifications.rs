//! Notifications: channels (where messages go), rules (which results go where, and how often),
//! and deliveries (each message, with its attempts). Also the summary of one scan's matched
//! results that Seltzer stores with the scan and renders for each channel when it sends.

use serde::{Deserialize, Serialize};

use super::{Attribute, CheckOutcome, ValueUnit};
use crate::sodacl::Zone;

/// Where a channel's messages go and in what shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum ChannelType {
    /// Soda Cloud's webhook events (`checkEvaluation`, `validate`), signed when a secret is set.
    Webhook,
    /// A Slack incoming-webhook URL: a Block Kit message.
    Slack,
    /// A Microsoft Teams Workflows URL: an Adaptive Card.
    Teams,
    /// Email over SMTP: plain text and HTML.
    Email,
}

impl ChannelType {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::Slack => "slack",
            Self::Teams => "teams",
            Self::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "webhook" => Some(Self::Webhook),
            "slack" => Some(Self::Slack),
            "teams" => Some(Self::Teams),
            "email" => Some(Self::Email),
            _ => None,
        }
    }
}

/// How an email channel's connection to its SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (port 587), which the server must offer.
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only to a relay on this machine (127.0.0.1, localhost).
    None,
}

/// An email channel's SMTP server and addresses. The password is write-only: never shown
/// again, nor logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmailSettings {
    pub host: String,
    /// 587 for STARTTLS, 465 for TLS, 25 for a local relay.
    pub port: u16,
    #[serde(default)]
    pub security: SmtpSecurity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Write-only; absent from every answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// `Seltzer <seltzer@example.com>` or a bare address.
    pub from: String,
    /// One or more addresses.
    pub to: Vec<String>,
}

/// `POST /api/notification-channels`. The URL, the header values, the secret and an email
/// channel's password are write-only: they are never shown again, nor logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewChannel {
    pub name: String,
    #[serde(rename = "type")]
    pub channel_type: ChannelType,
    /// Webhook, Slack and Teams: `https://…` (plain `http://` only to this machine, for tests
    /// and local receivers).
    #[serde(default)]
    pub url: String,
    /// Extra request headers (webhook), e.g. `{"Authorization": "Bearer …"}`.
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
    /// Signs each webhook body: `X-Seltzer-Signature: v1=<hex HMAC-SHA256 of
    /// "<X-Seltzer-Timestamp>.<body>">`.
    #[serde(default)]
    pub secret: Option<String>,
    /// Email: the SMTP server, sender and recipients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailSettings>,
    /// Also receive incident events: `incidentCreated` and `incidentUpdated`.
    #[serde(default)]
    pub incidents: bool,
}

/// A channel as listed: its secrets masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Channel {
    pub id: i64,
    pub name: String,
    #[serde(rename = "type")]
    pub channel_type: ChannelType,
    /// Scheme and host only (`https://hooks.slack.com/…`): the path may hold a token.
    pub url: String,
    /// Header names; their values are not shown.
    pub headers: Vec<String>,
    pub signed: bool,
    /// Email: the server and addresses, without the password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailSettings>,
    /// It receives incident events.
    #[serde(default)]
    pub incidents: bool,
    pub created_at: String,
}

/// `DELETE /api/notification-channels/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChannelDeleted {
    pub id: i64,
    pub deleted: bool,
}

/// How often a rule notifies about a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum RuleMode {
    /// Every matching result (Soda Cloud's behaviour).
    #[default]
    EveryResult,
    /// Only when a check enters warn or fail (or goes from warn to fail), and, with
    /// `recovery`, once when it passes again.
    OnChange,
}

/// Which checks a rule covers; every set field must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// The check's name; `*` stands for any text (`row_count*`), any case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_name: Option<String>,
    /// Check attributes that must have these values, e.g. `{"owner": "data-team"}`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub attributes: std::collections::BTreeMap<String, String>,
}

/// `POST` and `PUT /api/notification-rules`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleDefinition {
    pub name: String,
    pub channel_ids: Vec<i64>,
    /// `["fail"]` or `["fail", "warn"]`.
    pub outcomes: Vec<CheckOutcome>,
    #[serde(default)]
    pub mode: RuleMode,
    /// With `onChange`: a message when a check passes again.
    #[serde(default)]
    pub recovery: bool,
    /// At most one message per check in this many minutes (0: no limit).
    #[serde(default)]
    pub suppress_minutes: i64,
    /// Also tell when a scan fails (Soda Cloud never does for pushed scans).
    #[serde(default)]
    pub scan_failures: bool,
    /// Also tell, once, when a covered dataset has had no scan for this many hours (1 to
    /// 8760); told again only after a new scan arrives and then goes quiet again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_scan_hours: Option<i64>,
    /// Also tell, once per run, when a scheduled run of a scan definition Seltzer runs has no
    /// results this many minutes (1 to 1440) after its fire time: still queued or executing
    /// (event `runLate`). The data source filter applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_run_minutes: Option<i64>,
    #[serde(default)]
    pub filter: RuleFilter,
    /// Also run incidents for the checks it covers (Soda Cloud has no such automation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incidents: Option<IncidentAutomation>,
    #[serde(default)]
    pub paused: bool,
}

/// A rule's incidents: one is opened when a covered check enters one of the rule's outcomes;
/// while it is open, each new such result of the check is linked to it instead of opening
/// another; when the check passes again, that is on its timeline, and it is resolved if asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IncidentAutomation {
    pub severity: super::IncidentSeverity,
    #[serde(default)]
    pub resolve_on_recovery: bool,
}

/// A rule as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub id: i64,
    #[serde(flatten)]
    pub definition: RuleDefinition,
    pub created_at: String,
    pub updated_at: String,
}

/// `DELETE /api/notification-rules/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RuleDeleted {
    pub id: i64,
    pub deleted: bool,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    Delivered,
    /// Given up (a 4xx other than 429, or every retry failed): listed, and can be redelivered.
    Dead,
}

impl DeliveryStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "delivered" => Some(Self::Delivered),
            "dead" => Some(Self::Dead),
            _ => None,
        }
    }
}

/// One message to one channel (`GET /api/notification-deliveries`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// Also sent as `X-Seltzer-Delivery`, the same on every attempt.
    pub id: String,
    pub channel_id: i64,
    pub channel: String,
    /// `checkEvaluation` (checks of a scan), `scanFailed` (only the scan failed),
    /// `datasetOverdue` (datasets without a scan for a rule's hours) or `validate` (a test).
    pub event: String,
    pub scan_id: Option<i64>,
    pub status: DeliveryStatus,
    pub attempts: i64,
    /// The HTTP status of the last attempt, or its error.
    pub last_response: Option<String>,
    pub created_at: String,
    pub next_attempt_at: Option<String>,
    pub delivered_at: Option<String>,
    /// How many checks the message lists.
    pub checks: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DeliveryList {
    /// Newest first.
    pub items: Vec<Delivery>,
    pub total: i64,
    pub page: i64,
    pub size: i64,
}

/// `POST /api/notification-channels/{id}/test` and `…/notification-deliveries/{id}/redeliver`:
/// the delivery that will be sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DeliveryQueued {
    pub id: String,
}

/// `POST /api/notification-rules/simulate`: a rule being edited, tried on stored results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimulationRequest {
    pub rule: RuleDefinition,
    /// The last N days of results (1 to 365).
    pub days: i64,
}

/// What a rule would have sent over the stored results of the last `days` days, in its own
/// mode and in the other one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Simulation {
    pub days: i64,
    /// Checks the rule's filter covers.
    pub checks: i64,
    /// Their results in those days.
    pub results: i64,
    /// Messages per channel (one per scan with something to tell).
    pub messages: i64,
    /// Checks told about, all messages together.
    pub notices: i64,
    /// The same rule with `everyResult`: messages and checks told about.
    pub every_result_messages: i64,
    pub every_result_notices: i64,
    /// The same rule with `onChange` (and its `recovery`).
    pub on_change_messages: i64,
    pub on_change_notices: i64,
    /// The first notices it would have sent, oldest first (at most 20).
    pub examples: Vec<SimulatedNotice>,
    /// Only the first 200,000 results were tried.
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SimulatedNotice {
    pub check_id: i64,
    pub name: String,
    pub data_timestamp: String,
    pub outcome: Option<CheckOutcome>,
    pub recovered: bool,
}

/// What one scan's message says, stored with the scan (in its transaction) and rendered for
/// the channel when sent: the scan, and each matched check with its result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanNotice {
    pub scan_id: i64,
    pub definition: String,
    pub data_source: String,
    pub data_timestamp: String,
    /// The scan failed (errors in its log) and a rule asked to be told.
    pub scan_failed: bool,
    pub errors: Vec<String>,
    pub checks: Vec<CheckNotice>,
}

/// One check in a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckNotice {
    pub check_id: i64,
    pub result_id: i64,
    pub name: String,
    pub definition: String,
    pub dataset_id: Option<i64>,
    pub dataset: Option<String>,
    pub data_source: String,
    pub column: Option<String>,
    pub outcome: Option<CheckOutcome>,
    /// It passed again after a notified warn or fail (`onChange` with `recovery`).
    pub recovered: bool,
    pub value: Option<f64>,
    pub unit: ValueUnit,
    pub fail: Option<Zone>,
    pub warn: Option<Zone>,
    pub attributes: Vec<Attribute>,
}

/// An incident as it was when an event about it was stored (`incidentCreated`,
/// `incidentUpdated`), rendered for each channel when sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncidentNotice {
    pub incident: super::Incident,
    pub check_results: Vec<super::IncidentCheckResult>,
    /// What this event is about: the timeline entries of the change (empty when created).
    pub changes: Vec<super::IncidentEvent>,
    /// Its tickets elsewhere.
    #[serde(default)]
    pub links: Vec<super::IncidentLink>,
    /// Where a receiver posts its ticket's link: `/api/incidents/{id}/links/{token}`.
    #[serde(default)]
    pub link_callback_path: String,
}

/// Datasets that no scan reached for a rule's `noScanHours`: stored when found, rendered for
/// the channel when sent (event `datasetOverdue`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OverdueNotice {
    pub rule: String,
    pub hours: i64,
    pub datasets: Vec<OverdueDataset>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OverdueDataset {
    pub dataset_id: i64,
    pub dataset: String,
    pub data_source: String,
    pub last_scan_id: i64,
    /// When that scan reached Seltzer.
    pub last_scan_at: String,
}

/// The facts of a check result a rule's filter looks at.
pub struct CheckFacts<'a> {
    pub name: &'a str,
    pub dataset: Option<&'a str>,
    pub data_source: &'a str,
    pub attributes: &'a [Attribute],
}

impl RuleFilter {
    pub fn matches(&self, c: &CheckFacts<'_>) -> bool {
        let same = |want: &Option<String>, have: Option<&str>| {
            want.as_deref()
                .is_none_or(|w| have.is_some_and(|h| h.eq_ignore_ascii_case(w)))
        };
        same(&self.data_source, Some(c.data_source))
            && same(&self.dataset, c.dataset)
            && self
                .check_name
                .as_deref()
                .is_none_or(|pattern| wildcard_match(pattern, c.name))
            && self.attributes.iter().all(|(name, value)| {
                c.attributes
                    .iter()
                    .any(|a| &a.name == name && &a.value == value)
            })
    }
}

/// `*` matches any text; the rest must be equal, any case.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (pattern, text) = (pattern.to_lowercase(), text.to_lowercase());
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_match_names_with_wildcards_and_attributes() {
        let attributes = vec![Attribute {
            name: "owner".to_owned(),
            value: "data-team".to_owned(),
        }];
        let facts = CheckFacts {
            name: "row_count > 0",
            dataset: Some("orders"),
            data_source: "shop",
            attributes: &attributes,
        };
        let mut filter = RuleFilter::default();
        assert!(filter.matches(&facts));
        filter.check_name = Some("ROW_COUNT*".to_owned());
        assert!(filter.matches(&facts));
        filter.check_name = Some("*count*0".to_owned());
        assert!(filter.matches(&facts));
        filter.check_name = Some("*count".to_owned());
        assert!(!filter.matches(&facts));
        filter.check_name = None;
        filter.dataset = Some("Orders".to_owned());
        filter
            .attributes
            .insert("owner".to_owned(), "data-team".to_owned());
        assert!(filter.matches(&facts));
        filter
            .attributes
            .insert("owner".to_owned(), "growth".to_owned());
        assert!(!filter.matches(&facts));
        assert!(wildcard_match("a*a", "aa") && !wildcard_match("a*a", "a"));
    }
}

/// A scheduled run without results `minutes` after its fire time (event `runLate`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunLateNotice {
    pub run_id: i64,
    pub definition: String,
    pub data_source: String,
    /// Where it is: `queuing` (waiting for its data source's limit or a runner) or
    /// `executing`.
    pub state: super::RunState,
    pub scheduled_for: String,
    pub minutes: i64,
    pub attempt: i64,
    /// The rule that tells it.
    pub rule: String,
}

/// A run Seltzer executed that ended without results (`failed`, `timedOut`): rules with "failed
/// scans too" tell it (event `runFailed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunFailedNotice {
    pub run_id: i64,
    pub definition: String,
    pub data_source: String,
    pub state: super::RunState,
    pub error: Option<String>,
    pub attempt: i64,
    pub data_timestamp: String,
}
