//! Data sources over the API: their Soda configuration for each engine, the agent that runs
//! their scans (if any) and their limit of scans at once. Admins write; everyone reads — the
//! configuration holds references, never values.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use shared::api::{ApiError, DataSourceInfo, NewDataSource, Removed};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{AdminCaller, Caller};
use super::extract::JsonBody;
use super::secrets::check_name;
use super::{AppState, HttpError};
use crate::secrets::{self, Reference};
use crate::storage::DataSourceRow;
use crate::timestamp;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_data_sources, create_data_source))
        .routes(routes!(data_source, update_data_source, delete_data_source))
}

/// Largest checks file or configuration accepted.
pub(super) const MAX_TEXT: usize = 1024 * 1024;

fn data_source_info(row: DataSourceRow) -> DataSourceInfo {
    let mut references: Vec<String> = [Some(&row.configuration), row.configuration_v4.as_ref()]
        .into_iter()
        .flatten()
        .filter_map(|text| secrets::references(text).ok())
        .flat_map(|found| found.into_iter().map(|(_, r)| r.to_string()))
        .collect();
    // In the order they are written, each once.
    let mut seen = std::collections::HashSet::new();
    references.retain(|r| seen.insert(r.clone()));
    DataSourceInfo {
        name: row.name,
        source_type: row.source_type,
        configuration: row.configuration,
        configuration_v4: row.configuration_v4,
        max_concurrent: row.max_concurrent,
        agent: row.agent,
        references,
        configured_at: timestamp::format(row.configured_at),
    }
}

/// Soda Core 4's configuration, if one was given.
fn configuration_v4(new: &NewDataSource) -> Option<&str> {
    new.configuration_v4
        .as_deref()
        .filter(|c| !c.trim().is_empty())
}

/// A 400 unless `text` is one YAML mapping whose secret references are stored. `${file:}`
/// references are read by whoever runs the scans: this Seltzer (under its secret files
/// folder), or the data source's agent, which checks its own.
async fn check_configuration(
    state: &AppState,
    field: &str,
    text: &str,
    example: &str,
    agent: Option<&str>,
) -> Result<(), HttpError> {
    if text.len() > MAX_TEXT {
        return Err(HttpError::bad_request(format!(
            "{field} is limited to 1 MiB"
        )));
    }
    let docs = yaml_rust2::YamlLoader::load_from_str(text)
        .map_err(|e| HttpError::bad_request(format!("{field}: not YAML ({e})")))?;
    match docs.first() {
        None | Some(yaml_rust2::Yaml::Hash(_)) if docs.len() <= 1 => {}
        _ => {
            return Err(HttpError::bad_request(format!(
                "{field}: must be the connection properties as one YAML mapping (e.g. \
                 `{example}`)"
            )));
        }
    }
    let references =
        secrets::references(text).map_err(|e| HttpError::bad_request(format!("{field}: {e}")))?;
    for (_, reference) in references {
        match reference {
            Reference::Secret(name) if state.db.secret(&name).await?.is_none() => {
                return Err(HttpError::bad_request(format!(
                    "{field}: ${{secret:{name}}} is not a stored secret (POST /api/secrets \
                     first)"
                )));
            }
            Reference::File(path) if agent.is_none() => {
                secrets::file_allowed(&path, &state.secret_files_dir)
                    .map_err(|e| HttpError::bad_request(format!("{field}: {e}")))?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// A 400 naming what is wrong with a data source; its `max_concurrent`.
async fn check_data_source(state: &AppState, new: &NewDataSource) -> Result<i64, HttpError> {
    check_name("name", &new.name)?;
    let source_type = new.source_type.trim();
    if source_type.is_empty()
        || !source_type
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(HttpError::bad_request(
            "type must be a Soda data source type, such as duckdb, postgres or snowflake",
        ));
    }
    let v4 = new
        .configuration_v4
        .as_deref()
        .filter(|c| !c.trim().is_empty());
    if new.configuration.trim().is_empty() && v4.is_none() {
        return Err(HttpError::bad_request(
            "configuration: give Soda Core 3's connection properties (configuration), Soda \
             Core 4's data source file (configurationV4), or both",
        ));
    }
    let agent = new.agent.as_deref();
    if let Some(agent) = agent
        && !state.db.agent_exists(agent).await?
    {
        return Err(HttpError::bad_request(format!(
            "agent: no agent '{agent}' is registered (POST /api/agents first)"
        )));
    }
    check_configuration(
        state,
        "configuration",
        &new.configuration,
        "path: /data/shop.duckdb",
        agent,
    )
    .await?;
    if let Some(v4) = v4 {
        check_configuration(
            state,
            "configurationV4",
            v4,
            "connection: {database: /data/shop.duckdb}",
            agent,
        )
        .await?;
        if let Ok(docs) = yaml_rust2::YamlLoader::load_from_str(v4)
            && let Some(yaml_rust2::Yaml::Hash(map)) = docs.first()
            && let Some(key) = ["type", "name"]
                .into_iter()
                .find(|k| map.contains_key(&yaml_rust2::Yaml::String((*k).to_owned())))
        {
            return Err(HttpError::bad_request(format!(
                "configurationV4: leave out `{key}`: Seltzer writes the data source's type and \
                 name into the file"
            )));
        }
    }
    let max = new.max_concurrent.unwrap_or(1);
    if !(1..=20).contains(&max) {
        return Err(HttpError::bad_request("maxConcurrent must be 1 to 20"));
    }
    Ok(max)
}

#[utoipa::path(get, path = "/data-sources", tag = "runs", security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 200, description = "Data sources configured for runs, by name", body = Vec<DataSourceInfo>), (status = 401, description = "No or wrong credentials", body = ApiError)))]
async fn list_data_sources(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Vec<DataSourceInfo>>, HttpError> {
    let rows = state.db.configured_data_sources().await?;
    Ok(Json(rows.into_iter().map(data_source_info).collect()))
}

#[utoipa::path(post, path = "/data-sources", tag = "runs", request_body = NewDataSource, security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 201, description = "Configured (admin)", body = DataSourceInfo), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 409, description = "Already configured (PUT changes it)", body = ApiError), (status = 413, description = "The body is too large", body = ApiError), (status = 415, description = "Not JSON (Content-Type: application/json)", body = ApiError)))]
async fn create_data_source(
    State(state): State<AppState>,
    _admin: AdminCaller,
    JsonBody(new): JsonBody<NewDataSource>,
) -> Result<(StatusCode, Json<DataSourceInfo>), HttpError> {
    let max = check_data_source(&state, &new).await?;
    if state.db.configured_data_source(&new.name).await?.is_some() {
        return Err(HttpError::new(
            shared::api::ErrorCode::Conflict,
            format!(
                "data source '{}' is configured already; PUT /api/data-sources/{} changes it",
                new.name, new.name
            ),
        ));
    }
    Ok((
        StatusCode::CREATED,
        Json(store(&state, &new.name, &new, max).await?),
    ))
}

async fn stored_data_source(state: &AppState, name: &str) -> Result<DataSourceInfo, HttpError> {
    state
        .db
        .configured_data_source(name)
        .await?
        .map(data_source_info)
        .ok_or_else(|| HttpError::not_found(format!("no data source '{name}' is configured")))
}

#[utoipa::path(get, path = "/data-sources/{name}", tag = "runs", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("name" = String, Path, description = "Data source name")), responses((status = 200, body = DataSourceInfo), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn data_source(
    State(state): State<AppState>,
    _caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<DataSourceInfo>, HttpError> {
    Ok(Json(stored_data_source(&state, &name).await?))
}

#[utoipa::path(put, path = "/data-sources/{name}", tag = "runs", request_body = NewDataSource, security(("basic" = []), ("bearer" = []), ("session" = [])), params(("name" = String, Path, description = "Data source name")), responses((status = 200, description = "Configured (admin)", body = DataSourceInfo), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 413, description = "The body is too large", body = ApiError), (status = 415, description = "Not JSON (Content-Type: application/json)", body = ApiError)))]
async fn update_data_source(
    State(state): State<AppState>,
    _admin: AdminCaller,
    Path(name): Path<String>,
    JsonBody(new): JsonBody<NewDataSource>,
) -> Result<Json<DataSourceInfo>, HttpError> {
    if new.name != name {
        return Err(HttpError::bad_request(format!(
            "name: '{}' differs from the path's '{name}' (a data source is not renamed)",
            new.name
        )));
    }
    let max = check_data_source(&state, &new).await?;
    Ok(Json(store(&state, &name, &new, max).await?))
}

/// Stores `new` (checked) as data source `name`'s configuration: as stored now.
async fn store(
    state: &AppState,
    name: &str,
    new: &NewDataSource,
    max: i64,
) -> Result<DataSourceInfo, HttpError> {
    state
        .db
        .configure_data_source(
            name,
            new.source_type.trim(),
            &new.configuration,
            configuration_v4(new),
            max,
            new.agent.as_deref(),
        )
        .await?;
    stored_data_source(state, name).await
}

#[utoipa::path(delete, path = "/data-sources/{name}", tag = "runs", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("name" = String, Path, description = "Data source name")), responses((status = 200, description = "Its configuration removed (admin); its scans stay", body = Removed), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError), (status = 409, description = "Scan definitions run on it", body = ApiError)))]
async fn delete_data_source(
    State(state): State<AppState>,
    _admin: AdminCaller,
    Path(name): Path<String>,
) -> Result<Json<Removed>, HttpError> {
    let Some(row) = state.db.configured_data_source(&name).await? else {
        return Err(HttpError::not_found(format!(
            "no data source '{name}' is configured"
        )));
    };
    let users = state.db.definitions_on(row.id).await?;
    if !users.is_empty() {
        return Err(HttpError::new(
            shared::api::ErrorCode::Conflict,
            format!(
                "scan definitions run on '{name}': {}; remove them or move them first",
                users.join(", ")
            ),
        ));
    }
    state.db.unconfigure_data_source(&name).await?;
    Ok(Json(Removed {
        name,
        removed: true,
    }))
}
