//! `GET /api/scans` and `GET /api/scans/{id}`: scans with their counts, checks and logs.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{CheckOutcome, OutcomeCounts};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScanListItem {
    pub id: i64,
    pub definition: String,
    pub data_source: String,
    pub data_timestamp: String,
    pub started: String,
    pub ended: String,
    pub duration_ms: i64,
    pub received: String,
    /// Checks of the scan by outcome.
    #[serde(flatten)]
    pub counts: OutcomeCounts,
    /// Error logs in the scan.
    pub errors: i64,
    pub has_errors: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScanList {
    /// Newest data timestamp first.
    pub items: Vec<ScanListItem>,
    pub total: i64,
    pub page: i64,
    pub size: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScanCheck {
    pub check_id: i64,
    pub result_id: i64,
    pub name: String,
    pub dataset: Option<String>,
    pub outcome: Option<CheckOutcome>,
    pub value: Option<f64>,
    /// What `value` measures.
    #[serde(default)]
    pub unit: super::ValueUnit,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScanLog {
    pub index: Option<i64>,
    pub level: String,
    pub message: String,
    pub timestamp: Option<String>,
    /// `{filePath, line, col}` when Soda Core located the message in a checks file.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub location: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScanDetailView {
    pub scan: ScanListItem,
    pub checks: Vec<ScanCheck>,
    /// Errors first when the scan failed, then in the order Soda Core logged them: the page
    /// of `logOffset` and `logLimit`.
    pub logs: Vec<ScanLog>,
    /// Log lines (of the asked levels) in all pages.
    #[serde(default)]
    pub logs_total: i64,
    /// Where this page of the log starts.
    #[serde(default)]
    pub log_offset: i64,
    /// Soda Core 4: the data contract this scan verified, as it was uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<VerifiedContract>,
}

/// A data contract as Soda Core 4 uploaded it with a verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VerifiedContract {
    pub file_id: String,
    /// The contract's YAML text.
    pub contents: String,
}

/// `DELETE /api/scans/{scanId}`: the stored scan is gone; checks and datasets fall back to the
/// remaining scans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScanDeleted {
    pub id: String,
    pub deleted: bool,
}
