//! Seltzer's own scan endpoints, typed in `shared::api`:
//! - `GET /api/scans`: scans with counts and errors, newest data timestamp first;
//! - `GET /api/scans/{id}`: one scan with its checks and its log (errors first when it failed).

use axum::Json;
use axum::extract::{Path, State};
use serde_json::Value;
use shared::api::{ApiError, ScanDeleted};
use shared::api::{
    CheckOutcome, OutcomeCounts, ScanCheck, ScanDetailView, ScanList, ScanListItem, ScanLog,
    VerifiedContract,
};
use shared::api::{PageQuery, ScanListQuery, ScanLogQuery, TimeRangeQuery};
use shared::sodacl::units::value_unit;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Caller, EditorCaller};
use super::extract::{TypedQuery, paging, param};
use super::{AppState, HttpError};
use crate::storage::{ScanFilter, ScanRow};
use crate::timestamp;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(detail, delete))
}

fn item(s: &ScanRow) -> ScanListItem {
    ScanListItem {
        id: s.id,
        definition: s.definition.clone(),
        data_source: s.data_source.clone(),
        data_timestamp: timestamp::format(s.data_timestamp),
        started: timestamp::format(s.started),
        ended: timestamp::format(s.ended),
        duration_ms: (s.ended - s.started).max(0),
        received: timestamp::format(s.received_at),
        counts: s.counts,
        errors: s.errors,
        has_errors: s.has_errors,
    }
}

#[utoipa::path(get, path = "/scans", tag = "scans", security(("basic" = []), ("bearer" = []), ("session" = [])), params(ScanListQuery, TimeRangeQuery, PageQuery), responses((status = 200, body = ScanList), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError)))]
async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    TypedQuery(q): TypedQuery<ScanListQuery>,
    TypedQuery(range): TypedQuery<TimeRangeQuery>,
    TypedQuery(p): TypedQuery<PageQuery>,
) -> Result<Json<ScanList>, HttpError> {
    let failed = match param("failed", &q.failed).text() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(HttpError::bad_request(format!(
                "failed '{other}' is not true or false"
            )));
        }
    };
    let filter = ScanFilter {
        definition: param("definition", &q.definition).text().map(str::to_owned),
        dataset_id: param("datasetId", &q.dataset_id).id("a dataset id")?,
        failed,
        from: param("from", &range.from).time()?,
        to: param("to", &range.to).time()?,
    };
    let (page, size) = paging(&p, 50, 1, 500)?;
    let (scans, total) = state.db.list_scans(&filter, page * size, size).await?;
    Ok(Json(ScanList {
        items: scans.iter().map(item).collect(),
        total,
        page,
        size,
    }))
}

#[utoipa::path(get, path = "/scans/{scanId}", tag = "scans", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("scanId" = i64, Path, description = "Scan id"), ScanLogQuery), responses((status = 200, body = ScanDetailView), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn detail(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
    TypedQuery(q): TypedQuery<ScanLogQuery>,
) -> Result<Json<ScanDetailView>, HttpError> {
    let not_found = || HttpError::not_found(format!("no scan with id '{id}'"));
    let scan_id: i64 = id.parse().map_err(|_| not_found())?;
    let scan = state.db.scan(scan_id).await?.ok_or_else(not_found)?;
    let levels: Option<Vec<String>> = param("level", &q.level)
        .text()
        .map(|l| l.split(',').map(|s| s.trim().to_lowercase()).collect());
    if let Some(bad) = levels
        .iter()
        .flatten()
        .find(|l| !["debug", "info", "warning", "error"].contains(&l.as_str()))
    {
        return Err(HttpError::bad_request(format!(
            "level '{bad}' is not one of debug, info, warning, error"
        )));
    }

    let mut logs: Vec<ScanLog> = serde_json::from_str::<Vec<Value>>(&scan.logs)
        .unwrap_or_default()
        .iter()
        .map(|log| ScanLog {
            index: log.get("index").and_then(Value::as_i64),
            level: log
                .get("level")
                .and_then(Value::as_str)
                .unwrap_or("info")
                .to_owned(),
            message: log
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            timestamp: log
                .get("timestamp")
                .and_then(Value::as_str)
                .map(str::to_owned),
            location: log.get("location").filter(|l| !l.is_null()).cloned(),
        })
        .filter(|log| levels.as_ref().is_none_or(|l| l.contains(&log.level)))
        .collect();
    if scan.has_errors {
        // Stable: errors keep their order among themselves, the rest too.
        logs.sort_by_key(|log| log.level != "error");
    }
    // A page of the log: a scan's log can run to thousands of lines, and every viewer of the
    // scan would otherwise get all of them.
    let log_offset = param("logOffset", &q.log_offset).int(0, 0, 1_000_000_000)?;
    let log_limit = param("logLimit", &q.log_limit).int(1000, 1, 5000)?;
    let logs_total = i64::try_from(logs.len()).unwrap_or(i64::MAX);
    let start = usize::try_from(log_offset)
        .unwrap_or(usize::MAX)
        .min(logs.len());
    let end = start
        .saturating_add(usize::try_from(log_limit).unwrap_or(0))
        .min(logs.len());
    let logs: Vec<ScanLog> = logs.drain(start..end).collect();

    let checks = state
        .db
        .scan_checks(scan_id)
        .await?
        .into_iter()
        .map(
            |(check_id, result_id, name, dataset, outcome, value, definition)| ScanCheck {
                check_id,
                result_id,
                name,
                dataset,
                outcome: outcome.as_deref().and_then(CheckOutcome::parse),
                value,
                unit: value_unit(&definition),
            },
        )
        .collect();
    let row = ScanRow {
        id: scan.id,
        definition: scan.definition_name.clone(),
        data_source: scan.data_source.clone(),
        data_timestamp: scan.data_timestamp,
        started: scan.started,
        ended: scan.ended,
        received_at: scan.received_at,
        counts: OutcomeCounts {
            pass: scan.pass_count,
            warn: scan.warn_count,
            fail: scan.fail_count,
            not_evaluated: scan.not_evaluated_count,
        },
        errors: scan.error_count,
        has_errors: scan.has_errors,
    };
    let contract = state
        .db
        .contract_of_scan(scan_id)
        .await?
        .map(|(file_id, contents)| VerifiedContract { file_id, contents });
    Ok(Json(ScanDetailView {
        scan: item(&row),
        checks,
        logs,
        logs_total,
        log_offset,
        contract,
    }))
}

/// Deletes a stored scan (editors); checks and datasets fall back to the remaining scans.
#[utoipa::path(delete, path = "/scans/{scanId}", tag = "scans", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("scanId" = i64, Path, description = "Scan id")), responses((status = 200, description = "Deleted; checks and datasets fall back to the remaining scans", body = ScanDeleted), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn delete(
    State(state): State<AppState>,
    EditorCaller(caller): EditorCaller,
    Path(id): Path<String>,
) -> Result<Json<ScanDeleted>, HttpError> {
    let not_found = || HttpError::not_found(format!("no scan with id '{id}'"));
    let scan_id: i64 = id.parse().map_err(|_| not_found())?;
    if !state.db.delete_scan(scan_id).await? {
        return Err(not_found());
    }
    tracing::info!(scan_id, by = ?caller.email.or(caller.api_key_id), "scan deleted");
    Ok(Json(ScanDeleted { id, deleted: true }))
}
