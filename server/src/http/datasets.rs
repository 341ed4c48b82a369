//! Seltzer's own dataset and sample endpoints, typed in `shared::api`:
//! - `GET /api/datasets`: every dataset with its status and checks by outcome;
//! - `GET /api/datasets/{id}`: status ("scan failed" with the failing scan's errors), checks
//!   by outcome, and health over time (outcome counts per scan);
//! - `GET /api/check-results/{id}/samples`: the failed rows of one check result.

use shared::api::ApiError;
use shared::api::{DatasetListQuery, PageQuery};
use std::collections::BTreeMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::Json;
use axum::extract::{Path, State};
use serde_json::Value;
use shared::api::{
    DatasetColumn, DatasetDetail, DatasetHealth, DatasetList, DatasetListItem, DatasetStatus,
    HealthPoint, OutcomeCounts, PublishedContract, SampleFile, Samples, ScanRef,
};

use super::auth::Caller;
use super::extract::{TypedQuery, paging, param};
use super::{AppState, HttpError};
use crate::storage::DatasetFilter;
use crate::timestamp;

/// Scans shown in a dataset's health chart.
const HEALTH_SCANS: i64 = 200;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(dataset))
        .routes(routes!(samples))
}

#[utoipa::path(get, path = "/datasets", tag = "datasets", security(("basic" = []), ("bearer" = []), ("session" = [])), params(DatasetListQuery, PageQuery), responses((status = 200, body = DatasetList), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError)))]
pub(super) async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    TypedQuery(q): TypedQuery<DatasetListQuery>,
    TypedQuery(p): TypedQuery<PageQuery>,
) -> Result<Json<DatasetList>, HttpError> {
    let filter = DatasetFilter {
        search: param("search", &q.search).search()?,
        data_source: param("dataSource", &q.data_source)
            .text()
            .map(str::to_owned),
        updated_since: None,
        health: param("health", &q.health)
            .text()
            .map(|h| {
                DatasetHealth::parse(h).ok_or_else(|| {
                    HttpError::bad_request(format!(
                        "health '{h}' is not one of scanFailed, failing, warning, healthy, notScanned"
                    ))
                })
            })
            .transpose()?,
    };
    let (page, size) = paging(&p, 100, 1, 500)?;
    let trend = param("trend", &q.trend);
    let trend = match trend.text() {
        Some(_) => Some(trend.int(20, 1, 100)?),
        None => None,
    };
    let (datasets, total) = state.db.list_datasets(&filter, page * size, size).await?;
    let mut recent = match trend {
        Some(n) => {
            let ids: Vec<i64> = datasets.iter().map(|d| d.id).collect();
            state.db.recent_fail_counts(&ids, n).await?
        }
        None => Default::default(),
    };
    let ids: Vec<i64> = datasets.iter().map(|d| d.id).collect();
    let open: std::collections::HashMap<i64, i64> = state
        .db
        .open_incidents_of_datasets(&ids)
        .await?
        .into_iter()
        .collect();
    let items = datasets
        .into_iter()
        .map(|d| {
            let status = status(d.last_scan_id.is_some(), d.last_scan_failed);
            let counts = OutcomeCounts {
                pass: d.passing,
                warn: d.warning,
                fail: d.failing,
                not_evaluated: (d.checks - d.passing - d.warning - d.failing).max(0),
            };
            DatasetListItem {
                id: d.id,
                name: d.name,
                data_source: d.data_source,
                status,
                health: DatasetHealth::of(status, &counts),
                last_scan_id: d.last_scan_id,
                last_scan_time: d.last_updated.map(timestamp::format),
                counts,
                open_incidents: open.get(&d.id).copied().unwrap_or(0),
                recent_failed: recent.remove(&d.id).unwrap_or_default(),
            }
        })
        .collect();
    Ok(Json(DatasetList {
        items,
        total,
        page,
        size,
    }))
}

#[utoipa::path(get, path = "/datasets/{datasetId}", tag = "datasets", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("datasetId" = i64, Path, description = "Dataset id")), responses((status = 200, body = DatasetDetail), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
pub(super) async fn dataset(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DatasetDetail>, HttpError> {
    let not_found = || HttpError::not_found(format!("no dataset with id '{id}'"));
    let dataset_id: i64 = id.parse().map_err(|_| not_found())?;
    let dataset = state.db.dataset(dataset_id).await?.ok_or_else(not_found)?;
    let (last_scan_id, last_scan_failed) = (dataset.last_scan_id, dataset.last_scan_failed);

    let last_scan = match last_scan_id {
        Some(scan_id) => state.db.scan_without_checks(scan_id).await?,
        None => None,
    };
    let scan_errors = match &last_scan {
        Some(scan) if last_scan_failed => serde_json::from_str::<Vec<Value>>(&scan.logs)
            .unwrap_or_default()
            .iter()
            .filter(|log| log.get("level").and_then(Value::as_str) == Some("error"))
            .filter_map(|log| {
                log.get("message")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .collect(),
        _ => Vec::new(),
    };
    let status = status(last_scan.is_some(), last_scan_failed);

    let counts = OutcomeCounts {
        pass: dataset.passing,
        warn: dataset.warning,
        fail: dataset.failing,
        not_evaluated: dataset.checks - dataset.passing - dataset.warning - dataset.failing,
    };

    // (data timestamp, scan id) -> point, oldest first.
    let mut by_scan: BTreeMap<(i64, i64), HealthPoint> = BTreeMap::new();
    for (scan_id, data_timestamp, outcome, n) in
        state.db.dataset_health(dataset_id, HEALTH_SCANS).await?
    {
        let point = by_scan
            .entry((data_timestamp, scan_id))
            .or_insert_with(|| HealthPoint {
                scan_id,
                data_timestamp: timestamp::format(data_timestamp),
                counts: OutcomeCounts::default(),
            });
        let counts = &mut point.counts;
        match outcome.as_deref() {
            Some("pass") => counts.pass += n,
            Some("warn") => counts.warn += n,
            Some("fail") => counts.fail += n,
            _ => counts.not_evaluated += n,
        }
    }

    let contract = state
        .db
        .published_contract(&dataset.data_source, &dataset.name)
        .await?
        .map(|(contents, at)| PublishedContract {
            contents,
            published_at: timestamp::format(at),
        });
    let columns = state
        .db
        .dataset_columns(dataset_id)
        .await?
        .into_iter()
        .map(|(name, source_type)| DatasetColumn { name, source_type })
        .collect();
    let open_incidents = state
        .db
        .open_incidents_of_datasets(&[dataset_id])
        .await?
        .first()
        .map_or(0, |(_, n)| *n);
    Ok(Json(DatasetDetail {
        id: dataset_id,
        name: dataset.name,
        data_source: dataset.data_source,
        status,
        health: DatasetHealth::of(status, &counts),
        last_scan: last_scan.map(|scan| ScanRef {
            id: scan.id,
            definition: scan.definition_name,
            data_timestamp: timestamp::format(scan.data_timestamp),
            ended: timestamp::format(scan.ended),
            has_errors: scan.has_errors,
        }),
        scan_errors,
        counts,
        health_by_scan: by_scan.into_values().collect(),
        open_incidents,
        contract,
        columns,
    }))
}

#[utoipa::path(get, path = "/check-results/{resultId}/samples", tag = "checks", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("resultId" = i64, Path, description = "Check result id")), responses((status = 200, body = Samples), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn samples(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Samples>, HttpError> {
    let not_found = || HttpError::not_found(format!("no check result with id '{id}'"));
    let result_id: i64 = id.parse().map_err(|_| not_found())?;
    if !state.db.check_result_exists(result_id).await? {
        return Err(not_found());
    }
    let files = state
        .db
        .samples_of_result(result_id)
        .await?
        .into_iter()
        .map(|(file_id, file_path, content, columns)| SampleFile {
            file_id,
            file_path,
            columns: columns
                .and_then(|c| serde_json::from_str(&c).ok())
                .unwrap_or(Value::Array(Vec::new())),
            // Lines were checked to be JSON on upload.
            rows: content
                .lines()
                .filter(|l| !l.trim().is_empty())
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect(),
        })
        .collect();
    Ok(Json(Samples {
        check_result_id: result_id,
        files,
    }))
}

/// Whether a dataset's latest scan worked, from its rollup.
fn status(scanned: bool, last_scan_failed: bool) -> DatasetStatus {
    match (scanned, last_scan_failed) {
        (false, _) => DatasetStatus::NotScanned,
        (true, true) => DatasetStatus::ScanFailed,
        (true, false) => DatasetStatus::Ok,
    }
}
