//! Notifications over the API: channels (admins; their URL, headers and secret are write-only),
//! rules (editors), and the delivery log with "redeliver" (editors). Rules need Seltzer's
//! public URL (`--public-url`): every message links into the dashboard.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use shared::api::{
    ApiError, Channel, ChannelDeleted, ChannelType, Delivery, DeliveryList, DeliveryQueued,
    DeliveryStatus, EmailSettings, ErrorCode, NewChannel, PageQuery, Rule, RuleDefinition,
    RuleDeleted, Simulation, SimulationRequest, SmtpSecurity,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{AdminCaller, Caller, EditorCaller};
use super::extract::{JsonBody, TypedQuery, page_and_size};
use super::{AppState, HttpError};
use crate::storage::{ChannelRow, DeliveryRow, RuleRow};
use crate::timestamp;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_channels, create_channel))
        .routes(routes!(delete_channel))
        .routes(routes!(test_channel))
        .routes(routes!(list_rules, create_rule))
        .routes(routes!(update_rule, delete_rule))
        .routes(routes!(simulate_rule))
        .routes(routes!(list_deliveries))
        .routes(routes!(redeliver))
}

fn conflict(message: String) -> HttpError {
    HttpError::new(ErrorCode::Conflict, message)
}

/// Only `https://`, or `http://` to this machine (a local relay, a test receiver).
fn check_url(url: &str) -> Result<(), HttpError> {
    let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|p| {
            url.strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
        });
    if (url.starts_with("https://") && url.len() > "https://".len()) || local {
        Ok(())
    } else {
        Err(HttpError::bad_request(
            "url must start with https:// (http:// only to 127.0.0.1 or localhost)",
        ))
    }
}

fn check_channel(c: &NewChannel) -> Result<(), HttpError> {
    if c.name.trim().is_empty() || c.name.chars().count() > 100 {
        return Err(HttpError::bad_request("name must have 1 to 100 characters"));
    }
    match (&c.channel_type, &c.email) {
        (ChannelType::Email, Some(email)) => return check_email(email),
        (ChannelType::Email, None) => {
            return Err(HttpError::bad_request(
                "email: an email channel needs its SMTP server and addresses",
            ));
        }
        (_, Some(_)) => {
            return Err(HttpError::bad_request(
                "email: only an email channel has SMTP settings",
            ));
        }
        (_, None) => {}
    }
    if c.url.len() > 2000 {
        return Err(HttpError::bad_request("url is longer than 2000 characters"));
    }
    check_url(&c.url)?;
    if c.headers.len() > 20 {
        return Err(HttpError::bad_request("headers: at most 20"));
    }
    for (name, value) in &c.headers {
        let token = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
        if !token || HeaderValue::from_str(value).is_err() {
            return Err(HttpError::bad_request(format!(
                "headers: '{name}' is not a header name and value one can send"
            )));
        }
    }
    if c.secret.as_ref().is_some_and(|s| s.len() > 500) {
        return Err(HttpError::bad_request(
            "secret is longer than 500 characters",
        ));
    }
    Ok(())
}

fn check_email(e: &EmailSettings) -> Result<(), HttpError> {
    let host = e.host.trim();
    if host.is_empty() || host.len() > 253 || host.contains(['/', ' ', ':']) {
        return Err(HttpError::bad_request(
            "email.host must be a host name or address, e.g. smtp.example.com",
        ));
    }
    if e.port == 0 {
        return Err(HttpError::bad_request("email.port must be from 1 to 65535"));
    }
    let local = ["127.0.0.1", "localhost", "::1", "[::1]"].contains(&host);
    if e.security == SmtpSecurity::None && !local {
        return Err(HttpError::bad_request(
            "email.security: \"none\" only to a relay on this machine (127.0.0.1 or \
             localhost); use \"starttls\" or \"tls\"",
        ));
    }
    // The sender parses them the same way (lettre's mailbox syntax).
    let mailbox = |field: &str, address: &str| {
        address
            .parse::<lettre::message::Mailbox>()
            .map(|_| ())
            .map_err(|e| {
                HttpError::bad_request(format!(
                    "{field}: '{address}' is not an email address ({e})"
                ))
            })
    };
    mailbox("email.from", &e.from)?;
    if e.to.is_empty() || e.to.len() > 50 {
        return Err(HttpError::bad_request(
            "email.to must list 1 to 50 addresses",
        ));
    }
    for to in &e.to {
        mailbox("email.to", to)?;
    }
    let long = |s: &Option<String>| s.as_ref().is_some_and(|s| s.len() > 500);
    if long(&e.username) || long(&e.password) {
        return Err(HttpError::bad_request(
            "email.username and email.password are limited to 500 characters",
        ));
    }
    if e.password.is_some() && e.username.is_none() {
        return Err(HttpError::bad_request(
            "email.username: a password goes with a user name",
        ));
    }
    Ok(())
}

/// Scheme and host: the rest of a channel's URL may be its token.
fn masked(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "…".to_owned();
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or_default();
    format!("{scheme}://{host}/…")
}

fn channel(c: ChannelRow) -> Channel {
    Channel {
        id: c.id,
        name: c.name,
        channel_type: ChannelType::parse(&c.channel_type).unwrap_or(ChannelType::Webhook),
        url: match &c.email {
            Some(e) => format!("smtp://{}:{}", e.host, e.port),
            None => masked(&c.url),
        },
        headers: c.headers.into_keys().collect(),
        signed: c.email.is_none() && c.secret.is_some_and(|s| !s.is_empty()),
        email: c.email,
        incidents: c.incidents,
        created_at: timestamp::format(c.created_at),
    }
}

#[utoipa::path(get, path = "/notification-channels", tag = "notifications", security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 200, description = "Channels, secrets masked (editor)", body = Vec<Channel>), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError)))]
async fn list_channels(
    State(state): State<AppState>,
    _caller: EditorCaller,
) -> Result<Json<Vec<Channel>>, HttpError> {
    let channels = state.db.list_channels().await?;
    Ok(Json(channels.into_iter().map(channel).collect()))
}

#[utoipa::path(post, path = "/notification-channels", tag = "notifications", request_body = NewChannel, security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 201, description = "Created (admin)", body = Channel), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 409, description = "It exists already", body = ApiError), (status = 413, description = "The body is too large", body = ApiError), (status = 415, description = "Not JSON (Content-Type: application/json)", body = ApiError)))]
async fn create_channel(
    State(state): State<AppState>,
    _caller: AdminCaller,
    JsonBody(new): JsonBody<NewChannel>,
) -> Result<(StatusCode, Json<Channel>), HttpError> {
    check_channel(&new)?;
    let Some(id) = state.db.create_channel(&new).await? else {
        return Err(conflict(format!(
            "a channel named '{}' exists already",
            new.name
        )));
    };
    let created = state
        .db
        .channel(id)
        .await?
        .ok_or_else(|| HttpError::not_found(format!("channel {id} was deleted at once")))?;
    Ok((StatusCode::CREATED, Json(channel(created))))
}

fn id_of(what: &str, id: &str) -> Result<i64, HttpError> {
    id.parse()
        .map_err(|_| HttpError::not_found(format!("no {what} with id '{id}'")))
}

#[utoipa::path(delete, path = "/notification-channels/{id}", tag = "notifications", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("id" = i64, Path, description = "Channel id")), responses((status = 200, description = "Deleted (admin); rules no longer send there", body = ChannelDeleted), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn delete_channel(
    State(state): State<AppState>,
    _caller: AdminCaller,
    Path(id): Path<String>,
) -> Result<Json<ChannelDeleted>, HttpError> {
    let channel_id = id_of("channel", &id)?;
    if !state.db.delete_channel(channel_id).await? {
        return Err(HttpError::not_found(format!("no channel with id '{id}'")));
    }
    Ok(Json(ChannelDeleted {
        id: channel_id,
        deleted: true,
    }))
}

/// Messages link into the dashboard: without a public URL they would lead nowhere.
fn require_public_url(state: &AppState) -> Result<(), HttpError> {
    if state.notify.public_url.is_some() {
        return Ok(());
    }
    Err(conflict(
        "notifications need the address people open Seltzer at, for their links: start \
         `seltzer serve` with --public-url https://… (or SELTZER_PUBLIC_URL)"
            .to_owned(),
    ))
}

#[utoipa::path(post, path = "/notification-channels/{id}/test", tag = "notifications", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("id" = i64, Path, description = "Channel id")), responses((status = 202, description = "A test message (webhook: Soda Cloud's `validate` event) is queued (editor); its delivery shows how it went", body = DeliveryQueued), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError), (status = 409, description = "Seltzer has no public URL (--public-url)", body = ApiError)))]
async fn test_channel(
    State(state): State<AppState>,
    _caller: EditorCaller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<DeliveryQueued>), HttpError> {
    let channel_id = id_of("channel", &id)?;
    require_public_url(&state)?;
    if state.db.channel(channel_id).await?.is_none() {
        return Err(HttpError::not_found(format!("no channel with id '{id}'")));
    }
    let delivery = state.db.enqueue_test(channel_id).await?;
    state.wake_sender.notify_one();
    Ok((StatusCode::ACCEPTED, Json(DeliveryQueued { id: delivery })))
}

fn rule(r: RuleRow) -> Rule {
    Rule {
        id: r.id,
        definition: r.definition,
        created_at: timestamp::format(r.created_at),
        updated_at: timestamp::format(r.updated_at),
    }
}

async fn check_rule(state: &AppState, r: &RuleDefinition) -> Result<(), HttpError> {
    check_rule_shape(r)?;
    // A rule that only runs incidents sends nothing, so needs no channel (nor links).
    if r.channel_ids.is_empty() && r.incidents.is_some() {
        return Ok(());
    }
    if r.channel_ids.is_empty() || r.channel_ids.len() > 20 {
        return Err(HttpError::bad_request(
            "channelIds must name 1 to 20 channels (or none, for a rule that only runs \
             incidents)",
        ));
    }
    require_public_url(state)?;
    let channels = state.db.list_channels().await?;
    let known: Vec<i64> = channels.iter().map(|c| c.id).collect();
    if let Some(unknown) = r.channel_ids.iter().find(|id| !known.contains(id)) {
        return Err(HttpError::bad_request(format!(
            "channelIds: no channel {unknown}"
        )));
    }
    Ok(())
}

/// What a rule says, whether or not it can send yet.
fn check_rule_shape(r: &RuleDefinition) -> Result<(), HttpError> {
    if r.name.trim().is_empty() || r.name.chars().count() > 100 {
        return Err(HttpError::bad_request("name must have 1 to 100 characters"));
    }
    if r.outcomes.is_empty() || r.outcomes.contains(&shared::api::CheckOutcome::Pass) {
        return Err(HttpError::bad_request(
            "outcomes must be [\"fail\"] or [\"fail\", \"warn\"]",
        ));
    }
    if !(0..=10_080).contains(&r.suppress_minutes) {
        return Err(HttpError::bad_request(
            "suppressMinutes must be from 0 to 10080 (a week)",
        ));
    }
    if r.no_scan_hours.is_some_and(|h| !(1..=8_760).contains(&h)) {
        return Err(HttpError::bad_request(
            "noScanHours must be from 1 to 8760 (a year)",
        ));
    }
    if r.late_run_minutes
        .is_some_and(|m| !(1..=1_440).contains(&m))
    {
        return Err(HttpError::bad_request(
            "lateRunMinutes must be from 1 to 1440 (a day)",
        ));
    }
    let text = [
        &r.filter.data_source,
        &r.filter.dataset,
        &r.filter.check_name,
    ];
    if text
        .iter()
        .any(|t| t.as_ref().is_some_and(|t| t.chars().count() > 200))
        || r.filter.attributes.len() > 20
    {
        return Err(HttpError::bad_request(
            "filter: values are limited to 200 characters, attributes to 20",
        ));
    }
    Ok(())
}

#[utoipa::path(post, path = "/notification-rules/simulate", tag = "notifications", request_body = SimulationRequest, security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 200, description = "What the rule would have sent over the stored results of the last days, in its mode and in the other (editor)", body = Simulation), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 413, description = "The body is too large", body = ApiError), (status = 415, description = "Not JSON (Content-Type: application/json)", body = ApiError)))]
async fn simulate_rule(
    State(state): State<AppState>,
    _caller: EditorCaller,
    JsonBody(request): JsonBody<SimulationRequest>,
) -> Result<Json<Simulation>, HttpError> {
    check_rule_shape(&request.rule)?;
    if !(1..=365).contains(&request.days) {
        return Err(HttpError::bad_request("days must be from 1 to 365"));
    }
    let from = timestamp::now() - request.days * 86_400_000;
    let mut simulation = state.db.simulate_rule(&request.rule, from).await?;
    simulation.days = request.days;
    Ok(Json(simulation))
}

#[utoipa::path(get, path = "/notification-rules", tag = "notifications", security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 200, description = "Rules, by name", body = Vec<Rule>), (status = 401, description = "No or wrong credentials", body = ApiError)))]
async fn list_rules(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Vec<Rule>>, HttpError> {
    Ok(Json(
        state.db.list_rules().await?.into_iter().map(rule).collect(),
    ))
}

#[utoipa::path(post, path = "/notification-rules", tag = "notifications", request_body = RuleDefinition, security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 201, description = "Created (editor)", body = Rule), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 409, description = "It exists already, or Seltzer has no public URL (--public-url)", body = ApiError), (status = 413, description = "The body is too large", body = ApiError), (status = 415, description = "Not JSON (Content-Type: application/json)", body = ApiError)))]
async fn create_rule(
    State(state): State<AppState>,
    _caller: EditorCaller,
    JsonBody(definition): JsonBody<RuleDefinition>,
) -> Result<(StatusCode, Json<Rule>), HttpError> {
    check_rule(&state, &definition).await?;
    let Some(id) = state.db.create_rule(&definition).await? else {
        return Err(conflict(format!(
            "a rule named '{}' exists already",
            definition.name
        )));
    };
    let created = find_rule(&state, id).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn find_rule(state: &AppState, id: i64) -> Result<Rule, HttpError> {
    let rules = state.db.list_rules().await?;
    rules
        .into_iter()
        .find(|r| r.id == id)
        .map(rule)
        .ok_or_else(|| HttpError::not_found(format!("no rule with id '{id}'")))
}

#[utoipa::path(put, path = "/notification-rules/{id}", tag = "notifications", request_body = RuleDefinition, params(("id" = i64, Path, description = "Rule id")), security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 200, description = "Replaced (editor)", body = Rule), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError), (status = 409, description = "Another rule has that name, or Seltzer has no public URL", body = ApiError), (status = 413, description = "The body is too large", body = ApiError), (status = 415, description = "Not JSON (Content-Type: application/json)", body = ApiError)))]
async fn update_rule(
    State(state): State<AppState>,
    _caller: EditorCaller,
    Path(id): Path<String>,
    JsonBody(definition): JsonBody<RuleDefinition>,
) -> Result<Json<Rule>, HttpError> {
    let rule_id = id_of("rule", &id)?;
    check_rule(&state, &definition).await?;
    if state.db.rule_name_taken(&definition.name, rule_id).await? {
        return Err(conflict(format!(
            "a rule named '{}' exists already",
            definition.name
        )));
    }
    if !state.db.update_rule(rule_id, &definition).await? {
        return Err(HttpError::not_found(format!("no rule with id '{id}'")));
    }
    Ok(Json(find_rule(&state, rule_id).await?))
}

#[utoipa::path(delete, path = "/notification-rules/{id}", tag = "notifications", params(("id" = i64, Path, description = "Rule id")), security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 200, description = "Deleted (editor)", body = RuleDeleted), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn delete_rule(
    State(state): State<AppState>,
    _caller: EditorCaller,
    Path(id): Path<String>,
) -> Result<Json<RuleDeleted>, HttpError> {
    let rule_id = id_of("rule", &id)?;
    if !state.db.delete_rule(rule_id).await? {
        return Err(HttpError::not_found(format!("no rule with id '{id}'")));
    }
    Ok(Json(RuleDeleted {
        id: rule_id,
        deleted: true,
    }))
}

fn delivery(d: DeliveryRow) -> Delivery {
    let status = DeliveryStatus::parse(&d.status).unwrap_or(DeliveryStatus::Dead);
    Delivery {
        id: d.id,
        channel_id: d.channel_id,
        channel: d.channel,
        event: d.event,
        scan_id: d.scan_id,
        status,
        attempts: d.attempts,
        last_response: d.last_response,
        created_at: timestamp::format(d.created_at),
        next_attempt_at: (status == DeliveryStatus::Pending)
            .then(|| timestamp::format(d.next_attempt_at)),
        delivered_at: d.delivered_at.map(timestamp::format),
        checks: d.checks,
    }
}

#[utoipa::path(get, path = "/notification-deliveries", tag = "notifications", params(PageQuery), security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 200, description = "Every message to every channel, newest first, with its attempts (editor)", body = DeliveryList), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError)))]
async fn list_deliveries(
    State(state): State<AppState>,
    _caller: EditorCaller,
    TypedQuery(q): TypedQuery<PageQuery>,
) -> Result<Json<DeliveryList>, HttpError> {
    let (page, size) = page_and_size(&q.page, &q.size, 50, 1, 500)?;
    let (rows, total) = state.db.list_deliveries(page * size, size).await?;
    Ok(Json(DeliveryList {
        items: rows.into_iter().map(delivery).collect(),
        total,
        page,
        size,
    }))
}

#[utoipa::path(post, path = "/notification-deliveries/{id}/redeliver", tag = "notifications", params(("id" = String, Path, description = "Delivery id")), security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 202, description = "Queued again, with the same id (editor)", body = DeliveryQueued), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn redeliver(
    State(state): State<AppState>,
    _caller: EditorCaller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<DeliveryQueued>), HttpError> {
    if id.len() > 64 || !state.db.redeliver(&id).await? {
        return Err(HttpError::not_found(format!("no delivery with id '{id}'")));
    }
    state.wake_sender.notify_one();
    Ok((StatusCode::ACCEPTED, Json(DeliveryQueued { id })))
}
