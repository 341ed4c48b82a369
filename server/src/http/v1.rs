//! The subset of Soda Cloud's public API v1 that Seltzer can answer: same paths, parameters,
//! paging and field names (`reference/soda-cloud-public-api-v1.yaml`), so scripts written
//! against Soda Cloud work here. Authentication: HTTP Basic with an API key, or a session.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, header::HOST};
use axum::routing::get;
use axum::{Json, Router};
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
) -> Result<Json<Value>, HttpError> {
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

fn page(content: Vec<Value>, page: i64, size: i64, total: i64) -> Value {
    let total_pages = (total + size - 1) / size;
    json!({
        "content": Value::Array(content),
        "totalElements": total,
        "totalPages": total_pages,
        "number": page,
        "size": size,
        "first": page == 0,
        "last": page + 1 >= total_pages,
    })
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
) -> Result<Json<Value>, HttpError> {
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
    let content = checks.iter().map(|c| check_json(c, &origin)).collect();
    Ok(Json(page(content, page_number, size, total)))
}

fn check_json(c: &CheckSummary, origin: &str) -> Value {
    let attributes: Value = serde_json::from_str::<Vec<Value>>(&c.attributes)
        .map(|list| {
            list.iter()
                .filter_map(|a| {
                    let name = a.get("name")?.as_str()?;
                    let value = match a.get("value")? {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    Some((name.to_owned(), Value::String(value)))
                })
                .collect::<serde_json::Map<_, _>>()
                .into()
        })
        .unwrap_or_else(|_| json!({}));
    let datasets: Vec<Value> = match (c.dataset_id, &c.dataset_name) {
        (Some(id), Some(name)) => vec![json!({
            "id": id.to_string(),
            "name": name,
            "qualifiedName": format!("{}.{name}", c.data_source),
            "cloudUrl": format!("{origin}/datasets/{id}"),
        })],
        _ => Vec::new(),
    };
    json!({
        "id": c.id.to_string(),
        "name": c.name,
        "evaluationStatus": c.latest_outcome.as_deref().unwrap_or("notEvaluated"),
        "lastCheckResultValue": c.latest_result_id.map(|id| json!({
            "id": id.to_string(),
            "value": c.latest_value,
            "dataTimestamp": c.latest_data_timestamp.map(timestamp::format),
        })),
        "lastCheckRunTime": c.last_run.map(timestamp::format),
        "datasets": datasets,
        "column": c.column,
        "definition": c.definition,
        "attributes": attributes,
        "checkType": c.check_type,
        "group": c.group_identity.as_ref().map(|identity| json!({
            "identity": identity,
            "name": c.group_name,
            "groupType": "groupBy",
        })),
        "createdAt": timestamp::format(c.created_at),
        "lastUpdated": c.last_run.map(timestamp::format),
        "incidents": [],
        "agreements": [],
        "cloudUrl": format!("{origin}/checks/{}", c.id),
    })
}

#[utoipa::path(get, path = "/api/v1/datasets", tag = "soda-cloud-v1", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("search" = Option<String>, Query, description = "Part of the dataset name, any case (at most 200 characters)"), ("datasourceName" = Option<String>, Query, description = "Only datasets of this data source"), ("from" = Option<String>, Query, description = "Only datasets scanned at or after this RFC 3339 time"), ("page" = Option<i32>, Query, description = "Page number from 0"), ("size" = Option<i32>, Query, description = "Page size, 10 to 1000 (default 10)")), responses((status = 200, description = "Soda Cloud PublicApiDatasetsResponse, plus lastScanFailed and lastScanId"), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError)))]
async fn datasets(
    State(state): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
    query: RawQuery,
) -> Result<Json<Value>, HttpError> {
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
    let content = datasets.iter().map(|d| dataset_json(d, &origin)).collect();
    Ok(Json(page(content, page_number, size, total)))
}

fn dataset_json(d: &DatasetSummary, origin: &str) -> Value {
    let quality = if d.checks == 0 {
        Value::Null
    } else if d.failing > 0 {
        json!("fail")
    } else if d.warning > 0 {
        json!("warn")
    } else {
        json!("pass")
    };
    json!({
        "id": d.id.to_string(),
        "name": d.name,
        "label": d.name,
        "qualifiedName": format!("{}.{}", d.data_source, d.name),
        "datasource": {"name": d.data_source, "label": d.data_source},
        "lastUpdated": d.last_updated.map(timestamp::format),
        "checks": d.checks,
        "incidents": 0,
        // Seltzer's health: how many of the dataset's checks fail or warn now.
        "healthStatus": d.failing + d.warning,
        "dataQualityStatus": quality,
        "lastScanFailed": d.last_scan_failed,
        "lastScanId": d.last_scan_id.map(|id| id.to_string()),
        "cloudUrl": format!("{origin}/datasets/{}", d.id),
        "owners": [],
        "tags": [],
        "attributes": {},
    })
}
