//! Incidents over the API: everyone signed in reads them; editors and admins open, change,
//! link and comment. Soda Cloud's `POST /api/v1/incidents/{incidentId}` updates them as its
//! public API does, so scripts written for it (the Jira and ServiceNow recipes) work.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use shared::api::{
    ApiError, Incident, IncidentChange, IncidentDetail, IncidentEvent, IncidentLink,
    IncidentLinkBack, IncidentLinks, IncidentList, IncidentListQuery, IncidentSeverity,
    IncidentStatus, NewIncident, NewIncidentComment, PageQuery, V1IncidentContent,
    V1IncidentUpdate,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Caller, EditorCaller};
use super::extract::{JsonBody, TypedQuery, page_and_size, param};
use super::{AppState, HttpError};
use crate::storage::{IncidentChangeRow, IncidentFilter, IncidentRow, LinkedResultRow, ResultRef};
use crate::timestamp;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(detail, change))
        .routes(routes!(link))
        .routes(routes!(comment))
        .routes(routes!(v1_update))
        .routes(routes!(link_back))
}

/// Who did it, as the timeline says: a user's email, or the API key.
fn incident(r: &IncidentRow) -> Incident {
    r.to_api()
}

fn id_of(id: &str) -> Result<i64, HttpError> {
    id.parse()
        .map_err(|_| HttpError::not_found(format!("no incident with id '{id}'")))
}

async fn find(state: &AppState, id: &str) -> Result<IncidentRow, HttpError> {
    state
        .db
        .incident(id_of(id)?)
        .await?
        .ok_or_else(|| HttpError::not_found(format!("no incident with id '{id}'")))
}

fn check_text(field: &str, text: &str, max: usize) -> Result<(), HttpError> {
    if text.chars().count() > max {
        return Err(HttpError::bad_request(format!(
            "{field} is limited to {max} characters"
        )));
    }
    Ok(())
}

fn check_title(title: &str) -> Result<(), HttpError> {
    if title.trim().is_empty() {
        return Err(HttpError::bad_request("title must not be empty"));
    }
    check_text("title", title, 200)
}

/// The lead: a user of this Seltzer, by email (any case); `""` for none.
async fn check_lead(state: &AppState, email: &str) -> Result<Option<String>, HttpError> {
    if email.is_empty() {
        return Ok(None);
    }
    state.db.active_user(email).await?.map(Some).ok_or_else(|| {
        HttpError::bad_request(format!(
            "leadEmail: '{email}' is not an active user of this Seltzer"
        ))
    })
}

/// The failing or warning results among `ids` (1 to 100 of them), each with its check.
async fn results_to_link(state: &AppState, ids: &[i64]) -> Result<Vec<ResultRef>, HttpError> {
    if ids.is_empty() || ids.len() > 100 {
        return Err(HttpError::bad_request(
            "checkResultIds must name 1 to 100 check results",
        ));
    }
    let found = state.db.results_to_link(ids).await?;
    if let Some(missing) = ids.iter().find(|id| !found.iter().any(|f| f.0 == **id)) {
        return Err(HttpError::bad_request(format!(
            "checkResultIds: no check result {missing}"
        )));
    }
    if let Some((id, _, outcome)) = found
        .iter()
        .find(|(_, _, o)| !matches!(o.as_deref(), Some("fail" | "warn")))
    {
        return Err(HttpError::bad_request(format!(
            "checkResultIds: result {id} {}; an incident is about failing or warning results",
            match outcome.as_deref() {
                Some("pass") => "passed",
                _ => "was not evaluated",
            }
        )));
    }
    Ok(found)
}

async fn detail_of(state: &AppState, id: i64) -> Result<IncidentDetail, HttpError> {
    let row = state
        .db
        .incident(id)
        .await?
        .ok_or_else(|| HttpError::not_found(format!("no incident with id '{id}'")))?;
    let check_results = state
        .db
        .incident_results(id)
        .await?
        .into_iter()
        .map(LinkedResultRow::to_api)
        .collect();
    let timeline = state
        .db
        .incident_events(id)
        .await?
        .into_iter()
        .map(|e| IncidentEvent {
            at: timestamp::format(e.at),
            actor: e.actor,
            kind: e.kind,
            from: e.from_value,
            to: e.to_value,
        })
        .collect();
    Ok(IncidentDetail {
        incident: incident(&row),
        check_results,
        timeline,
        links: state.db.incident_links(id).await?,
    })
}

#[utoipa::path(get, path = "/incidents", tag = "incidents", security(("basic" = []), ("bearer" = []), ("session" = [])), params(IncidentListQuery, PageQuery), responses((status = 200, description = "Incidents, newest first", body = IncidentList), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError)))]
async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    TypedQuery(q): TypedQuery<IncidentListQuery>,
    TypedQuery(p): TypedQuery<PageQuery>,
) -> Result<Json<IncidentList>, HttpError> {
    let (page, size) = page_and_size(&p.page, &p.size, 50, 1, 500)?;
    let statuses = match param("status", &q.status).text() {
        None => Vec::new(),
        Some("open") => ["reported", "investigating", "fixing"]
            .map(str::to_owned)
            .to_vec(),
        Some(s) => vec![
            IncidentStatus::parse(s)
                .ok_or_else(|| {
                    HttpError::bad_request(
                        "status must be open, reported, investigating, fixing or resolved",
                    )
                })?
                .as_str()
                .to_owned(),
        ],
    };
    let severity = param("severity", &q.severity)
        .text()
        .map(|s| {
            IncidentSeverity::parse(s)
                .map(|s| s.as_str().to_owned())
                .ok_or_else(|| HttpError::bad_request("severity must be minor, major or critical"))
        })
        .transpose()?;
    let filter = IncidentFilter {
        statuses,
        severity,
        lead: param("lead", &q.lead).search()?,
        dataset_id: param("datasetId", &q.dataset_id).id("a dataset id")?,
        search: param("search", &q.search).search()?,
    };
    let (rows, total) = state.db.list_incidents(&filter, page, size).await?;
    Ok(Json(IncidentList {
        items: rows.iter().map(incident).collect(),
        total,
        page,
        size,
    }))
}

#[utoipa::path(post, path = "/incidents", tag = "incidents", request_body = NewIncident, security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 201, description = "Opened (editor), status reported", body = IncidentDetail), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 413, description = "The body is too large", body = ApiError), (status = 415, description = "Not JSON (Content-Type: application/json)", body = ApiError)))]
async fn create(
    State(state): State<AppState>,
    EditorCaller(caller): EditorCaller,
    JsonBody(new): JsonBody<NewIncident>,
) -> Result<(StatusCode, Json<IncidentDetail>), HttpError> {
    check_title(&new.title)?;
    let description = new.description.unwrap_or_default();
    check_text("description", &description, 10_000)?;
    let lead_email = check_lead(&state, new.lead_email.as_deref().unwrap_or("")).await?;
    let results = results_to_link(&state, &new.check_result_ids).await?;
    let row = IncidentRow {
        id: 0,
        title: new.title.trim().to_owned(),
        description,
        severity: new.severity.as_str().to_owned(),
        status: IncidentStatus::Reported.as_str().to_owned(),
        lead_email,
        reporter: caller.actor(),
        resolution_notes: None,
        created_at: 0,
        updated_at: 0,
        resolved_at: None,
        result_count: 0,
    };
    let id = state.db.create_incident(&row, &results).await?;
    // Its events, if any channel takes them, were written with it.
    state.wake_sender.notify_one();
    tracing::info!(incident = id, by = row.reporter, "incident opened");
    Ok((StatusCode::CREATED, Json(detail_of(&state, id).await?)))
}

#[utoipa::path(get, path = "/incidents/{id}", tag = "incidents", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("id" = i64, Path, description = "Incident id (its number)")), responses((status = 200, description = "The incident, its results and its timeline", body = IncidentDetail), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn detail(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<IncidentDetail>, HttpError> {
    Ok(Json(detail_of(&state, id_of(&id)?).await?))
}

/// Applies `change` to `row`, the timeline entries saying what changed; a 400 naming the field
/// when a value is not allowed.
async fn apply(
    state: &AppState,
    row: &mut IncidentRow,
    change: IncidentChange,
) -> Result<Vec<IncidentChangeRow>, HttpError> {
    let mut changes = Vec::new();
    let mut note = |kind: &'static str, from: Option<String>, to: Option<String>| {
        if from != to {
            changes.push(IncidentChangeRow { kind, from, to });
        }
    };
    if let Some(title) = change.title {
        check_title(&title)?;
        let title = title.trim().to_owned();
        note("title", Some(row.title.clone()), Some(title.clone()));
        row.title = title;
    }
    if let Some(description) = change.description {
        check_text("description", &description, 10_000)?;
        note(
            "description",
            Some(row.description.clone()),
            Some(description.clone()),
        );
        row.description = description;
    }
    if let Some(severity) = change.severity {
        let severity = severity.as_str().to_owned();
        note(
            "severity",
            Some(row.severity.clone()),
            Some(severity.clone()),
        );
        row.severity = severity;
    }
    if let Some(email) = change.lead_email {
        let lead = check_lead(state, &email).await?;
        note("lead", row.lead_email.clone(), lead.clone());
        row.lead_email = lead;
    }
    if let Some(notes) = change.resolution_notes {
        check_text("resolutionNotes", &notes, 10_000)?;
        let notes = Some(notes).filter(|n| !n.trim().is_empty());
        note(
            "resolutionNotes",
            row.resolution_notes.clone(),
            notes.clone(),
        );
        row.resolution_notes = notes;
    }
    if let Some(status) = change.status {
        if status == IncidentStatus::Resolved && row.resolution_notes.is_none() {
            return Err(HttpError::bad_request(
                "resolutionNotes: an incident is resolved with notes saying how",
            ));
        }
        let status = status.as_str().to_owned();
        note("status", Some(row.status.clone()), Some(status.clone()));
        if status != row.status {
            row.resolved_at = (status == "resolved").then(timestamp::now);
        }
        row.status = status;
    }
    Ok(changes)
}

#[utoipa::path(patch, path = "/incidents/{id}", tag = "incidents", request_body = IncidentChange, security(("basic" = []), ("bearer" = []), ("session" = [])), params(("id" = i64, Path, description = "Incident id (its number)")), responses((status = 200, description = "Changed (editor); each change is on the timeline", body = IncidentDetail), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError), (status = 413, description = "The body is too large", body = ApiError), (status = 415, description = "Not JSON (Content-Type: application/json)", body = ApiError)))]
async fn change(
    State(state): State<AppState>,
    EditorCaller(caller): EditorCaller,
    Path(id): Path<String>,
    JsonBody(change): JsonBody<IncidentChange>,
) -> Result<Json<IncidentDetail>, HttpError> {
    let row = save(&state, &caller, &id, change).await?;
    Ok(Json(detail_of(&state, row.id).await?))
}

/// Applies a change to incident `id` and stores it with its timeline entries and events; the
/// incident as it now is.
async fn save(
    state: &AppState,
    caller: &Caller,
    id: &str,
    change: IncidentChange,
) -> Result<IncidentRow, HttpError> {
    let mut row = find(state, id).await?;
    let changes = apply(state, &mut row, change).await?;
    if !changes.is_empty() {
        state
            .db
            .update_incident(&row, &changes, &caller.actor())
            .await?;
        state.wake_sender.notify_one();
    }
    Ok(row)
}

#[utoipa::path(post, path = "/incidents/{id}/check-results", tag = "incidents", request_body = IncidentLinks, security(("basic" = []), ("bearer" = []), ("session" = [])), params(("id" = i64, Path, description = "Incident id (its number)")), responses((status = 200, description = "Linked (editor); results linked already stay as they are", body = IncidentDetail), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError), (status = 413, description = "The body is too large", body = ApiError), (status = 415, description = "Not JSON (Content-Type: application/json)", body = ApiError)))]
async fn link(
    State(state): State<AppState>,
    EditorCaller(caller): EditorCaller,
    Path(id): Path<String>,
    JsonBody(links): JsonBody<IncidentLinks>,
) -> Result<Json<IncidentDetail>, HttpError> {
    let row = find(&state, &id).await?;
    let results = results_to_link(&state, &links.check_result_ids).await?;
    state
        .db
        .link_incident_results(row.id, &results, &caller.actor())
        .await?;
    state.wake_sender.notify_one();
    Ok(Json(detail_of(&state, row.id).await?))
}

#[utoipa::path(post, path = "/incidents/{id}/comments", tag = "incidents", request_body = NewIncidentComment, security(("basic" = []), ("bearer" = []), ("session" = [])), params(("id" = i64, Path, description = "Incident id (its number)")), responses((status = 201, description = "Commented (editor): on the timeline", body = IncidentDetail), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError), (status = 413, description = "The body is too large", body = ApiError), (status = 415, description = "Not JSON (Content-Type: application/json)", body = ApiError)))]
async fn comment(
    State(state): State<AppState>,
    EditorCaller(caller): EditorCaller,
    Path(id): Path<String>,
    JsonBody(comment): JsonBody<NewIncidentComment>,
) -> Result<(StatusCode, Json<IncidentDetail>), HttpError> {
    let row = find(&state, &id).await?;
    if comment.text.trim().is_empty() {
        return Err(HttpError::bad_request("text must not be empty"));
    }
    check_text("text", &comment.text, 10_000)?;
    state
        .db
        .comment_incident(row.id, &caller.actor(), &comment.text)
        .await?;
    Ok((StatusCode::CREATED, Json(detail_of(&state, row.id).await?)))
}

#[utoipa::path(post, path = "/v1/incidents/{incidentId}", tag = "soda-cloud-v1", request_body = V1IncidentUpdate, security(("basic" = []), ("bearer" = []), ("session" = [])), params(("incidentId" = String, Path, description = "Incident id")), responses((status = 200, description = "Updated (editor), as Soda Cloud's public API does", body = V1IncidentContent), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError), (status = 413, description = "The body is too large", body = ApiError), (status = 415, description = "Not JSON (Content-Type: application/json)", body = ApiError)))]
async fn v1_update(
    State(state): State<AppState>,
    EditorCaller(caller): EditorCaller,
    headers: HeaderMap,
    Path(id): Path<String>,
    JsonBody(update): JsonBody<V1IncidentUpdate>,
) -> Result<Json<V1IncidentContent>, HttpError> {
    let change = IncidentChange {
        title: update.title,
        description: update.description,
        severity: update.severity,
        status: update.status,
        lead_email: None,
        resolution_notes: update.resolution_notes,
    };
    let i = incident(&save(&state, &caller, &id, change).await?);
    Ok(Json(V1IncidentContent {
        id: i.id.to_string(),
        name: i.title,
        number: i.number,
        description: i.description,
        severity: i.severity,
        status: i.status,
        resolution_notes: i.resolution_notes,
        cloud_url: format!("{}/incidents/{}", super::v1::origin(&headers), i.id),
    }))
}

#[utoipa::path(post, path = "/incidents/{id}/links/{token}", tag = "incidents", request_body = IncidentLinkBack, params(("id" = i64, Path, description = "Incident id"), ("token" = String, Path, description = "The secret of the incident's incidentLinkCallbackUrl")), responses((status = 200, description = "The link is kept on the incident (a ticketing system calls back, as Soda Cloud's receivers do; the secret in the address is the credential)", body = IncidentLink), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 404, description = "No such incident, or not its secret", body = ApiError), (status = 413, description = "The body is too large", body = ApiError), (status = 415, description = "Not JSON (Content-Type: application/json)", body = ApiError)))]
async fn link_back(
    State(state): State<AppState>,
    Path((id, token)): Path<(String, String)>,
    JsonBody(link): JsonBody<IncidentLinkBack>,
) -> Result<Json<IncidentLink>, HttpError> {
    let not_found = || HttpError::not_found(format!("no incident with id '{id}' and this secret"));
    let incident_id: i64 = id.parse().map_err(|_| not_found())?;
    if !state
        .db
        .incident_callback_matches(incident_id, &token)
        .await?
    {
        return Err(not_found());
    }
    let (url, text) = link.checked().map_err(HttpError::bad_request)?;
    state
        .db
        .add_incident_link(incident_id, &url, &text, "call back")
        .await?;
    Ok(Json(IncidentLink {
        url,
        text,
        source: "call back".to_owned(),
        created_at: timestamp::format(timestamp::now()),
    }))
}
