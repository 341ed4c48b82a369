//! The subset of Soda Cloud's public API v1 that Seltzer answers, with Soda Cloud's field names
//! (`reference/soda-cloud-public-api-v1.yaml`), so scripts written against Soda Cloud work.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One page of a Soda Cloud paged response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct V1Page<T> {
    pub content: Vec<T>,
    pub total_elements: i64,
    pub total_pages: i64,
    /// The page, from 0.
    pub number: i64,
    pub size: i64,
    pub first: bool,
    pub last: bool,
}

impl<T> V1Page<T> {
    /// Page `number` (from 0) of `total` items, `size` a page.
    pub fn new(content: Vec<T>, number: i64, size: i64, total: i64) -> Self {
        let total_pages = (total + size - 1) / size.max(1);
        Self {
            content,
            total_elements: total,
            total_pages,
            number,
            size,
            first: number == 0,
            last: number + 1 >= total_pages,
        }
    }
}

/// `GET /api/v1/test-login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct V1TestLogin {
    pub organisation_name: String,
}

/// A check as Soda Cloud's `PublicApiCheck` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct V1Check {
    pub id: String,
    pub name: String,
    /// pass, warn, fail or notEvaluated.
    pub evaluation_status: String,
    pub last_check_result_value: Option<V1ResultValue>,
    pub last_check_run_time: Option<String>,
    pub datasets: Vec<V1CheckDataset>,
    pub column: Option<String>,
    /// The check's line as written in the checks file.
    pub definition: String,
    /// Check attributes, name → value as text.
    pub attributes: BTreeMap<String, String>,
    pub check_type: String,
    pub group: Option<V1Group>,
    pub created_at: String,
    pub last_updated: Option<String>,
    /// The incidents this check's results are linked to, newest first.
    pub incidents: Vec<V1IncidentRef>,
    /// Always empty: Seltzer has no agreements.
    pub agreements: Vec<String>,
    pub cloud_url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct V1ResultValue {
    pub id: String,
    pub value: Option<f64>,
    pub data_timestamp: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct V1CheckDataset {
    pub id: String,
    pub name: String,
    pub qualified_name: String,
    pub cloud_url: String,
}

/// The group-by check a check's result belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct V1Group {
    pub identity: String,
    pub name: Option<String>,
    /// `groupBy`.
    pub group_type: String,
}

/// An incident as Soda Cloud lists it on a check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct V1IncidentRef {
    pub id: String,
    pub name: String,
    pub number: i64,
    pub status: String,
    pub cloud_url: String,
}

/// A dataset as Soda Cloud's `PublicApiDataset` shows it, plus Seltzer's scan status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct V1Dataset {
    pub id: String,
    pub label: String,
    pub qualified_name: String,
    pub name: String,
    pub datasource: V1DataSource,
    pub last_updated: Option<String>,
    pub checks: i64,
    /// Open incidents (not resolved) about its checks.
    pub incidents: i64,
    /// How many of the dataset's checks fail or warn now.
    pub health_status: i64,
    /// pass, warn or fail; absent without checks.
    pub data_quality_status: Option<String>,
    /// Seltzer's: whether the dataset's latest scan failed (its checks may be stale).
    pub last_scan_failed: bool,
    pub last_scan_id: Option<String>,
    pub cloud_url: String,
    /// Always empty.
    pub owners: Vec<String>,
    /// Always empty.
    pub tags: Vec<String>,
    /// Always empty.
    pub attributes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct V1DataSource {
    pub name: String,
    pub label: String,
}

/// A finished scan as Soda Cloud's `PublicApiScanStatusResponse` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct V1Scan {
    pub id: String,
    pub scan_definition: V1ScanDefinition,
    /// Soda Cloud's `ScanStateDTO`: queuing, executing, cancelationRequested, canceled,
    /// timedOut, failed, completed, completedWithWarnings, completedWithFailures or
    /// completedWithErrors.
    pub state: String,
    pub created: String,
    pub submitted: String,
    /// Empty while a run waits.
    pub started: Option<String>,
    /// Empty until a run is over.
    pub ended: Option<String>,
    pub scan_time: String,
    pub errors: i64,
    pub failures: i64,
    pub warnings: i64,
    pub checks: Vec<V1ScanCheck>,
    pub cloud_url: String,
    /// The agent that runs a Seltzer run (its data source's); none for Seltzer's own processes
    /// and for pushed scans.
    pub agent_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct V1ScanDefinition {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct V1ScanCheck {
    pub id: String,
    /// pass, warn, fail or notEvaluated.
    pub evaluation_status: String,
}

/// One line of a scan's log, as Soda Core sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct V1ScanLog {
    pub index: Option<i64>,
    pub level: Option<String>,
    pub message: Option<String>,
    pub timestamp: Option<String>,
}

/// `POST /api/v1/scans` (a form, as Soda Cloud takes it): run a scan definition now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct V1ScanRequest {
    /// The scan definition's name.
    pub scan_definition: String,
    /// The data timestamp its results get (ISO 8601 with an offset); now when left out.
    #[serde(default)]
    pub data_timestamp: Option<String>,
}
