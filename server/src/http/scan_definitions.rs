//! Scan definitions over the API (editors write, everyone reads): checked against their data
//! source and engine, kept with their versions and schedules; their runs (run now, dry runs)
//! and agreements (stakeholders' approvals).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use std::collections::HashMap;

use shared::api::{
    ApiError, Approval, ApprovalRequest, DryRunRequest, Engine, NewScanDefinition, PageQuery,
    Removed, Role, RunOrigin, ScanDefinitionInfo, ScanDefinitionVersion, ScanRun, ScanRunList,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Caller, EditorCaller};
use super::data_sources::MAX_TEXT;
use super::extract::{JsonBody, TypedQuery, page_and_size};
use super::scan_runs::run_of;
use super::secrets::check_name;
use super::{AppState, HttpError};
use crate::schedule::Schedule;
use crate::storage::{DataSourceRow, DefinitionInput, DefinitionRow, NewRun, RunRow};
use crate::timestamp;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_definitions, create_definition))
        .routes(routes!(definition, update_definition, delete_definition))
        .routes(routes!(versions))
        .routes(routes!(runs, run_now))
        .routes(routes!(dry_run))
        .routes(routes!(approve))
}

struct Checked {
    data_source_id: i64,
    stakeholders: Vec<String>,
    schedule: Option<Schedule>,
    timeout_seconds: i64,
    max_attempts: i64,
}

/// A 400 naming the line unless `checks` is a valid checks file (v3) or contract (v4) for
/// definition `new` on `data_source`, and the data source can run that engine.
fn check_checks(
    new: &NewScanDefinition,
    data_source: &DataSourceRow,
    checks: &str,
) -> Result<(), HttpError> {
    if checks.trim().is_empty() || checks.len() > MAX_TEXT {
        return Err(HttpError::bad_request("checks: 1 byte to 1 MiB of YAML"));
    }
    if new.engine == Engine::V3 {
        // The checks file as the browser's editor and `seltzer validate` read it: errors are
        // refused here, not at 3 a.m. when the schedule fires.
        let options = shared::sodacl::Options {
            file_name: "checks.yml".to_owned(),
            data_source: new.data_source.clone(),
            now: timestamp::format_offset(timestamp::now()),
            variables: new.variables.clone(),
            file_exists: None,
        };
        let report = shared::sodacl::parse(checks, &options);
        if let Some(error) = report
            .diagnostics()
            .into_iter()
            .find(|d| d.severity == shared::sodacl::Severity::Error)
        {
            return Err(HttpError::bad_request(format!(
                "checks: line {}: {}",
                error.line, error.message
            )));
        }
        if data_source.configuration.trim().is_empty() {
            return Err(HttpError::bad_request(format!(
                "dataSource: '{}' has no Soda Core 3 configuration (its `configuration`) for \
                 engine v3",
                new.data_source
            )));
        }
    } else {
        // Soda Core 4 finds the contract's data source by the name its `dataset:` starts
        // with: it must be this definition's.
        let (source, _) = crate::soda::contract_results::contract_dataset(checks)
            .map_err(|e| HttpError::bad_request(format!("checks: {e}")))?;
        if source != new.data_source {
            return Err(HttpError::bad_request(format!(
                "checks: the contract's dataset is on data source '{source}', the definition \
                 runs on '{}'",
                new.data_source
            )));
        }
        // Soda Core 4 refuses a contract without it ("missing the required 'columns'
        // property"): say so now, not when the schedule fires.
        let has_columns = yaml_rust2::YamlLoader::load_from_str(checks)
            .ok()
            .and_then(|docs| docs.into_iter().next())
            .is_some_and(|doc| !doc["columns"].is_badvalue());
        if !has_columns {
            return Err(HttpError::bad_request(
                "checks: the contract has no `columns:` list (Soda Core 4 requires one)",
            ));
        }
        if data_source.configuration_v4.is_none() {
            return Err(HttpError::bad_request(format!(
                "dataSource: '{}' has no Soda Core 4 configuration (its `configurationV4`) for \
                 engine v4",
                new.data_source
            )));
        }
    }
    Ok(())
}

/// `check_checks` for checks run once on definition `row` instead of its own (a dry run, a
/// contract uploaded to verify on the runner).
pub(super) async fn check_checks_of(
    state: &AppState,
    row: &DefinitionRow,
    checks: &str,
) -> Result<(), HttpError> {
    let data_source = state
        .db
        .configured_data_source(&row.data_source)
        .await?
        .ok_or_else(|| {
            HttpError::bad_request(format!(
                "the data source '{}' has no configuration",
                row.data_source
            ))
        })?;
    check_checks(&definition_of(row), &data_source, checks)
}

async fn check_definition(state: &AppState, new: &NewScanDefinition) -> Result<Checked, HttpError> {
    if new.name.trim().is_empty() || new.name.len() > 200 || new.name.contains(['/', '\n']) {
        return Err(HttpError::bad_request(
            "name: 1 to 200 characters, without '/' or line breaks",
        ));
    }
    let Some(data_source) = state.db.configured_data_source(&new.data_source).await? else {
        return Err(HttpError::bad_request(format!(
            "dataSource: '{}' is not a configured data source (POST /api/data-sources first)",
            new.data_source
        )));
    };
    check_checks(new, &data_source, &new.checks)?;
    for name in new.variables.keys() {
        check_name("variables", name)?;
    }
    if new.stakeholders.len() > 20 {
        return Err(HttpError::bad_request("stakeholders: at most 20"));
    }
    // As the users' emails are stored: approvals compare with the signed-in user's.
    let mut stakeholders: Vec<String> = Vec::new();
    for email in &new.stakeholders {
        let Some(stored) = state.db.active_user(email).await? else {
            return Err(HttpError::bad_request(format!(
                "stakeholders: '{email}' is not an enabled user of this Seltzer"
            )));
        };
        if !stakeholders.contains(&stored) {
            stakeholders.push(stored);
        }
    }
    let schedule = new
        .schedule
        .as_ref()
        .map(|s| Schedule::parse(&s.cron, s.timezone.as_deref()))
        .transpose()
        .map_err(HttpError::bad_request)?;
    let timeout_seconds = new
        .timeout_seconds
        .unwrap_or(NewScanDefinition::DEFAULT_TIMEOUT_SECONDS);
    if !(1..=86_400).contains(&timeout_seconds) {
        return Err(HttpError::bad_request("timeoutSeconds must be 1 to 86400"));
    }
    let max_attempts = new.max_attempts.unwrap_or(1);
    if !(1..=10).contains(&max_attempts) {
        return Err(HttpError::bad_request("maxAttempts must be 1 to 10"));
    }
    Ok(Checked {
        data_source_id: data_source.id,
        stakeholders,
        schedule,
        timeout_seconds,
        max_attempts,
    })
}

async fn info(state: &AppState, row: DefinitionRow) -> Result<ScanDefinitionInfo, HttpError> {
    let (last, _) = state.db.runs_of(row.id, 0, 1).await?;
    let approvals = state.db.approvals(row.id, row.version).await?;
    Ok(info_with(&row, last.into_iter().next(), approvals))
}

/// A definition as the API shows it, with its newest run and the `(approver, approved_at)`
/// of its current version.
fn info_with(
    row: &DefinitionRow,
    last: Option<RunRow>,
    approvals: Vec<(String, timestamp::EpochMillis)>,
) -> ScanDefinitionInfo {
    let awaiting_approval = row.awaiting(&approvals);
    let schedule = match (&row.cron, row.paused) {
        (Some(cron), false) => Schedule::parse(cron, row.timezone.as_deref()).ok(),
        _ => None,
    };
    let next_fire_times = schedule
        .map(|s| s.next_n(timestamp::now(), 5))
        .unwrap_or_default()
        .into_iter()
        .map(timestamp::format)
        .collect();
    ScanDefinitionInfo {
        id: row.id,
        definition: definition_of(row),
        version: row.version,
        next_fire_times,
        created_at: timestamp::format(row.configured_at),
        updated_at: timestamp::format(row.updated_at),
        last_run: last.map(run_of),
        approvals: approvals
            .into_iter()
            .map(|(approver, at)| Approval {
                approver,
                version: row.version,
                approved_at: timestamp::format(at),
            })
            .collect(),
        awaiting_approval,
    }
}

fn definition_of(row: &DefinitionRow) -> NewScanDefinition {
    NewScanDefinition {
        name: row.name.clone(),
        data_source: row.data_source.clone(),
        engine: Engine::parse(&row.engine).unwrap_or_default(),
        checks: row.checks.clone(),
        variables: serde_json::from_str(&row.variables).unwrap_or_default(),
        schedule: row.cron.clone().map(|cron| shared::api::ScanSchedule {
            cron,
            timezone: row.timezone.clone(),
        }),
        timeout_seconds: Some(row.timeout_seconds),
        max_attempts: Some(row.max_attempts),
        paused: row.paused,
        stakeholders: row.stakeholders.clone(),
    }
}

async fn find(state: &AppState, name: &str) -> Result<DefinitionRow, HttpError> {
    state
        .db
        .definition(name)
        .await?
        .ok_or_else(|| HttpError::not_found(format!("no scan definition '{name}' is configured")))
}

/// What is stored of a checked definition.
fn input<'a>(
    new: &'a NewScanDefinition,
    checked: &'a Checked,
    author: &'a str,
) -> DefinitionInput<'a> {
    let schedule = new.schedule.as_ref();
    let next_fire_at = checked
        .schedule
        .as_ref()
        .and_then(|s| s.next_after(timestamp::now()));
    DefinitionInput {
        name: &new.name,
        data_source_id: checked.data_source_id,
        engine: new.engine.as_str(),
        checks: &new.checks,
        variables: serde_json::to_string(&new.variables).unwrap_or_else(|_| "{}".to_owned()),
        cron: schedule.map(|s| s.cron.as_str()),
        timezone: schedule.and_then(|s| s.timezone.as_deref()),
        timeout_seconds: checked.timeout_seconds,
        max_attempts: checked.max_attempts,
        paused: new.paused,
        next_fire_at,
        stakeholders: &checked.stakeholders,
        body: serde_json::to_string(&NewScanDefinition {
            timeout_seconds: Some(checked.timeout_seconds),
            max_attempts: Some(checked.max_attempts),
            stakeholders: checked.stakeholders.clone(),
            ..new.clone()
        })
        .unwrap_or_default(),
        author,
    }
}

#[utoipa::path(get, path = "/scan-definitions", tag = "runs", security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 200, description = "Configured scan definitions, by name", body = Vec<ScanDefinitionInfo>), (status = 401, description = "No or wrong credentials", body = ApiError)))]
async fn list_definitions(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Vec<ScanDefinitionInfo>>, HttpError> {
    let mut latest = state.db.latest_runs().await?;
    let mut approvals: HashMap<i64, Vec<(String, timestamp::EpochMillis)>> = HashMap::new();
    for (id, approver, at) in state.db.current_approvals().await? {
        approvals.entry(id).or_default().push((approver, at));
    }
    let list = state
        .db
        .definitions()
        .await?
        .into_iter()
        .map(|row| {
            let last = latest.remove(&row.id);
            let approvals = approvals.remove(&row.id).unwrap_or_default();
            info_with(&row, last, approvals)
        })
        .collect();
    Ok(Json(list))
}

#[utoipa::path(post, path = "/scan-definitions", tag = "runs", request_body = NewScanDefinition, security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 201, description = "Configured as version 1 (editor)", body = ScanDefinitionInfo), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 409, description = "Already configured (PUT changes it)", body = ApiError), (status = 413, description = "The body is too large", body = ApiError), (status = 415, description = "Not JSON (Content-Type: application/json)", body = ApiError)))]
async fn create_definition(
    State(state): State<AppState>,
    EditorCaller(caller): EditorCaller,
    JsonBody(new): JsonBody<NewScanDefinition>,
) -> Result<(StatusCode, Json<ScanDefinitionInfo>), HttpError> {
    let checked = check_definition(&state, &new).await?;
    let author = caller.actor();
    if !state
        .db
        .create_definition(&input(&new, &checked, &author))
        .await?
    {
        return Err(HttpError::new(
            shared::api::ErrorCode::Conflict,
            format!(
                "scan definition '{}' is configured already; PUT changes it",
                new.name
            ),
        ));
    }
    state.wake_runner.notify_one();
    let row = find(&state, &new.name).await?;
    Ok((StatusCode::CREATED, Json(info(&state, row).await?)))
}

#[utoipa::path(get, path = "/scan-definitions/{name}", tag = "runs", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("name" = String, Path, description = "Scan definition name")), responses((status = 200, body = ScanDefinitionInfo), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn definition(
    State(state): State<AppState>,
    _caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<ScanDefinitionInfo>, HttpError> {
    let row = find(&state, &name).await?;
    Ok(Json(info(&state, row).await?))
}

#[utoipa::path(put, path = "/scan-definitions/{name}", tag = "runs", request_body = NewScanDefinition, security(("basic" = []), ("bearer" = []), ("session" = [])), params(("name" = String, Path, description = "Scan definition name")), responses((status = 200, description = "A new version (editor)", body = ScanDefinitionInfo), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError), (status = 413, description = "The body is too large", body = ApiError), (status = 415, description = "Not JSON (Content-Type: application/json)", body = ApiError)))]
async fn update_definition(
    State(state): State<AppState>,
    EditorCaller(caller): EditorCaller,
    Path(name): Path<String>,
    JsonBody(new): JsonBody<NewScanDefinition>,
) -> Result<Json<ScanDefinitionInfo>, HttpError> {
    if new.name != name {
        return Err(HttpError::bad_request(format!(
            "name: '{}' differs from the path's '{name}' (results are filed under the name: a \
             definition is not renamed)",
            new.name
        )));
    }
    let checked = check_definition(&state, &new).await?;
    // An agreement binds editors: only an admin takes a stakeholder off it (an edit that left
    // the list out would otherwise run the next version unapproved).
    if let Some(current) = state.db.definition(&name).await?
        && let Some(dropped) = current.stakeholders.iter().find(|s| {
            !checked
                .stakeholders
                .iter()
                .any(|k| k.eq_ignore_ascii_case(s))
        })
    {
        admin_for_agreement(
            &caller,
            format!(
                "stakeholders: taking {dropped} off the agreement of '{name}' takes an admin \
                 (send the list with every stakeholder to keep it)"
            ),
        )?;
    }
    let author = caller.actor();
    if state
        .db
        .update_definition(&input(&new, &checked, &author))
        .await?
        .is_none()
    {
        return Err(HttpError::not_found(format!(
            "no scan definition '{name}' is configured"
        )));
    }
    state.wake_runner.notify_one();
    let row = find(&state, &name).await?;
    Ok(Json(info(&state, row).await?))
}

/// An agreement binds editors: what would end one takes an admin (403 saying `why`).
fn admin_for_agreement(caller: &Caller, why: String) -> Result<(), HttpError> {
    caller
        .require(Role::Admin)
        .map_err(|_| HttpError::new(shared::api::ErrorCode::Forbidden, why))
}

#[utoipa::path(delete, path = "/scan-definitions/{name}", tag = "runs", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("name" = String, Path, description = "Scan definition name")), responses((status = 200, description = "Its configuration, versions and runs removed (editor); its stored scans stay", body = Removed), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError), (status = 409, description = "A run is executing", body = ApiError)))]
async fn delete_definition(
    State(state): State<AppState>,
    EditorCaller(caller): EditorCaller,
    Path(name): Path<String>,
) -> Result<Json<Removed>, HttpError> {
    let row = find(&state, &name).await?;
    if !row.stakeholders.is_empty() {
        // Deleting and adding it again would end the agreement as well.
        admin_for_agreement(
            &caller,
            format!("'{name}' has an agreement (stakeholders): deleting it takes an admin"),
        )?;
    }
    let (last, _) = state.db.runs_of(row.id, 0, 1).await?;
    if let Some(run) = last.first()
        && matches!(run.state.as_str(), "executing" | "cancelationRequested")
    {
        return Err(HttpError::new(
            shared::api::ErrorCode::Conflict,
            format!(
                "run {} of '{name}' is executing; cancel it (POST /api/scan-runs/{}/cancel) first",
                run.id, run.id
            ),
        ));
    }
    state.db.unconfigure_definition(&name).await?;
    Ok(Json(Removed {
        name,
        removed: true,
    }))
}

#[utoipa::path(get, path = "/scan-definitions/{name}/versions", tag = "runs", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("name" = String, Path, description = "Scan definition name")), responses((status = 200, description = "Every version, newest first", body = Vec<ScanDefinitionVersion>), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn versions(
    State(state): State<AppState>,
    _caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Vec<ScanDefinitionVersion>>, HttpError> {
    let row = find(&state, &name).await?;
    let mut list = Vec::new();
    for (version, author, created_at, body) in state.db.definition_versions(row.id).await? {
        let definition = serde_json::from_str(&body).map_err(|e| {
            HttpError::from(crate::storage::StorageError::Corrupt(format!(
                "version {version} of '{name}': {e}"
            )))
        })?;
        list.push(ScanDefinitionVersion {
            version,
            author,
            created_at: timestamp::format(created_at),
            definition,
        });
    }
    Ok(Json(list))
}

#[utoipa::path(get, path = "/scan-definitions/{name}/runs", tag = "runs", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("name" = String, Path, description = "Scan definition name"), PageQuery), responses((status = 200, description = "Its runs, newest first", body = ScanRunList), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn runs(
    State(state): State<AppState>,
    _caller: Caller,
    Path(name): Path<String>,
    TypedQuery(p): TypedQuery<PageQuery>,
) -> Result<Json<ScanRunList>, HttpError> {
    let (page, size) = page_and_size(&p.page, &p.size, 20, 1, 200)?;
    let row = find(&state, &name).await?;
    let (rows, total) = state.db.runs_of(row.id, page, size).await?;
    Ok(Json(ScanRunList {
        items: rows.into_iter().map(run_of).collect(),
        total,
        page,
        size,
    }))
}

/// Queues a run of `row` now, its results at `data_timestamp` (now when `None`); the run as
/// queued (read before the runner is woken, so the answer says `queuing`).
pub(super) async fn queue_run(
    state: &AppState,
    row: &DefinitionRow,
    origin: RunOrigin,
    requested_by: &str,
    data_timestamp: Option<timestamp::EpochMillis>,
    checks: Option<&str>,
) -> Result<RunRow, HttpError> {
    // Whole seconds: Soda Core's `-t` and the results it sends back meet on the same instant.
    let now = data_timestamp.unwrap_or_else(timestamp::now) / 1000 * 1000;
    let id = state
        .db
        .create_run(&NewRun {
            definition_id: row.id,
            version: row.version,
            origin: origin.as_str(),
            scheduled_for: None,
            data_timestamp: now,
            requested_by,
            checks,
            skipped: None,
        })
        .await?
        .ok_or_else(|| HttpError::bad_request("the run could not be queued"))?;
    let run = state
        .db
        .run(id)
        .await?
        .ok_or_else(|| HttpError::not_found(format!("no scan run {id}")))?;
    state.wake_runner.notify_one();
    tracing::info!(
        run_id = id,
        definition = row.name,
        by = requested_by,
        "run queued"
    );
    Ok(run)
}

#[utoipa::path(post, path = "/scan-definitions/{name}/runs", tag = "runs", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("name" = String, Path, description = "Scan definition name")), responses((status = 201, description = "Queued (editor): the run as it is now (queuing, or executing when a runner took it at once)", body = ScanRun), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn run_now(
    State(state): State<AppState>,
    EditorCaller(caller): EditorCaller,
    Path(name): Path<String>,
) -> Result<(StatusCode, Json<ScanRun>), HttpError> {
    let row = find(&state, &name).await?;
    let run = queue_run(&state, &row, RunOrigin::Manual, &caller.actor(), None, None).await?;
    Ok((StatusCode::CREATED, Json(run_of(run))))
}

#[utoipa::path(post, path = "/scan-definitions/{name}/dry-run", tag = "runs", request_body = DryRunRequest, security(("basic" = []), ("bearer" = []), ("session" = [])), params(("name" = String, Path, description = "Scan definition name")), responses((status = 201, description = "Queued (editor): a dry run of these checks on the definition's data source; its outcomes come on the run, no scan is stored", body = ScanRun), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError), (status = 413, description = "The body is too large", body = ApiError), (status = 415, description = "Not JSON (Content-Type: application/json)", body = ApiError)))]
async fn dry_run(
    State(state): State<AppState>,
    EditorCaller(caller): EditorCaller,
    Path(name): Path<String>,
    JsonBody(request): JsonBody<DryRunRequest>,
) -> Result<(StatusCode, Json<ScanRun>), HttpError> {
    let row = find(&state, &name).await?;
    check_checks_of(&state, &row, &request.checks).await?;
    let run = queue_run(
        &state,
        &row,
        RunOrigin::DryRun,
        &caller.actor(),
        None,
        Some(&request.checks),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(run_of(run))))
}

#[utoipa::path(post, path = "/scan-definitions/{name}/approvals", tag = "runs", request_body = ApprovalRequest, security(("basic" = []), ("bearer" = []), ("session" = [])), params(("name" = String, Path, description = "Scan definition name")), responses((status = 200, description = "Approved by the signed-in stakeholder: the definition", body = ScanDefinitionInfo), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "Not a stakeholder of this definition (or not a user)", body = ApiError), (status = 404, description = "No such object", body = ApiError), (status = 409, description = "The version is not the current one", body = ApiError), (status = 413, description = "The body is too large", body = ApiError), (status = 415, description = "Not JSON (Content-Type: application/json)", body = ApiError)))]
async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    JsonBody(request): JsonBody<ApprovalRequest>,
) -> Result<Json<ScanDefinitionInfo>, HttpError> {
    let row = find(&state, &name).await?;
    // A person approves, as a person: an API key is nobody's signature.
    let Some(email) = caller.email.as_deref() else {
        return Err(HttpError::new(
            shared::api::ErrorCode::Forbidden,
            "approvals are given by signed-in users, not API keys",
        ));
    };
    let Some(stakeholder) = row
        .stakeholders
        .iter()
        .find(|s| s.eq_ignore_ascii_case(email))
    else {
        return Err(HttpError::new(
            shared::api::ErrorCode::Forbidden,
            format!("{email} is not a stakeholder of '{name}'"),
        ));
    };
    if let Err(current) = state
        .db
        .approve_definition(row.id, request.version, stakeholder)
        .await?
    {
        return Err(HttpError::new(
            shared::api::ErrorCode::Conflict,
            format!(
                "version {} is not the current version of '{name}' (version {current} is): \
                 read it, then approve that one",
                request.version
            ),
        ));
    }
    tracing::info!(
        definition = name,
        version = request.version,
        by = stakeholder,
        "definition approved"
    );
    Ok(Json(info(&state, find(&state, &name).await?).await?))
}
