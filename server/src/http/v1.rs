//! The subset of Soda Cloud's public API v1 that Seltzer can answer: same paths, parameters,
//! paging and field names (`reference/soda-cloud-public-api-v1.yaml`), so scripts written
//! against Soda Cloud work here. Authentication: HTTP Basic with an API key, or a session.
//!
//! A scan id is a stored scan's number, or `run-N` for a run Seltzer executes (started with
//! `POST /api/v1/scans`, a schedule or "Run now"): its state walks Soda Cloud's states, and its
//! checks are those of the scan its results became. `DELETE` cancels, as in Soda Cloud: a
//! queued or executing run; a finished scan answers 400 (stored scans are deleted with
//! `DELETE /api/scans/{scanId}`).

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header::HOST};
use axum::{Json, http::header::LOCATION};
use std::collections::BTreeMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use serde_json::Value;
use shared::api::{
    ApiError, RunState, V1Check, V1CheckDataset, V1ChecksQuery, V1DataSource, V1Dataset,
    V1DatasetsQuery, V1Group, V1IncidentRef, V1Page, V1PageQuery, V1ResultValue, V1Scan,
    V1ScanCheck, V1ScanDefinition, V1ScanLog, V1ScanRequest, V1TestLogin,
};

use super::auth::{Caller, EditorCaller};
use super::extract::{TypedQuery, page_and_size, param};
use super::scan_definitions::queue_run;
use super::scan_runs::{cancel_run, find_run};
use super::{AppState, HttpError};

use crate::storage::{
    CheckSelection, CheckSummary, DatasetFilter, DatasetSummary, RunRow, ScanDetail,
};
use crate::timestamp;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(test_login))
        .routes(routes!(checks))
        .routes(routes!(datasets))
        .routes(routes!(start_scan))
        .routes(routes!(scan, cancel_scan))
        .routes(routes!(scan_logs))
}

/// The run a `run-N` scan id names, if it names one.
fn run_number(id: &str) -> Option<&str> {
    id.strip_prefix("run-")
}

fn checks_of(scan: Option<&ScanDetail>) -> Vec<V1ScanCheck> {
    scan.map(|s| {
        s.checks
            .iter()
            .map(|(id, outcome)| V1ScanCheck {
                id: id.to_string(),
                evaluation_status: outcome.as_deref().unwrap_or("notEvaluated").to_owned(),
            })
            .collect()
    })
    .unwrap_or_default()
}

/// A run as Soda Cloud's scan status: its state, times, and its stored scan's checks.
async fn run_status(
    state: &AppState,
    headers: &HeaderMap,
    run: RunRow,
) -> Result<V1Scan, HttpError> {
    let scan = match run.scan_id {
        Some(id) => state.db.scan(id).await?,
        None => None,
    };
    let count = |f: fn(&ScanDetail) -> i64| scan.as_ref().map_or(0, f);
    Ok(V1Scan {
        id: shared::api::run_scan_id(run.id),
        scan_definition: V1ScanDefinition {
            id: run.definition_id.to_string(),
            name: run.definition.clone(),
        },
        // Soda Cloud has no `skipped`: a fire time not run is, to its scripts, canceled.
        state: if run.state == RunState::Skipped.as_str() {
            RunState::Canceled.as_str().to_owned()
        } else {
            run.state.clone()
        },
        created: timestamp::format(run.created_at),
        submitted: timestamp::format(run.created_at),
        started: run.started_at.map(timestamp::format),
        ended: run.ended_at.map(timestamp::format),
        scan_time: timestamp::format(run.data_timestamp),
        errors: count(|s| s.error_count),
        failures: count(|s| s.fail_count),
        warnings: count(|s| s.warn_count),
        checks: checks_of(scan.as_ref()),
        cloud_url: format!("{}/runs/{}", origin(headers), run.id),
        agent_id: run.agent.clone(),
    })
}

/// Runs a scan definition now, as Soda Cloud's agent would: 201 with the scan id in
/// `X-Soda-Scan-Id` and `Location`.
#[utoipa::path(post, path = "/v1/scans", tag = "soda-cloud-v1", request_body(content = V1ScanRequest, content_type = "application/x-www-form-urlencoded"), security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 201, description = "Queued (editor); its id in X-Soda-Scan-Id and Location", body = V1Scan), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such scan definition", body = ApiError)))]
async fn start_scan(
    State(state): State<AppState>,
    EditorCaller(caller): EditorCaller,
    headers: HeaderMap,
    form: Result<Form<V1ScanRequest>, FormRejection>,
) -> Result<(StatusCode, HeaderMap, Json<V1Scan>), HttpError> {
    let Form(request) = form.map_err(|e| {
        HttpError::bad_request(format!(
            "send scanDefinition (and optionally dataTimestamp) as a form \
             (application/x-www-form-urlencoded): {e}"
        ))
    })?;
    let definition = state
        .db
        .definition(&request.scan_definition)
        .await?
        .ok_or_else(|| {
            HttpError::not_found(format!(
                "no scan definition '{}' is configured to run here",
                request.scan_definition
            ))
        })?;
    let data_timestamp = request
        .data_timestamp
        .as_deref()
        .map(timestamp::parse)
        .transpose()
        .map_err(|e| HttpError::bad_request(format!("dataTimestamp: {e}")))?;
    let run = queue_run(
        &state,
        &definition,
        shared::api::RunOrigin::Api,
        &caller.actor(),
        data_timestamp,
        None,
    )
    .await?;
    let mut answer = HeaderMap::new();
    let scan_id = shared::api::run_scan_id(run.id);
    if let Ok(value) = HeaderValue::from_str(&scan_id) {
        answer.insert("x-soda-scan-id", value);
    }
    if let Ok(value) = HeaderValue::from_str(&format!("/api/v1/scans/{scan_id}")) {
        answer.insert(LOCATION, value);
    }
    Ok((
        StatusCode::CREATED,
        answer,
        Json(run_status(&state, &headers, run).await?),
    ))
}

/// Soda Cloud's paging: size 10 to 1000, 10 by default.
fn v1_paging(p: &V1PageQuery) -> Result<(i64, i64), HttpError> {
    page_and_size(&p.page, &p.size, 10, 10, 1000)
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

#[utoipa::path(get, path = "/v1/scans/{scanId}", tag = "soda-cloud-v1", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("scanId" = String, Path, description = "Scan id")), responses((status = 200, description = "Soda Cloud PublicApiScanStatusResponse", body = V1Scan), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn scan(
    State(state): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<(HeaderMap, Json<V1Scan>), HttpError> {
    if let Some(run) = run_number(&id) {
        let run = find_run(&state, run).await?;
        // Soda Core 4 (`soda contract verify -r`) polls again when told, else after 5 s: a
        // run that is not over is asked about again in a second.
        let mut answer = HeaderMap::new();
        if RunState::parse(&run.state).is_some_and(|s| !s.is_final())
            && let Ok(at) = timestamp::format_offset(timestamp::now() + 1_000).parse()
        {
            answer.insert("x-soda-next-poll-time", at);
        }
        return Ok((answer, Json(run_status(&state, &headers, run).await?)));
    }
    let scan = load_scan(&state, &id).await?;
    let origin = origin(&headers);
    let checks = checks_of(Some(&scan));
    let scan = V1Scan {
        id: scan.id.to_string(),
        scan_definition: V1ScanDefinition {
            id: scan.definition_id.to_string(),
            name: scan.definition_name.clone(),
        },
        state: scan_state(&scan).to_owned(),
        created: timestamp::format(scan.received_at),
        submitted: timestamp::format(scan.received_at),
        started: Some(timestamp::format(scan.started)),
        ended: Some(timestamp::format(scan.ended)),
        scan_time: timestamp::format(scan.data_timestamp),
        errors: scan.error_count,
        failures: scan.fail_count,
        warnings: scan.warn_count,
        checks,
        cloud_url: format!("{origin}/scans/{}", scan.id),
        agent_id: None,
    };
    Ok((HeaderMap::new(), Json(scan)))
}

#[utoipa::path(get, path = "/v1/scans/{scanId}/logs", tag = "soda-cloud-v1", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("scanId" = String, Path, description = "Scan id"), V1PageQuery), responses((status = 200, description = "Soda Cloud PublicApiScanLogsResponse", body = V1Page<V1ScanLog>), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn scan_logs(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
    TypedQuery(p): TypedQuery<V1PageQuery>,
) -> Result<Json<V1Page<V1ScanLog>>, HttpError> {
    let (page_number, size) = v1_paging(&p)?;
    if let Some(run) = run_number(&id) {
        // A run's log, line by line: what Soda Core printed and what Seltzer said of it.
        let run = find_run(&state, run).await?;
        let total = state.db.run_log_count(run.id).await?;
        let content = state
            .db
            .run_logs(run.id, page_number.saturating_mul(size), size)
            .await?
            .into_iter()
            .map(|line| V1ScanLog {
                index: Some(line.seq - 1),
                level: Some(
                    if line.stream == "stderr" {
                        "warning"
                    } else {
                        "info"
                    }
                    .to_owned(),
                ),
                message: Some(line.line),
                timestamp: Some(timestamp::format(line.at)),
            })
            .collect();
        return Ok(Json(V1Page::new(content, page_number, size, total)));
    }
    let scan = load_scan(&state, &id).await?;
    let logs: Vec<Value> = serde_json::from_str(&scan.logs).unwrap_or_default();
    let total = i64::try_from(logs.len()).unwrap_or(i64::MAX);
    let start = usize::try_from(page_number.saturating_mul(size)).unwrap_or(usize::MAX);
    let content = logs
        .iter()
        .skip(start)
        .take(usize::try_from(size).unwrap_or(0))
        .map(|log| {
            let text = |key: &str| log.get(key).and_then(Value::as_str).map(str::to_owned);
            V1ScanLog {
                index: log.get("index").and_then(Value::as_i64),
                level: text("level"),
                message: text("message"),
                timestamp: text("timestamp"),
            }
        })
        .collect();
    Ok(Json(V1Page::new(content, page_number, size, total)))
}

/// Cancels a scan, as Soda Cloud's `DELETE` does: a queued run at once, an executing one by
/// ending its processes; a finished scan answers 400 (its results stay).
#[utoipa::path(delete, path = "/v1/scans/{scanId}", tag = "soda-cloud-v1", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("scanId" = String, Path, description = "Scan id")), responses((status = 200, description = "Canceled, or cancelationRequested while its processes end (editor)", body = V1Scan), (status = 400, description = "The scan is over: nothing to cancel", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn cancel_scan(
    State(state): State<AppState>,
    _editor: EditorCaller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<V1Scan>, HttpError> {
    if let Some(run) = run_number(&id) {
        let run = cancel_run(&state, run).await?;
        return Ok(Json(run_status(&state, &headers, run).await?));
    }
    let scan = load_scan(&state, &id).await?;
    Err(HttpError::bad_request(format!(
        "scan {id} is over ({}): there is nothing to cancel; its results are deleted with \
         DELETE /api/scans/{id}",
        scan_state(&scan)
    )))
}

/// The dashboard's address as the caller reached it, for `cloudUrl`.
pub(super) fn origin(headers: &HeaderMap) -> String {
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

#[utoipa::path(get, path = "/v1/test-login", tag = "soda-cloud-v1", security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 200, description = "The API key or session works", body = V1TestLogin), (status = 401, description = "No or wrong credentials", body = ApiError)))]
async fn test_login(_caller: Caller) -> Json<V1TestLogin> {
    Json(V1TestLogin {
        organisation_name: "Seltzer".to_owned(),
    })
}

#[utoipa::path(get, path = "/v1/checks", tag = "soda-cloud-v1", security(("basic" = []), ("bearer" = []), ("session" = [])), params(V1ChecksQuery, V1PageQuery), responses((status = 200, description = "Soda Cloud PublicApiChecksResponse", body = V1Page<V1Check>), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError)))]
async fn checks(
    State(state): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
    TypedQuery(q): TypedQuery<V1ChecksQuery>,
    TypedQuery(p): TypedQuery<V1PageQuery>,
) -> Result<Json<V1Page<V1Check>>, HttpError> {
    let (page_number, size) = v1_paging(&p)?;
    let dataset_id = param("datasetId", &q.dataset_id);
    let selection = match (param("checkIds", &q.check_ids).text(), dataset_id.text()) {
        (Some(_), _)
            if [param("page", &p.page), param("size", &p.size), dataset_id]
                .iter()
                .any(|p| p.text().is_some()) =>
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
    let ids: Vec<i64> = checks.iter().map(|c| c.id).collect();
    let mut incidents: BTreeMap<i64, Vec<V1IncidentRef>> = BTreeMap::new();
    for (check_id, id, title, status) in state.db.incidents_of_checks(&ids).await? {
        incidents.entry(check_id).or_default().push(V1IncidentRef {
            id: id.to_string(),
            name: title,
            number: id,
            status,
            cloud_url: format!("{origin}/incidents/{id}"),
        });
    }
    let content = checks
        .into_iter()
        .map(|c| {
            let of_check = incidents.remove(&c.id).unwrap_or_default();
            check_json(c, of_check, &origin)
        })
        .collect();
    Ok(Json(V1Page::new(content, page_number, size, total)))
}

fn check_json(c: CheckSummary, incidents: Vec<V1IncidentRef>, origin: &str) -> V1Check {
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
            group_type: "groupBy".to_owned(),
        }),
        created_at: timestamp::format(c.created_at),
        last_updated: c.last_run.map(timestamp::format),
        incidents,
        agreements: Vec::new(),
        cloud_url: format!("{origin}/checks/{}", c.id),
    }
}

#[utoipa::path(get, path = "/v1/datasets", tag = "soda-cloud-v1", security(("basic" = []), ("bearer" = []), ("session" = [])), params(V1DatasetsQuery, V1PageQuery), responses((status = 200, description = "Soda Cloud PublicApiDatasetsResponse, plus lastScanFailed and lastScanId", body = V1Page<V1Dataset>), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError)))]
async fn datasets(
    State(state): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
    TypedQuery(q): TypedQuery<V1DatasetsQuery>,
    TypedQuery(p): TypedQuery<V1PageQuery>,
) -> Result<Json<V1Page<V1Dataset>>, HttpError> {
    let (page_number, size) = v1_paging(&p)?;
    let filter = DatasetFilter {
        search: param("search", &q.search).search()?,
        data_source: param("datasourceName", &q.datasource_name)
            .text()
            .map(str::to_owned),
        updated_since: param("from", &q.from).time()?,
        health: None,
    };
    let (datasets, total) = state
        .db
        .list_datasets(&filter, page_number * size, size)
        .await?;
    let origin = origin(&headers);
    let ids: Vec<i64> = datasets.iter().map(|d| d.id).collect();
    let open: BTreeMap<i64, i64> = state
        .db
        .open_incidents_of_datasets(&ids)
        .await?
        .into_iter()
        .collect();
    let content = datasets
        .into_iter()
        .map(|d| {
            let incidents = open.get(&d.id).copied().unwrap_or(0);
            dataset_json(d, incidents, &origin)
        })
        .collect();
    Ok(Json(V1Page::new(content, page_number, size, total)))
}

fn dataset_json(d: DatasetSummary, incidents: i64, origin: &str) -> V1Dataset {
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
        incidents,
        health_status: d.failing + d.warning,
        data_quality_status: quality.map(str::to_owned),
        last_scan_failed: d.last_scan_failed,
        last_scan_id: d.last_scan_id.map(|id| id.to_string()),
        cloud_url: format!("{origin}/datasets/{}", d.id),
        owners: Vec::new(),
        tags: Vec::new(),
        attributes: BTreeMap::new(),
    }
}
