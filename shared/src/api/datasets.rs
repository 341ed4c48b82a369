//! `GET /api/datasets/{id}`: a dataset's status, its checks by outcome and its health over
//! time; `GET /api/check-results/{id}/samples`: the failed rows Soda Core sent for a result.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::OutcomeCounts;

/// Whether the latest scan of the dataset worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum DatasetStatus {
    /// The newest scan covering it succeeded.
    Ok,
    /// The newest scan covering it failed (errors or an abort): its checks may be stale.
    ScanFailed,
    /// No scan covered it yet.
    NotScanned,
}

/// A dataset's health, the worst that holds: its latest scan failed › checks fail › checks warn
/// › healthy; or not scanned yet. ("The scan ran" is not health: a dataset whose checks fail is
/// not healthy.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum DatasetHealth {
    /// The newest scan covering it failed: its checks may be stale.
    ScanFailed,
    /// Some of its checks fail.
    Failing,
    /// Some of its checks warn, none fails.
    Warning,
    /// Scanned, no check fails or warns.
    Healthy,
    /// No scan covered it yet.
    NotScanned,
}

impl DatasetHealth {
    pub fn of(status: DatasetStatus, counts: &OutcomeCounts) -> Self {
        match status {
            DatasetStatus::ScanFailed => Self::ScanFailed,
            DatasetStatus::NotScanned => Self::NotScanned,
            DatasetStatus::Ok if counts.fail > 0 => Self::Failing,
            DatasetStatus::Ok if counts.warn > 0 => Self::Warning,
            DatasetStatus::Ok => Self::Healthy,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ScanFailed => "scanFailed",
            Self::Failing => "failing",
            Self::Warning => "warning",
            Self::Healthy => "healthy",
            Self::NotScanned => "notScanned",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::ScanFailed,
            Self::Failing,
            Self::Warning,
            Self::Healthy,
            Self::NotScanned,
        ]
        .into_iter()
        .find(|h| h.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScanRef {
    pub id: i64,
    pub definition: String,
    pub data_timestamp: String,
    pub ended: String,
    pub has_errors: bool,
}

/// Checks by outcome in one scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct HealthPoint {
    pub scan_id: i64,
    pub data_timestamp: String,
    #[serde(flatten)]
    pub counts: OutcomeCounts,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DatasetDetail {
    pub id: i64,
    pub name: String,
    pub data_source: String,
    /// Whether its latest scan worked.
    pub status: DatasetStatus,
    /// The worst of a failed scan, failing checks, warning checks.
    pub health: DatasetHealth,
    pub last_scan: Option<ScanRef>,
    /// When the last scan failed: the messages of its error logs, so the page can say why.
    pub scan_errors: Vec<String>,
    /// The dataset's checks by their latest outcome.
    pub counts: OutcomeCounts,
    /// Oldest first, one point per scan that had results for the dataset.
    pub health_by_scan: Vec<HealthPoint>,
    /// Incidents not yet resolved about a result of its checks.
    #[serde(default)]
    pub open_incidents: i64,
    /// Soda Core 4: the data contract in force (the latest `soda contract publish`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<PublishedContract>,
    /// Its columns, in order, as the newest scan that reported them said (Soda Core 3's
    /// dataset discovery, Soda Core 4's schema checks); empty when none did.
    #[serde(default)]
    pub columns: Vec<DatasetColumn>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DatasetColumn {
    pub name: String,
    /// The data source's type name (`DECIMAL(10,2)`).
    pub source_type: Option<String>,
}

/// A dataset's data contract as `soda contract publish` made it the one in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PublishedContract {
    /// The contract's YAML text.
    pub contents: String,
    pub published_at: String,
}

/// One dataset in the datasets list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DatasetListItem {
    pub id: i64,
    pub name: String,
    pub data_source: String,
    /// Whether its latest scan worked.
    pub status: DatasetStatus,
    /// The worst of a failed scan, failing checks, warning checks.
    pub health: DatasetHealth,
    /// The newest scan that covered the dataset (the failing one when `status` is `scanFailed`).
    pub last_scan_id: Option<i64>,
    /// When that scan ended (RFC 3339, UTC).
    pub last_scan_time: Option<String>,
    /// The dataset's checks by their latest outcome.
    pub counts: OutcomeCounts,
    /// Open (not resolved) incidents about its checks.
    #[serde(default)]
    pub open_incidents: i64,
    /// Failed checks in each of the dataset's latest scans, oldest first; only when the list
    /// was asked for it (`trend=N`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recent_failed: Vec<i64>,
}

/// `GET /api/datasets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DatasetList {
    pub items: Vec<DatasetListItem>,
    pub total: i64,
    pub page: i64,
    pub size: i64,
}

/// One uploaded sample file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SampleFile {
    pub file_id: String,
    pub file_path: String,
    /// `[{"name": …, "type": …}]` as Soda Core described them.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub columns: Value,
    /// One JSON array per row, in column order.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub rows: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Samples {
    pub check_result_id: i64,
    pub files: Vec<SampleFile>,
}
