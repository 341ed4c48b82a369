//! `/api/incidents`: a failing check's investigation, from its report to its resolution, with
//! the results it concerns and a timeline of every change. Soda Cloud's words for severity and
//! status, so its API and webhooks map one to one.

use serde::{Deserialize, Serialize};

use super::CheckOutcome;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum IncidentSeverity {
    Minor,
    Major,
    Critical,
}

impl IncidentSeverity {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Minor => "minor",
            Self::Major => "major",
            Self::Critical => "critical",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Minor, Self::Major, Self::Critical]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// Any order is allowed; each change is on the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum IncidentStatus {
    Reported,
    Investigating,
    Fixing,
    Resolved,
}

impl IncidentStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Reported => "reported",
            Self::Investigating => "investigating",
            Self::Fixing => "fixing",
            Self::Resolved => "resolved",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Reported,
            Self::Investigating,
            Self::Fixing,
            Self::Resolved,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

impl IncidentLinkBack {
    /// The link to keep, `(url, text)`, or what is wrong with it (the field named).
    pub fn checked(&self) -> Result<(String, String), String> {
        let url = self.url.trim();
        let scheme = url.starts_with("https://") || url.starts_with("http://");
        if !scheme || url.len() > 2000 || url.contains(char::is_whitespace) {
            return Err(
                "url must be an http:// or https:// address of at most 2000 characters".to_owned(),
            );
        }
        let text = self.text.trim();
        if text.chars().count() > 200 {
            return Err("text is limited to 200 characters".to_owned());
        }
        let text = if text.is_empty() { url } else { text };
        Ok((url.to_owned(), text.to_owned()))
    }
}

/// `POST /api/incidents`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewIncident {
    /// 1 to 200 characters.
    pub title: String,
    pub severity: IncidentSeverity,
    #[serde(default)]
    pub description: Option<String>,
    /// A user of Seltzer who leads it.
    #[serde(default)]
    pub lead_email: Option<String>,
    /// The failing or warning results it is about: 1 to 100.
    pub check_result_ids: Vec<i64>,
}

/// `PATCH /api/incidents/{id}`: the fields to change; the others stay.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IncidentChange {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub severity: Option<IncidentSeverity>,
    /// `resolved` takes resolution notes (here or already on the incident).
    #[serde(default)]
    pub status: Option<IncidentStatus>,
    /// A user's email; `""` leaves the incident without a lead.
    #[serde(default)]
    pub lead_email: Option<String>,
    #[serde(default)]
    pub resolution_notes: Option<String>,
}

/// `POST /api/incidents/{id}/check-results`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IncidentLinks {
    /// 1 to 100 results; those already linked are left as they are.
    pub check_result_ids: Vec<i64>,
}

/// `POST /api/incidents/{id}/comments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewIncidentComment {
    /// 1 to 10,000 characters.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Incident {
    pub id: i64,
    /// What people call it ("incident 12"): its id.
    pub number: i64,
    pub title: String,
    pub description: String,
    pub severity: IncidentSeverity,
    pub status: IncidentStatus,
    pub lead_email: Option<String>,
    /// Who reported it: a user's email or an API key's name.
    pub reporter: String,
    pub resolution_notes: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub resolved_at: Option<String>,
    pub check_result_count: i64,
}

/// A result linked to an incident, with its check. The result's fields are empty when it is no
/// longer stored (replaced by a scan of the same time, or deleted with its scan).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IncidentCheckResult {
    pub result_id: i64,
    pub check_id: i64,
    pub check_name: String,
    pub data_source: String,
    pub dataset: Option<String>,
    pub stored: bool,
    pub outcome: Option<CheckOutcome>,
    pub value: Option<f64>,
    pub data_timestamp: Option<String>,
    pub scan_id: Option<i64>,
    pub linked_at: String,
    pub linked_by: String,
}

/// One change on an incident's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IncidentEvent {
    pub at: String,
    /// A user's email or an API key's name.
    pub actor: String,
    /// `created`, `title`, `description`, `severity`, `status`, `lead`, `resolutionNotes`,
    /// `linked` (to: the result id) or `comment` (to: its text).
    pub kind: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IncidentDetail {
    pub incident: Incident,
    /// Newest result first.
    pub check_results: Vec<IncidentCheckResult>,
    /// Oldest first.
    pub timeline: Vec<IncidentEvent>,
    /// Its tickets elsewhere, as the channels' receivers linked them.
    #[serde(default)]
    pub links: Vec<IncidentLink>,
}

/// A link to an incident's ticket elsewhere (Jira, ServiceNow…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IncidentLink {
    pub url: String,
    pub text: String,
    /// The channel whose receiver linked it.
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub created_at: String,
}

/// What a receiver sends back (`POST` to `incidentLinkCallbackUrl`, or in its answer as
/// `{"link": …}`), as Soda Cloud takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentLinkBack {
    /// `http://` or `https://`, at most 2,000 characters.
    pub url: String,
    /// At most 200 characters; the URL when empty.
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IncidentList {
    /// Newest first.
    pub items: Vec<Incident>,
    pub total: i64,
    pub page: i64,
    pub size: i64,
}

/// Soda Cloud's `PublicApiUpdateIncidentDTO` (`POST /api/v1/incidents/{incidentId}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct V1IncidentUpdate {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub severity: Option<IncidentSeverity>,
    #[serde(default)]
    pub status: Option<IncidentStatus>,
    #[serde(default)]
    pub resolution_notes: Option<String>,
}

/// Soda Cloud's `IncidentContentDTO`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct V1IncidentContent {
    pub id: String,
    pub name: String,
    pub number: i64,
    pub description: String,
    pub severity: IncidentSeverity,
    pub status: IncidentStatus,
    pub resolution_notes: Option<String>,
    pub cloud_url: String,
}
