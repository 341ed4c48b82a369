//! `GET /api/checks` and `GET /api/checks/{id}/history`: the check results dashboard and a
//! check's trend.

use serde::{Deserialize, Serialize};

use super::CheckOutcome;
use crate::sodacl::Zone;

/// What a check's values measure, so they can be shown in their unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum ValueUnit {
    /// A count or another plain number.
    #[default]
    Number,
    /// A percentage (0 to 100).
    Percent,
    /// A duration in milliseconds (freshness: the age of the newest row).
    Milliseconds,
}

/// One check with its latest result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CheckListItem {
    pub id: i64,
    pub name: String,
    /// `None`: not evaluated.
    pub outcome: Option<CheckOutcome>,
    pub dataset_id: Option<i64>,
    pub dataset: Option<String>,
    pub data_source: String,
    pub column: Option<String>,
    pub value: Option<f64>,
    /// What `value` measures.
    #[serde(default)]
    pub unit: ValueUnit,
    /// The data timestamp of the latest result (RFC 3339, UTC).
    pub data_timestamp: Option<String>,
    pub scan_definition: Option<String>,
    pub attributes: Vec<Attribute>,
    /// The key Seltzer files the check under: its `identity:` (v4) when set, else Soda Core's
    /// v3 identity (what the checks editor computes to find a check's history).
    pub identity: String,
    /// Since when the current outcome holds: the data timestamp of the first of the latest
    /// results in a row with this outcome (RFC 3339, UTC).
    #[serde(default)]
    pub outcome_since: Option<String>,
    /// How many of the latest results in a row have had this outcome (0: no results).
    #[serde(default)]
    pub streak: i64,
    /// How often the outcome changed among the last 20 results: a check that flips often
    /// ([`FLAPPING_FLIPS`] or more) is flapping.
    #[serde(default)]
    pub recent_flips: i64,
    /// The data timestamp of the latest passing result; `None`: it never passed.
    #[serde(default)]
    pub last_passed: Option<String>,
    /// The open (not resolved) incidents its results are linked to, newest first.
    #[serde(default)]
    pub open_incidents: Vec<i64>,
}

/// From how many outcome changes among its last 20 results a check counts as flapping.
pub const FLAPPING_FLIPS: i64 = 4;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attribute {
    pub name: String,
    pub value: String,
}

/// Checks per latest outcome, for the counts above the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OutcomeCounts {
    pub pass: i64,
    pub warn: i64,
    pub fail: i64,
    pub not_evaluated: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CheckList {
    pub items: Vec<CheckListItem>,
    /// Checks matching every filter.
    pub total: i64,
    pub page: i64,
    pub size: i64,
    /// Counts per outcome for every filter but the outcome one, so each count says what
    /// choosing that outcome would show.
    pub counts: OutcomeCounts,
}

/// One result in a check's history, with the fail and warn zones in force for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct HistoryPoint {
    pub result_id: i64,
    pub scan_id: i64,
    pub data_timestamp: String,
    pub value: Option<f64>,
    pub outcome: Option<CheckOutcome>,
    pub fail: Option<Zone>,
    pub warn: Option<Zone>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CheckHistory {
    pub check_id: i64,
    /// Oldest first.
    pub points: Vec<HistoryPoint>,
    /// Results in the time range before downsampling.
    pub total_points: i64,
    /// True when `points` keeps one result per time bucket (the worst outcome in it).
    pub downsampled: bool,
}

/// One identity a check was sent with (Soda Core sends v1–v3, and v4 when `identity:` is set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IdentityRef {
    pub version: String,
    pub identity: String,
}

/// `GET /api/checks/{id}`: a check, where it is defined, and its identities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CheckDetail {
    /// The check and its latest result, as in the list.
    pub check: CheckListItem,
    /// Soda Core's check type (e.g. `generic`, `row_count`).
    pub check_type: String,
    /// The check's line in its checks file, as written (e.g. `row_count > 0`).
    pub definition: String,
    /// The checks file and the position of the check in it.
    pub file_path: Option<String>,
    pub line: Option<i64>,
    pub col: Option<i64>,
    pub identities: Vec<IdentityRef>,
    /// The latest result, to open first.
    pub latest_result_id: Option<i64>,
    /// When the check was first received (RFC 3339, UTC).
    pub created_at: String,
}

/// `GET /api/check-results/{id}`: one result of a check, with what Soda Core reported about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CheckResultDetail {
    pub id: i64,
    pub check_id: i64,
    pub scan_id: i64,
    pub data_timestamp: String,
    pub value: Option<f64>,
    /// What `value` measures.
    #[serde(default)]
    pub unit: ValueUnit,
    pub outcome: Option<CheckOutcome>,
    /// The check's name and definition as they were at this result.
    pub name: String,
    pub definition: String,
    /// Soda Core's diagnostics for the result, as sent (thresholds, measured values…).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub diagnostics: serde_json::Value,
    /// Soda Core's outcome reasons, when it sent any.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub outcome_reasons: serde_json::Value,
    /// Failed-row sample rows stored for this result (see `/api/check-results/{id}/samples`).
    pub sample_rows: i64,
    /// The results this one replaced, newest first: its scan was sent again with the same
    /// data timestamp, and each earlier version's outcome and value stay on record.
    #[serde(default)]
    pub replaced: Vec<ReplacedResult>,
}

/// An earlier result for the same check and data timestamp, replaced by a re-sent scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReplacedResult {
    /// When the scan that replaced it arrived (RFC 3339, UTC).
    pub replaced_at: String,
    pub outcome: Option<CheckOutcome>,
    pub value: Option<f64>,
}
