//! The query parameters of each list and history endpoint, as the server reads them and the
//! OpenAPI document lists them: an endpoint takes one or more of these groups. Values arrive as
//! text and are checked by the server, which names the parameter and the accepted values when
//! one is wrong; the documented type says what they must hold.

use serde::{Deserialize, Serialize};

/// Which page of a list: `page` from 0, `size` 1 to 500 (the default depends on the list).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct PageQuery {
    /// The page, from 0.
    #[cfg_attr(feature = "openapi", param(value_type = Option<i64>))]
    pub page: Option<String>,
    /// Items a page, 1 to 500.
    #[cfg_attr(feature = "openapi", param(value_type = Option<i64>))]
    pub size: Option<String>,
}

/// A page of a Soda Cloud list: `page` from 0, `size` 10 to 1000 (default 10).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct V1PageQuery {
    /// The page, from 0.
    #[cfg_attr(feature = "openapi", param(value_type = Option<i32>))]
    pub page: Option<String>,
    /// Items a page, 10 to 1000 (default 10).
    #[cfg_attr(feature = "openapi", param(value_type = Option<i32>))]
    pub size: Option<String>,
}

/// A data-time range, both ends RFC 3339 and optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct TimeRangeQuery {
    /// From this data timestamp on.
    pub from: Option<String>,
    /// Up to this data timestamp.
    pub to: Option<String>,
}

/// `GET /api/checks` and `GET /api/checks.csv` (with `PageQuery`; the CSV has every row).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct CheckListQuery {
    /// pass, warn, fail or notEvaluated.
    pub outcome: Option<String>,
    /// Part of the name, dataset or column (at most 200 characters).
    pub search: Option<String>,
    /// Only the checks of this dataset.
    #[cfg_attr(feature = "openapi", param(value_type = Option<i64>))]
    pub dataset_id: Option<String>,
    /// Only the checks of this data source.
    pub data_source: Option<String>,
    /// A check attribute, `name=value`.
    pub attribute: Option<String>,
    /// Comma-separated check identities (any version), at most 200.
    pub identity: Option<String>,
    /// Only checks whose outcome changed at least this often among their last 20 results
    /// (1 to 19; the dashboard's "flapping" filter asks for 4).
    #[cfg_attr(feature = "openapi", param(value_type = Option<i64>))]
    pub min_flips: Option<String>,
    /// name, outcome, dataset, dataTimestamp, value, since (since when the outcome holds) or
    /// flips (outcome changes among the last 20 results).
    pub sort: Option<String>,
    /// asc or desc.
    pub order: Option<String>,
}

/// `GET /api/checks/{checkId}/history` and its CSV (with `TimeRangeQuery`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct HistoryQuery {
    /// The last N days, 1 to 36500 (instead of from).
    #[cfg_attr(feature = "openapi", param(value_type = Option<i64>))]
    pub days: Option<String>,
    /// 2 to 10000 (default 1000): longer histories are downsampled to the worst result of each
    /// time bucket. The CSV has every result.
    #[cfg_attr(feature = "openapi", param(value_type = Option<i64>))]
    pub max_points: Option<String>,
}

/// `GET /api/datasets` (with `PageQuery`, default size 100).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct DatasetListQuery {
    /// Part of the dataset name, any case (at most 200 characters).
    pub search: Option<String>,
    /// Only the datasets of this data source.
    pub data_source: Option<String>,
    /// Only the datasets of this health: scanFailed, failing, warning, healthy or notScanned.
    pub health: Option<String>,
    /// With each dataset, its failed checks in its last N scans (1 to 100).
    #[cfg_attr(feature = "openapi", param(value_type = Option<i64>))]
    pub trend: Option<String>,
}

/// `GET /api/incidents` (with `PageQuery`, default size 50).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct IncidentListQuery {
    /// Only incidents of this status: reported, investigating, fixing or resolved; `open` for
    /// all but resolved.
    pub status: Option<String>,
    /// Only incidents of this severity: minor, major or critical.
    pub severity: Option<String>,
    /// Only incidents this user leads (email, any case).
    pub lead: Option<String>,
    /// Only incidents with a result of a check of this dataset.
    #[cfg_attr(feature = "openapi", param(value_type = Option<i64>))]
    pub dataset_id: Option<String>,
    /// Part of the title or description, any case (at most 200 characters).
    pub search: Option<String>,
}

/// `GET /api/scans` (with `TimeRangeQuery` and `PageQuery`, default size 50).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct ScanListQuery {
    /// true: only scans that failed (errors in their logs).
    #[cfg_attr(feature = "openapi", param(value_type = Option<bool>))]
    pub failed: Option<String>,
    /// Only the scans of this scan definition.
    pub definition: Option<String>,
    /// Only the scans that covered this dataset.
    #[cfg_attr(feature = "openapi", param(value_type = Option<i64>))]
    pub dataset_id: Option<String>,
}

/// `GET /api/scans/{scanId}`: which part of its log comes with it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct ScanLogQuery {
    /// Only log lines of these levels, comma-separated: debug, info, warning, error.
    pub level: Option<String>,
    /// The first log line to include, from 0.
    #[cfg_attr(feature = "openapi", param(value_type = Option<i64>))]
    pub log_offset: Option<String>,
    /// How many log lines, 1 to 5000 (default 1000).
    #[cfg_attr(feature = "openapi", param(value_type = Option<i64>))]
    pub log_limit: Option<String>,
}

/// `GET /api/v1/checks`, as Soda Cloud takes it (with `V1PageQuery`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct V1ChecksQuery {
    /// Comma-separated check ids (at most 1000; not with other parameters).
    pub check_ids: Option<String>,
    /// Only the checks of this dataset.
    pub dataset_id: Option<String>,
}

/// `GET /api/v1/datasets`, as Soda Cloud takes it (with `V1PageQuery`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct V1DatasetsQuery {
    /// Part of the dataset name, any case (at most 200 characters).
    pub search: Option<String>,
    /// Only the datasets of this data source.
    pub datasource_name: Option<String>,
    /// Only datasets scanned at or after this RFC 3339 time.
    pub from: Option<String>,
}

/// `GET /api/scan-runs/{id}/compare`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct CompareQuery {
    /// The other run of the same definition.
    #[cfg_attr(feature = "openapi", param(value_type = i64))]
    pub with: Option<String>,
}

/// `GET /api/scan-runs/{id}/logs`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct RunLogQuery {
    /// Lines after this one (`next` of the previous answer); 0 from the start.
    #[cfg_attr(feature = "openapi", param(value_type = Option<i64>))]
    pub after: Option<String>,
    /// Lines at most, 1 to 5000 (default 1000).
    #[cfg_attr(feature = "openapi", param(value_type = Option<i64>))]
    pub limit: Option<String>,
}
