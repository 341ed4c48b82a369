//! Runs over the API: one run (its state and the scan its results became), its log as it grows,
//! and cancelling it (editors) — a queued run at once, an executing one by ending its
//! processes; a finished run answers 400, as Soda Cloud's cancel does.

use axum::Json;
use axum::extract::{Path, State};
use std::collections::HashMap;

use shared::api::{
    ApiError, ChangeKind, CheckChange, CheckOutcome, CompareQuery, DryRunCheck, NewScanDefinition,
    RunComparison, RunLogLine, RunLogQuery, RunLogs, RunOrigin, RunState, ScanRun,
};
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
        .routes(routes!(compare))
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
        outcomes: r
            .outcomes
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok()),
        agent: r.agent,
        // An agent's worker names itself; a Seltzer process's is its pid and a suffix.
        runner: r.worker.map(|w| {
            if w.starts_with("agent ") {
                w
            } else {
                format!("Seltzer process {w}")
            }
        }),
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

#[utoipa::path(get, path = "/scan-runs/{id}/compare", tag = "runs", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("id" = i64, Path, description = "Run id"), CompareQuery), responses((status = 200, description = "The two runs side by side, the earlier first", body = RunComparison), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn compare(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
    TypedQuery(q): TypedQuery<CompareQuery>,
) -> Result<Json<RunComparison>, HttpError> {
    let one = find_run(&state, &id).await?;
    let other = q
        .with
        .as_deref()
        .ok_or_else(|| HttpError::bad_request("with: the id of the run to compare with"))?;
    let other = find_run(&state, other).await?;
    if one.definition_id != other.definition_id {
        return Err(HttpError::bad_request(format!(
            "with: run {} is of '{}', run {} of '{}': compare runs of one definition",
            other.id, other.definition, one.id, one.definition
        )));
    }
    let (before, after) = if one.id <= other.id {
        (one, other)
    } else {
        (other, one)
    };
    let (old, new) = (
        checks_of(&state, &before).await?,
        checks_of(&state, &after).await?,
    );
    let checks_diff = match (
        ran_checks(&state, &before).await?,
        ran_checks(&state, &after).await?,
    ) {
        (Some(a), Some(b)) if a != b => {
            let header = (label(&before), label(&after));
            // Off the request threads, and bounded: a diff of two large, very different files
            // settles for a coarser answer after a second.
            tokio::task::spawn_blocking(move || {
                similar::TextDiff::configure()
                    .timeout(std::time::Duration::from_secs(1))
                    .diff_lines(&a, &b)
                    .unified_diff()
                    .header(&header.0, &header.1)
                    .to_string()
            })
            .await
            .unwrap_or_default()
        }
        _ => String::new(),
    };
    Ok(Json(RunComparison {
        checks: changes(old, new),
        checks_diff,
        before: run_of(before),
        after: run_of(after),
    }))
}

/// How a run's checks are named in a diff's header.
fn label(run: &RunRow) -> String {
    if run.is_dry_run() {
        format!("run {} (dry run)", run.id)
    } else if run.checks.is_some() {
        format!("run {} (uploaded contract)", run.id)
    } else {
        format!("run {} (version {})", run.id, run.version)
    }
}

/// A check of a run: (dataset, name, outcome, value).
type Side = (Option<String>, String, Option<CheckOutcome>, Option<f64>);

/// What a run's checks came to: a dry run's outcomes, or its stored scan's results.
async fn checks_of(state: &AppState, run: &RunRow) -> Result<Vec<Side>, HttpError> {
    if run.is_dry_run() {
        let checks: Vec<DryRunCheck> = run
            .outcomes
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default();
        return Ok(checks
            .into_iter()
            .map(|c| (c.dataset, c.name, c.outcome, c.value))
            .collect());
    }
    let Some(scan_id) = run.scan_id else {
        return Ok(Vec::new());
    };
    Ok(state
        .db
        .scan_checks(scan_id)
        .await?
        .into_iter()
        .map(|(_, _, name, dataset, outcome, value, _)| {
            (
                dataset,
                name,
                outcome.as_deref().and_then(CheckOutcome::parse),
                value,
            )
        })
        .collect())
}

/// The checks file or contract a run ran: a dry run's own, else its version's.
async fn ran_checks(state: &AppState, run: &RunRow) -> Result<Option<String>, HttpError> {
    if let Some(checks) = &run.checks {
        return Ok(Some(checks.clone()));
    }
    Ok(state
        .db
        .definition_version(run.definition_id, run.version)
        .await?
        .and_then(|(_, _, body)| serde_json::from_str::<NewScanDefinition>(&body).ok())
        .map(|d| d.checks))
}

/// The checks of two runs matched by dataset and name (the n-th of a repeated name with the
/// n-th), changed ones first.
fn changes(before: Vec<Side>, after: Vec<Side>) -> Vec<CheckChange> {
    type Key = (Option<String>, String, usize);
    fn keyed(side: Vec<Side>) -> Vec<(Key, Option<CheckOutcome>, Option<f64>)> {
        let mut seen: HashMap<(Option<String>, String), usize> = HashMap::new();
        side.into_iter()
            .map(|(dataset, name, outcome, value)| {
                let n = seen.entry((dataset.clone(), name.clone())).or_default();
                *n += 1;
                ((dataset, name, *n), outcome, value)
            })
            .collect()
    }
    let mut later: HashMap<Key, (Option<CheckOutcome>, Option<f64>)> = keyed(after.clone())
        .into_iter()
        .map(|(k, o, v)| (k, (o, v)))
        .collect();
    let mut list = Vec::new();
    for ((dataset, name, n), before_outcome, before_value) in keyed(before) {
        let found = later.remove(&(dataset.clone(), name.clone(), n));
        let (after_outcome, after_value) = found.unwrap_or((None, None));
        let change = if found.is_none() {
            ChangeKind::Removed
        } else if before_outcome != after_outcome {
            ChangeKind::Outcome
        } else if before_value != after_value {
            ChangeKind::Value
        } else {
            ChangeKind::Same
        };
        list.push(CheckChange {
            name,
            dataset,
            change,
            before_outcome,
            after_outcome,
            before_value,
            after_value,
            delta: before_value.zip(after_value).map(|(b, a)| a - b),
        });
    }
    // What only the later run has, in its order.
    for ((dataset, name, n), after_outcome, after_value) in keyed(after) {
        if later.remove(&(dataset.clone(), name.clone(), n)).is_some() {
            list.push(CheckChange {
                name,
                dataset,
                change: ChangeKind::Added,
                before_outcome: None,
                after_outcome,
                before_value: None,
                after_value,
                delta: None,
            });
        }
    }
    list.sort_by_key(|c| c.change as u8);
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, outcome: CheckOutcome, value: f64) -> Side {
        (
            Some("orders".to_owned()),
            name.to_owned(),
            Some(outcome),
            Some(value),
        )
    }

    #[test]
    fn checks_are_matched_by_dataset_and_name_and_changes_come_first() {
        use CheckOutcome::{Fail, Pass};
        let before = vec![
            check("row_count > 0", Pass, 10.0),
            check("dupes = 0", Pass, 0.0),
            check("dupes = 0", Pass, 0.0),
            check("gone", Pass, 1.0),
            check("steady", Pass, 5.0),
        ];
        let after = vec![
            check("steady", Pass, 5.0),
            check("row_count > 0", Pass, 12.0),
            check("dupes = 0", Pass, 0.0),
            check("dupes = 0", Fail, 3.0),
            check("new", Fail, 0.0),
        ];
        let list = changes(before, after);
        let got: Vec<(&str, &str, Option<f64>)> = list
            .iter()
            .map(|c| (c.change.as_str(), c.name.as_str(), c.delta))
            .collect();
        assert_eq!(
            got,
            [
                ("removed", "gone", None),
                ("added", "new", None),
                ("outcome", "dupes = 0", Some(3.0)),
                ("value", "row_count > 0", Some(2.0)),
                ("same", "dupes = 0", Some(0.0)),
                ("same", "steady", Some(0.0)),
            ]
        );
    }
}
