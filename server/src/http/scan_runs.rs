//! Runs over the API: one run (its state and the scan its results became), its log as it grows,
//! and cancelling it (editors) — a queued run at once, an executing one by ending its
//! processes; a finished run answers 400, as Soda Cloud's cancel does.

use axum::Json;
use axum::extract::{Path, State};
use shared::api::{ApiError, RunLogLine, RunLogQuery, RunLogs, RunOrigin, RunState, ScanRun};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Caller, EditorCaller};
use super::extract::{TypedQuery, param};
use super::{AppState, HttpError};
use crate::storage::RunRow;
use crate::timestamp;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(run))
        .routes(routes!(logs))
        .routes(routes!(cancel))
}

/// Who asked, as a run records it: a user's email, or the API key.
pub(super) fn actor(caller: &Caller) -> String {
    match (&caller.email, &caller.api_key_id) {
        (Some(email), _) => email.clone(),
        (None, Some(key)) => format!("API key {key}"),
        (None, None) => "Seltzer".to_owned(),
    }
}

pub(super) fn run_of(r: RunRow) -> ScanRun {
    ScanRun {
        id: r.id,
        definition: r.definition,
        version: r.version,
        origin: RunOrigin::parse(&r.origin).unwrap_or(RunOrigin::Manual),
        scheduled_for: r.scheduled_for.map(timestamp::format),
        data_timestamp: timestamp::format(r.data_timestamp),
        state: RunState::parse(&r.state).unwrap_or(RunState::Failed),
        attempt: r.attempt,
        exit_code: r.exit_code,
        error: r.error,
        scan_id: r.scan_id,
        requested_by: r.requested_by,
        created_at: timestamp::format(r.created_at),
        started_at: r.started_at.map(timestamp::format),
        ended_at: r.ended_at.map(timestamp::format),
    }
}

pub(super) async fn find_run(state: &AppState, id: &str) -> Result<RunRow, HttpError> {
    let not_found = || HttpError::not_found(format!("no scan run '{id}'"));
    let id: i64 = id.parse().map_err(|_| not_found())?;
    state.db.run(id).await?.ok_or_else(not_found)
}

#[utoipa::path(get, path = "/scan-runs/{id}", tag = "runs", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("id" = i64, Path, description = "Run id")), responses((status = 200, body = ScanRun), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn run(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ScanRun>, HttpError> {
    Ok(Json(run_of(find_run(&state, &id).await?)))
}

#[utoipa::path(get, path = "/scan-runs/{id}/logs", tag = "runs", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("id" = i64, Path, description = "Run id"), RunLogQuery), responses((status = 200, description = "The lines after `after`; ask again with `next` while not `finished`", body = RunLogs), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn logs(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
    TypedQuery(q): TypedQuery<RunLogQuery>,
) -> Result<Json<RunLogs>, HttpError> {
    let after = param("after", &q.after).int(0, 0, i64::MAX)?;
    let limit = param("limit", &q.limit).int(1000, 1, 5000)?;
    // The state first: a run that is over has all its lines stored by then.
    let run = find_run(&state, &id).await?;
    let finished = RunState::parse(&run.state).is_none_or(RunState::is_final);
    let rows = state.db.run_logs(run.id, after, limit).await?;
    let next = rows.last().map_or(after, |r| r.seq);
    let complete = rows.len() < usize::try_from(limit).unwrap_or(usize::MAX);
    Ok(Json(RunLogs {
        run_id: run.id,
        lines: rows
            .into_iter()
            .map(|r| RunLogLine {
                seq: r.seq,
                at: timestamp::format(r.at),
                stream: r.stream,
                line: r.line,
            })
            .collect(),
        next,
        finished: finished && complete,
    }))
}

#[utoipa::path(post, path = "/scan-runs/{id}/cancel", tag = "runs", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("id" = i64, Path, description = "Run id")), responses((status = 200, description = "Canceled (queued), or cancelationRequested (executing: its processes are being ended) (editor)", body = ScanRun), (status = 400, description = "The run is over", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn cancel(
    State(state): State<AppState>,
    _editor: EditorCaller,
    Path(id): Path<String>,
) -> Result<Json<ScanRun>, HttpError> {
    let run = cancel_run(&state, &id).await?;
    Ok(Json(run_of(run)))
}

/// Cancels run `id`: a 400 when it is over.
pub(super) async fn cancel_run(state: &AppState, id: &str) -> Result<RunRow, HttpError> {
    let run = find_run(state, id).await?;
    if RunState::parse(&run.state).is_none_or(RunState::is_final) {
        return Err(HttpError::bad_request(format!(
            "scan run {} is over ({}): there is nothing to cancel",
            run.id, run.state
        )));
    }
    state.db.cancel_run(run.id).await?;
    state.wake_runner.notify_one();
    find_run(state, id).await
}
