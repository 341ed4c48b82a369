//! `GET /api/checks` and `GET /api/checks/{id}/history`: the check results dashboard and a
//! check's trend.

use serde::{Deserialize, Serialize};

use super::CheckOutcome;
use crate::sodacl::Zone;

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
    /// The data timestamp of the latest result (RFC 3339, UTC).
    pub data_timestamp: Option<String>,
    pub scan_definition: Option<String>,
    pub attributes: Vec<Attribute>,
}

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
