//! The subset of Soda Cloud's public API v1 that Seltzer can answer: same paths, parameters,
//! paging and field names (`reference/soda-cloud-public-api-v1.yaml`), so scripts written
//! against Soda Cloud work here. Authentication: HTTP Basic with an API key, or a session.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, header::HOST};
use axum::routing::get;
use axum::{Json, Router};
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};
use shared::api::ApiError;

use super::auth::Caller;
use super::params::{Params, RawQuery};
use super::{AppState, HttpError};
use shared::api::Role;

use crate::storage::{CheckSelection, CheckSummary, DatasetFilter, DatasetSummary, ScanDetail};
use crate::timestamp;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/test-login", get(test_login))
        .route("/v1/checks", get(checks))
        .route("/v1/datasets", get(datasets))
        .route("/v1/scans/{scan_id}", get(scan).delete(delete_scan))
        .route("/v1/scans/{scan_id}/logs", get(scan_logs))
}

fn scan_id(text: &str) -> Result<i64, HttpError> {
    text.parse()
        .map_err(|_| HttpError::not_found(format!("no scan with id '{text}'")))
}

async fn load_scan(state: &AppState, id_text: &str) -> Result<ScanDetail, HttpError> {
    state
        .db
        .scan(scan_id(id_text)?)
        .await?
        .ok_or_else(|| HttpError::not_found(format!("no scan with id '{id_text}'")))
}

/// Soda Cloud's scan state for a finished scan.
fn scan_state(scan: &ScanDetail) -> &'static str {
    if scan.has_errors {
        "completedWithErrors"
    } else if scan.fail_count > 0 {
        "completedWithFailures"
    } else if scan.warn_count > 0 {
        "completedWithWarnings"
    } else {
        "completed"
    }
}

#[utoipa::path(get, path = "/api/v1/scans/{scanId}", tag = "soda-cloud-v1", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("scanId" = String, Path, description = "Scan id")), responses((status = 200, description = "Soda Cloud PublicApiScanStatusResponse"), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn scan(
    State(state): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    let scan = load_scan(&state, &id).await?;
    let origin = origin(&headers);
    let checks: Vec<Value> = scan
        .checks
        .iter()
        .map(|(id, outcome)| {
            json!({"id": id.to_string(), "evaluationStatus": outcome.as_deref().unwrap_or("notEvaluated")})
        })
        .collect();
    Ok(Json(json!({
        "id": scan.id.to_string(),
        "scanDefinition": {"id": scan.definition_id.to_string(), "name": scan.definition_name},
        "state": scan_state(&scan),
        "created": timestamp::format(scan.received_at),
        "submitted": timestamp::format(scan.received_at),
        "started": timestamp::format(scan.started),
        "ended": timestamp::format(scan.ended),
        "scanTime": timestamp::format(scan.data_timestamp),
        "errors": scan.error_count,
        "failures": scan.fail_count,
        "warnings": scan.warn_count,
        "checks": checks,
        "cloudUrl": format!("{origin}/scans/{}", scan.id),
    })))
}

#[utoipa::path(get, path = "/api/v1/scans/{scanId}/logs", tag = "soda-cloud-v1", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("scanId" = String, Path, description = "Scan id"), ("page" = Option<i32>, Query, description = "Page number from 0"), ("size" = Option<i32>, Query, description = "Page size, 10 to 1000 (default 10)")), responses((status = 200, description = "Soda Cloud PublicApiScanLogsResponse"), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn scan_logs(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
    query: RawQuery,
) -> Result<Json<Page<Value>>, HttpError> {
    let params = Params::from(query)?;
    let (page_number, size) = params.paging(10, 10, 1000)?;
    let scan = load_scan(&state, &id).await?;
    let logs: Vec<Value> = serde_json::from_str(&scan.logs).unwrap_or_default();
    let total = i64::try_from(logs.len()).unwrap_or(i64::MAX);
    let start = usize::try_from(page_number.saturating_mul(size)).unwrap_or(usize::MAX);
    let content = logs
        .iter()
        .skip(start)
        .take(usize::try_from(size).unwrap_or(0))
        .map(|log| {
            json!({
                "index": log.get("index"),
                "level": log.get("level"),
                "message": log.get("message"),
                "timestamp": log.get("timestamp"),
            })
        })
        .collect();
    Ok(Json(page(content, page_number, size, total)))
}

/// Deleting a scan needs the editor role; checks and datasets fall back to what remains.
#[utoipa::path(delete, path = "/api/v1/scans/{scanId}", tag = "soda-cloud-v1", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("scanId" = String, Path, description = "Scan id")), responses((status = 200, description = "Deleted; checks and datasets fall back to the remaining scans"), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn delete_scan(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    caller.require(Role::Editor)?;
    let scan_id = scan_id(&id)?;
    if !state.db.delete_scan(scan_id).await? {
        return Err(HttpError::not_found(format!("no scan with id '{id}'")));
    }
    tracing::info!(scan_id, by = ?caller.email.or(caller.api_key_id), "scan deleted");
    Ok(Json(json!({"id": id, "deleted": true})))
}

/// The dashboard's address as the caller reached it, for `cloudUrl`.
fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

/// One page of a Soda Cloud paged response.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Page<T> {
    content: Vec<T>,
    total_elements: i64,
    total_pages: i64,
    number: i64,
    size: i64,
    first: bool,
    last: bool,
}

fn page<T>(content: Vec<T>, page: i64, size: i64, total: i64) -> Page<T> {
    let total_pages = (total + size - 1) / size;
    Page {
        content,
        total_elements: total,
        total_pages,
        number: page,
        size,
        first: page == 0,
        last: page + 1 >= total_pages,
    }
}

#[utoipa::path(get, path = "/api/v1/test-login", tag = "soda-cloud-v1", security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 200, description = "{\"organisationName\": \"Seltzer\"}"), (status = 401, description = "No or wrong credentials", body = ApiError)))]
async fn test_login(_caller: Caller) -> Json<Value> {
    Json(json!({"organisationName": "Seltzer"}))
}

#[utoipa::path(get, path = "/api/v1/checks", tag = "soda-cloud-v1", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("checkIds" = Option<String>, Query, description = "Comma-separated check ids (at most 1000; not with other parameters)"), ("datasetId" = Option<String>, Query, description = "Only the checks of this dataset"), ("page" = Option<i32>, Query, description = "Page number from 0"), ("size" = Option<i32>, Query, description = "Page size, 10 to 1000 (default 10)")), responses((status = 200, description = "Soda Cloud PublicApiChecksResponse"), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError)))]
async fn checks(
    State(state): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
    query: RawQuery,
) -> Result<Json<Page<V1Check>>, HttpError> {
    let params = Params::from(query)?;
    let (page_number, size) = params.paging(10, 10, 1000)?;
    let selection = match (params.text("checkIds"), params.text("datasetId")) {
        (Some(_), _)
            if ["page", "size", "datasetId"]
                .iter()
                .any(|p| params.text(p).is_some()) =>
        {
            return Err(HttpError::bad_request(
                "checkIds cannot be combined with page, size or datasetId",
            ));
        }
        (Some(ids), _) => {
            let ids = ids
                .split(',')
                .map(|id| id.trim().parse::<i64>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| {
                    HttpError::bad_request("checkIds must be a comma-separated list of check ids")
                })?;
            if ids.len() > 1000 {
                return Err(HttpError::bad_request("checkIds takes at most 1000 ids"));
            }
            CheckSelection::Ids(ids)
        }
        (None, Some(dataset)) => CheckSelection::Dataset(
            dataset
                .parse()
                .map_err(|_| HttpError::bad_request("datasetId must be a dataset id"))?,
        ),
        (None, None) => CheckSelection::All,
    };
    let (size, offset) = match selection {
        CheckSelection::Ids(ref ids) => (ids.len().max(1) as i64, 0),
        _ => (size, page_number * size),
    };
    let (checks, total) = state.db.list_checks(&selection, offset, size).await?;
    let origin = origin(&headers);
    let content = checks.into_iter().map(|c| check_json(c, &origin)).collect();
    Ok(Json(page(content, page_number, size, total)))
}

/// A check as Soda Cloud's `PublicApiCheck` shows it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct V1Check {
    id: String,
    name: String,
    evaluation_status: String,
    last_check_result_value: Option<V1ResultValue>,
    last_check_run_time: Option<String>,
    datasets: Vec<V1CheckDataset>,
    column: Option<String>,
    definition: String,
    attributes: BTreeMap<String, String>,
    check_type: String,
    group: Option<V1Group>,
    created_at: String,
    last_updated: Option<String>,
    incidents: [(); 0],
    agreements: [(); 0],
    cloud_url: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct V1ResultValue {
    id: String,
    value: Option<f64>,
    data_timestamp: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct V1CheckDataset {
    id: String,
    name: String,
    qualified_name: String,
    cloud_url: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct V1Group {
    identity: String,
    name: Option<String>,
    group_type: &'static str,
}

fn check_json(c: CheckSummary, origin: &str) -> V1Check {
    // Stored as Soda Core sent them: a list of {name, value}; shown as name -> value text.
    let attributes = serde_json::from_str::<Vec<Value>>(&c.attributes)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|a| {
            let name = a.get("name")?.as_str()?.to_owned();
            let value = match a.get("value")? {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            Some((name, value))
        })
        .collect();
    let datasets = match (c.dataset_id, c.dataset_name) {
        (Some(id), Some(name)) => vec![V1CheckDataset {
            id: id.to_string(),
            qualified_name: format!("{}.{name}", c.data_source),
            name,
            cloud_url: format!("{origin}/datasets/{id}"),
        }],
        _ => Vec::new(),
    };
    V1Check {
        id: c.id.to_string(),
        name: c.name,
        evaluation_status: c
            .latest_outcome
            .unwrap_or_else(|| "notEvaluated".to_owned()),
        last_check_result_value: c.latest_result_id.map(|id| V1ResultValue {
            id: id.to_string(),
            value: c.latest_value,
            data_timestamp: c.latest_data_timestamp.map(timestamp::format),
        }),
        last_check_run_time: c.last_run.map(timestamp::format),
        datasets,
        column: c.column,
        definition: c.definition,
        attributes,
        check_type: c.check_type,
        group: c.group_identity.map(|identity| V1Group {
            identity,
            name: c.group_name,
            group_type: "groupBy",
        }),
        created_at: timestamp::format(c.created_at),
        last_updated: c.last_run.map(timestamp::format),
        incidents: [],
        agreements: [],
        cloud_url: format!("{origin}/checks/{}", c.id),
    }
}

#[utoipa::path(get, path = "/api/v1/datasets", tag = "soda-cloud-v1", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("search" = Option<String>, Query, description = "Part of the dataset name, any case (at most 200 characters)"), ("datasourceName" = Option<String>, Query, description = "Only datasets of this data source"), ("from" = Option<String>, Query, description = "Only datasets scanned at or after this RFC 3339 time"), ("page" = Option<i32>, Query, description = "Page number from 0"), ("size" = Option<i32>, Query, description = "Page size, 10 to 1000 (default 10)")), responses((status = 200, description = "Soda Cloud PublicApiDatasetsResponse, plus lastScanFailed and lastScanId"), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError)))]
async fn datasets(
    State(state): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
    query: RawQuery,
) -> Result<Json<Page<V1Dataset>>, HttpError> {
    let params = Params::from(query)?;
    let (page_number, size) = params.paging(10, 10, 1000)?;
    let filter = DatasetFilter {
        search: params.search()?,
        data_source: params.text("datasourceName").map(str::to_owned),
        updated_since: params.time("from")?,
    };
    let (datasets, total) = state
        .db
        .list_datasets(&filter, page_number * size, size)
        .await?;
    let origin = origin(&headers);
    let content = datasets
        .into_iter()
        .map(|d| dataset_json(d, &origin))
        .collect();
    Ok(Json(page(content, page_number, size, total)))
}

/// A dataset as Soda Cloud's `PublicApiDataset` shows it, plus Seltzer's scan status.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct V1Dataset {
    id: String,
    label: String,
    qualified_name: String,
    name: String,
    datasource: V1DataSource,
    last_updated: Option<String>,
    checks: i64,
    incidents: i64,
    /// Seltzer's health: how many of the dataset's checks fail or warn now.
    health_status: i64,
    data_quality_status: Option<&'static str>,
    last_scan_failed: bool,
    last_scan_id: Option<String>,
    cloud_url: String,
    owners: [(); 0],
    tags: [(); 0],
    attributes: Empty,
}

/// `{}`.
#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct V1DataSource {
    name: String,
    label: String,
}

fn dataset_json(d: DatasetSummary, origin: &str) -> V1Dataset {
    let quality = if d.checks == 0 {
        None
    } else if d.failing > 0 {
        Some("fail")
    } else if d.warning > 0 {
        Some("warn")
    } else {
        Some("pass")
    };
    V1Dataset {
        id: d.id.to_string(),
        label: d.name.clone(),
        qualified_name: format!("{}.{}", d.data_source, d.name),
        name: d.name,
        datasource: V1DataSource {
            name: d.data_source.clone(),
            label: d.data_source,
        },
        last_updated: d.last_updated.map(timestamp::format),
        checks: d.checks,
        incidents: 0,
        health_status: d.failing + d.warning,
        data_quality_status: quality,
        last_scan_failed: d.last_scan_failed,
        last_scan_id: d.last_scan_id.map(|id| id.to_string()),
        cloud_url: format!("{origin}/datasets/{}", d.id),
        owners: [],
        tags: [],
        attributes: Empty {},
    }
}
