//! Agents: registering them (admins; the key is shown once), and the protocol a `seltzer
//! agent` follows with its key — claim a run of a data source naming it, send heartbeats and
//! log lines while it runs, finish it. The job and the end are made by the runner's own
//! functions (`runner::job`), so a run on an agent is judged, logged and told exactly as one
//! in a Seltzer process.

use axum::Json;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use shared::api::{
    AgentFinish, AgentHeartbeat, AgentHello, AgentInfo, AgentJob, AgentKey, AgentLogs,
    AgentRunState, ApiError, ErrorCode, NewAgent, Removed, RunState,
};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

use super::auth::{AdminCaller, Caller};
use super::extract::JsonBody;
use super::{AppState, HttpError};
use crate::runner::job::{self, Ended};
use crate::runner::process::MAX_LINE;
use crate::secrets;
use crate::storage::{AGENT_KEY_PREFIX, AgentDeletion, RunRow};
use crate::timestamp;

/// An agent is online when heard from within this long.
const ONLINE_MS: i64 = 60_000;
/// Log lines per request.
const MAX_LOG_LINES: usize = 1_000;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_agents, create_agent))
        .routes(routes!(delete_agent))
        .routes(routes!(new_key))
        .routes(limited(routes!(claim), 64 * 1024))
        .routes(limited(routes!(heartbeat), 64 * 1024))
        .routes(limited(routes!(finish), 64 * 1024))
        .routes(limited(routes!(logs), 2 * 1024 * 1024))
}

/// The route with a body limit: the protocol's requests are small, log batches bounded.
fn limited(route: UtoipaMethodRouter<AppState>, bytes: usize) -> UtoipaMethodRouter<AppState> {
    let (schemas, paths, router) = route;
    (schemas, paths, router.layer(DefaultBodyLimit::max(bytes)))
}

fn conflict(message: impl Into<String>) -> HttpError {
    HttpError::new(ErrorCode::Conflict, message)
}

fn agent_info(row: crate::storage::AgentRow, now: i64) -> AgentInfo {
    AgentInfo {
        online: row.last_seen_at.is_some_and(|t| now - t < ONLINE_MS),
        last_seen_at: row.last_seen_at.map(timestamp::format),
        name: row.name,
        created_at: timestamp::format(row.created_at),
        created_by: row.created_by,
        host: row.last_host,
        version: row.last_version,
        data_sources: row.data_sources,
        executing: row.executing,
    }
}

#[utoipa::path(get, path = "/agents", tag = "agents", security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 200, description = "Registered agents, by name", body = Vec<AgentInfo>), (status = 401, description = "No or wrong credentials", body = ApiError)))]
async fn list_agents(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Vec<AgentInfo>>, HttpError> {
    let now = timestamp::now();
    let rows = state.db.agents().await?;
    Ok(Json(rows.into_iter().map(|r| agent_info(r, now)).collect()))
}

#[utoipa::path(post, path = "/agents", tag = "agents", request_body = NewAgent, security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 201, description = "Registered (admin); the key is shown this once", body = AgentKey), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 409, description = "The name is taken", body = ApiError), (status = 413, description = "The body is too large", body = ApiError), (status = 415, description = "Not JSON (Content-Type: application/json)", body = ApiError)))]
async fn create_agent(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
    JsonBody(new): JsonBody<NewAgent>,
) -> Result<(StatusCode, Json<AgentKey>), HttpError> {
    if !secrets::valid_name(&new.name) {
        return Err(HttpError::bad_request(format!(
            "name: '{}' must be 1 to 100 letters, digits, '_' or '-'",
            new.name
        )));
    }
    let key = state
        .db
        .create_agent(&new.name, &admin.actor())
        .await?
        .ok_or_else(|| {
            conflict(format!(
                "an agent '{}' exists; POST /api/agents/{}/key gives it a new key",
                new.name, new.name
            ))
        })?;
    Ok((
        StatusCode::CREATED,
        Json(AgentKey {
            name: new.name,
            key,
        }),
    ))
}

#[utoipa::path(post, path = "/agents/{name}/key", tag = "agents", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("name" = String, Path, description = "Agent name")), responses((status = 200, description = "A new key (admin), shown this once; the old one stops working", body = AgentKey), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn new_key(
    State(state): State<AppState>,
    _admin: AdminCaller,
    Path(name): Path<String>,
) -> Result<Json<AgentKey>, HttpError> {
    let key = state
        .db
        .rotate_agent_key(&name)
        .await?
        .ok_or_else(|| HttpError::not_found(format!("no agent '{name}'")))?;
    Ok(Json(AgentKey { name, key }))
}

#[utoipa::path(delete, path = "/agents/{name}", tag = "agents", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("name" = String, Path, description = "Agent name")), responses((status = 200, description = "Removed (admin); its key stops working", body = Removed), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError), (status = 409, description = "Data sources name it", body = ApiError)))]
async fn delete_agent(
    State(state): State<AppState>,
    _admin: AdminCaller,
    Path(name): Path<String>,
) -> Result<Json<Removed>, HttpError> {
    match state.db.delete_agent(&name).await? {
        AgentDeletion::Deleted => Ok(Json(Removed {
            name,
            removed: true,
        })),
        AgentDeletion::NotFound => Err(HttpError::not_found(format!("no agent '{name}'"))),
        AgentDeletion::InUse(sources) => Err(conflict(format!(
            "data sources run on agent '{name}': {}; give them another agent or none first",
            sources.join(", ")
        ))),
    }
}

/// An agent, known by its key (`Authorization: Bearer seltzer-agent-…`).
struct AgentCaller {
    name: String,
}

impl FromRequestParts<AppState> for AgentCaller {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, HttpError> {
        let unauthorized = |m: &str| HttpError::new(ErrorCode::Unauthorized, m);
        let key = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|k| k.starts_with(AGENT_KEY_PREFIX))
            .ok_or_else(|| {
                unauthorized("send the agent's key: Authorization: Bearer seltzer-agent-…")
            })?;
        let name =
            state.db.authenticate_agent(key).await?.ok_or_else(|| {
                unauthorized("unknown agent key (deleted, or replaced by a new one)")
            })?;
        Ok(Self { name })
    }
}

impl AgentCaller {
    /// The worker an instance of this agent holds runs as.
    fn worker(&self, instance: &str) -> Result<String, HttpError> {
        let valid = (1..=64).contains(&instance.len())
            && instance
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid {
            return Err(HttpError::bad_request(
                "instance must be 1 to 64 letters, digits, '-', '_' or '.'",
            ));
        }
        Ok(format!("agent {}/{instance}", self.name))
    }

    /// Run `id` when this worker holds its attempt `attempt`, else a 409 (404 for no such run).
    async fn held_run(
        &self,
        state: &AppState,
        (id, attempt): (i64, i64),
        worker: &str,
    ) -> Result<RunRow, HttpError> {
        let run = state
            .db
            .run(id)
            .await?
            .ok_or_else(|| HttpError::not_found(format!("no scan run {id}")))?;
        let executing = matches!(
            RunState::parse(&run.state),
            Some(RunState::Executing | RunState::CancelationRequested)
        );
        if !executing || run.worker.as_deref() != Some(worker) || run.attempt != attempt {
            return Err(not_held(id, &run.state));
        }
        Ok(run)
    }
}

fn not_held(id: i64, state: &str) -> HttpError {
    conflict(format!(
        "scan run {id} is not this agent's now ({state}): it was taken over or ended; stop it"
    ))
}

fn check_text(field: &str, value: Option<&str>, max: usize) -> Result<(), HttpError> {
    match value {
        Some(v) if v.len() > max => Err(HttpError::bad_request(format!(
            "{field} is limited to {max} bytes"
        ))),
        _ => Ok(()),
    }
}

#[utoipa::path(post, path = "/agent/claim", tag = "agents", request_body = AgentHello, security(("bearer" = [])), responses((status = 200, description = "A run to execute, now this agent instance's", body = AgentJob), (status = 204, description = "Nothing to run now; ask again later"), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong agent key", body = ApiError), (status = 413, description = "The body is too large", body = ApiError), (status = 415, description = "Not JSON (Content-Type: application/json)", body = ApiError)))]
async fn claim(
    State(state): State<AppState>,
    agent: AgentCaller,
    JsonBody(hello): JsonBody<AgentHello>,
) -> Result<Response, HttpError> {
    let worker = agent.worker(&hello.instance)?;
    check_text("host", hello.host.as_deref(), 200)?;
    check_text("version", hello.version.as_deref(), 200)?;
    state
        .db
        .agent_seen(&agent.name, hello.host.as_deref(), hello.version.as_deref())
        .await?;
    let lease_ms = state.run_lease_ms;
    let Some(run) = state
        .db
        .claim_run(&worker, timestamp::now() + lease_ms, Some(&agent.name))
        .await?
    else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let on = format!(
        "agent '{}' ({})",
        agent.name,
        hello.host.as_deref().unwrap_or(&hello.instance)
    );
    let claimer = job::Claimer {
        worker: &worker,
        agent: Some(&agent.name),
        on: &on,
    };
    match job::job_for(
        &state.db,
        state.secret_key.as_ref(),
        &run,
        claimer,
        lease_ms,
    )
    .await?
    {
        Ok(job) => Ok(Json(job).into_response()),
        Err(refused) => {
            // It cannot run anywhere: ended here, and told.
            job::finish(
                &state.db,
                (run.id, run.attempt),
                &worker,
                Ended::failed(refused),
                None,
            )
            .await?;
            state.wake_sender.notify_one();
            Ok(StatusCode::NO_CONTENT.into_response())
        }
    }
}

#[utoipa::path(post, path = "/agent/runs/{id}/heartbeat", tag = "agents", request_body = AgentHeartbeat, security(("bearer" = [])), params(("id" = i64, Path, description = "Run id")), responses((status = 200, description = "The lease renewed; `cancelationRequested` asks the agent to end the scan", body = AgentRunState), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong agent key", body = ApiError), (status = 409, description = "Not this agent's run any more: stop it", body = ApiError), (status = 413, description = "The body is too large", body = ApiError), (status = 415, description = "Not JSON (Content-Type: application/json)", body = ApiError)))]
async fn heartbeat(
    State(state): State<AppState>,
    agent: AgentCaller,
    Path(id): Path<i64>,
    JsonBody(beat): JsonBody<AgentHeartbeat>,
) -> Result<Json<AgentRunState>, HttpError> {
    let worker = agent.worker(&beat.instance)?;
    state.db.agent_seen(&agent.name, None, None).await?;
    match state
        .db
        .renew_lease(
            id,
            &worker,
            beat.attempt,
            timestamp::now() + state.run_lease_ms,
        )
        .await?
    {
        Some(run_state) => Ok(Json(AgentRunState { state: run_state })),
        None => {
            let now = state.db.run(id).await?;
            Err(now.map_or_else(
                || HttpError::not_found(format!("no scan run {id}")),
                |r| not_held(id, &r.state),
            ))
        }
    }
}

#[utoipa::path(post, path = "/agent/runs/{id}/logs", tag = "agents", request_body = AgentLogs, security(("bearer" = [])), params(("id" = i64, Path, description = "Run id")), responses((status = 200, description = "Appended to the run's log", body = AgentRunState), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong agent key", body = ApiError), (status = 404, description = "No such object", body = ApiError), (status = 409, description = "Not this agent's run any more: stop it", body = ApiError), (status = 413, description = "The body is too large", body = ApiError), (status = 415, description = "Not JSON (Content-Type: application/json)", body = ApiError)))]
async fn logs(
    State(state): State<AppState>,
    agent: AgentCaller,
    Path(id): Path<i64>,
    JsonBody(logs): JsonBody<AgentLogs>,
) -> Result<Json<AgentRunState>, HttpError> {
    let worker = agent.worker(&logs.instance)?;
    if logs.lines.len() > MAX_LOG_LINES {
        return Err(HttpError::bad_request(format!(
            "lines: at most {MAX_LOG_LINES} per request"
        )));
    }
    let now = timestamp::now();
    let mut lines = Vec::with_capacity(logs.lines.len());
    for (i, l) in logs.lines.into_iter().enumerate() {
        if !matches!(l.stream.as_str(), "stdout" | "stderr" | "seltzer") {
            return Err(HttpError::bad_request(format!(
                "lines[{i}].stream must be stdout, stderr or seltzer"
            )));
        }
        // The agent's clock, unless it is a day off.
        let at = if (l.at - now).abs() < 86_400_000 {
            l.at
        } else {
            now
        };
        lines.push((at, l.stream, l.line.chars().take(MAX_LINE).collect()));
    }
    let run = agent.held_run(&state, (id, logs.attempt), &worker).await?;
    state.db.append_run_logs(id, &lines).await?;
    Ok(Json(AgentRunState {
        state: RunState::parse(&run.state).unwrap_or(RunState::Executing),
    }))
}

#[utoipa::path(post, path = "/agent/runs/{id}/finish", tag = "agents", request_body = AgentFinish, security(("bearer" = [])), params(("id" = i64, Path, description = "Run id")), responses((status = 200, description = "Ended; the state judged from the results Soda Core stored", body = AgentRunState), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong agent key", body = ApiError), (status = 404, description = "No such object", body = ApiError), (status = 409, description = "Not this agent's run any more", body = ApiError), (status = 413, description = "The body is too large", body = ApiError), (status = 415, description = "Not JSON (Content-Type: application/json)", body = ApiError)))]
async fn finish(
    State(state): State<AppState>,
    agent: AgentCaller,
    Path(id): Path<i64>,
    JsonBody(end): JsonBody<AgentFinish>,
) -> Result<Json<AgentRunState>, HttpError> {
    let worker = agent.worker(&end.instance)?;
    if !matches!(
        end.state,
        RunState::Completed | RunState::Failed | RunState::TimedOut | RunState::Canceled
    ) {
        return Err(HttpError::bad_request(
            "state must be completed (the process exited), failed, timedOut or canceled",
        ));
    }
    check_text("error", end.error.as_deref(), 4096)?;
    agent.held_run(&state, (id, end.attempt), &worker).await?;
    let ended = Ended {
        state: end.state,
        exit_code: end.exit_code,
        error: end.error,
    };
    let ended_in = job::finish(
        &state.db,
        (id, end.attempt),
        &worker,
        ended,
        Some(&end.api_key_id),
    )
    .await?;
    // A run that failed is told.
    state.wake_sender.notify_one();
    match ended_in {
        Some(run_state) => Ok(Json(AgentRunState { state: run_state })),
        None => Err(not_held(id, "ended")),
    }
}
