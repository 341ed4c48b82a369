//! The one place that talks to the server. Every call decodes the shared API types, and every
//! failure becomes an `ApiError` whose message can be shown to the user as it is.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use shared::api::{AgentInfo, AgentKey, NewAgent};
use shared::api::{
    ApiError, ApiKeyInfo, AttributeInfo, CheckDetail, CheckHistory, CheckList, CheckResultDetail,
    CreatedApiKey, DatasetDetail, DatasetList, ErrorCode, Health, LoginRequest, Me, NewApiKey,
    NewAttribute, NewUser, Role, Samples, ScanDetailView, ScanList, UserCreated, UserInfo,
};
use shared::api::{
    Channel, DeliveryList, NewChannel, Rule, RuleDefinition, Simulation, SimulationRequest,
};
use shared::api::{
    DataSourceInfo, NewDataSource, NewScanDefinition, NewSecret, RunLogs, ScanDefinitionInfo,
    ScanDefinitionVersion, ScanRun, ScanRunList, SecretInfo,
};
use shared::api::{
    IncidentChange, IncidentDetail, IncidentLinks, IncidentList, NewIncident, NewIncidentComment,
};

use crate::url::encode;

pub async fn health() -> Result<Health, ApiError> {
    get_json("/api/health").await
}

/// Who is signed in; `ErrorCode::Unauthorized` when nobody is (or the session expired).
pub async fn me() -> Result<Me, ApiError> {
    get_json("/api/auth/me").await
}

pub async fn login(email: String, password: String) -> Result<Me, ApiError> {
    let request = Request::post("/api/auth/login")
        .json(&LoginRequest { email, password })
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    decode("/api/auth/login", request.send().await).await
}

pub async fn logout() -> Result<(), ApiError> {
    let response = Request::post("/api/auth/logout").send().await;
    match response {
        Ok(r) if r.ok() => Ok(()),
        Ok(r) => Err(error_of("/api/auth/logout", r).await),
        Err(e) => Err(unreachable(&e)),
    }
}

/// `GET /api/checks` with the dashboard's query string (without `?`).
pub async fn checks(query: &str) -> Result<CheckList, ApiError> {
    get_json(&format!("/api/checks?{query}")).await
}

/// Every dataset with its status (the first 500) and its failed checks in its last 20 scans.
/// Only those of one health (`DatasetHealth::as_str`) when given.
pub async fn datasets(health: Option<&str>) -> Result<DatasetList, ApiError> {
    let filter = health
        .map(|h| format!("&health={}", encode(h)))
        .unwrap_or_default();
    get_json(&format!("/api/datasets?size=500&trend=20{filter}")).await
}

/// Every dataset's id and name, `data source / name`, for choosing one (the first 500).
pub async fn dataset_names() -> Result<Vec<(i64, String)>, ApiError> {
    let list: DatasetList = get_json("/api/datasets?size=500").await?;
    Ok(list
        .items
        .into_iter()
        .map(|d| (d.id, format!("{} / {}", d.data_source, d.name)))
        .collect())
}

/// One scan with its checks and the first page of its log.
pub async fn scan(id: &str) -> Result<ScanDetailView, ApiError> {
    get_json(&format!("/api/scans/{}", encode(id))).await
}

/// One scan with the page of its log that starts at `log_offset`.
pub async fn scan_log_page(id: i64, log_offset: usize) -> Result<ScanDetailView, ApiError> {
    get_json(&format!("/api/scans/{id}?logOffset={log_offset}")).await
}

/// `GET /api/scans` with the scans page's query string (without `?`).
pub async fn scans(query: &str) -> Result<ScanList, ApiError> {
    get_json(&format!("/api/scans?{query}")).await
}

pub async fn check(id: &str) -> Result<CheckDetail, ApiError> {
    get_json(&format!("/api/checks/{}", encode(id))).await
}

/// A check's history over the last `days` days (all of it when `None`), at most `max_points`
/// (the server keeps the worst result of each time bucket beyond that).
pub async fn history(
    id: &str,
    days: Option<u32>,
    max_points: u32,
) -> Result<CheckHistory, ApiError> {
    let range = days.map(|d| format!("&days={d}")).unwrap_or_default();
    get_json(&format!(
        "/api/checks/{}/history?maxPoints={max_points}{range}",
        encode(id)
    ))
    .await
}

pub async fn check_result(id: i64) -> Result<CheckResultDetail, ApiError> {
    get_json(&format!("/api/check-results/{id}")).await
}

pub async fn samples(result_id: i64) -> Result<Samples, ApiError> {
    get_json(&format!("/api/check-results/{result_id}/samples")).await
}

/// Checks that were sent with any of these identities (the editor's backtest).
pub async fn checks_by_identity(identities: &[String]) -> Result<CheckList, ApiError> {
    let list = identities
        .iter()
        .map(|i| encode(i))
        .collect::<Vec<_>>()
        .join(",");
    get_json(&format!("/api/checks?size=500&identity={list}")).await
}

pub async fn dataset(id: &str) -> Result<DatasetDetail, ApiError> {
    get_json(&format!("/api/datasets/{}", encode(id))).await
}

pub async fn api_keys() -> Result<Vec<ApiKeyInfo>, ApiError> {
    get_json("/api/api-keys").await
}

pub async fn create_api_key(
    name: String,
    role: Role,
    data_sources: Option<Vec<String>>,
) -> Result<CreatedApiKey, ApiError> {
    let request = Request::post("/api/api-keys")
        .json(&NewApiKey {
            name,
            role: Some(role),
            data_sources,
        })
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    decode("/api/api-keys", request.send().await).await
}

pub async fn revoke_api_key(id: &str) -> Result<(), ApiError> {
    let path = format!("/api/api-keys/{}", encode(id));
    send_ok(&path, Request::delete(&path)).await
}

/// Creates a user; answers the email as the server stored it (trimmed, lower-cased).
pub async fn create_user(user: &NewUser) -> Result<String, ApiError> {
    let request = Request::post("/api/users")
        .json(user)
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    let created: UserCreated = decode("/api/users", request.send().await).await?;
    Ok(created.email)
}

pub async fn disable_user(email: &str) -> Result<(), ApiError> {
    let path = format!("/api/users/{}/disable", encode(email));
    send_ok(&path, Request::post(&path)).await
}

pub async fn create_attribute(attribute: &NewAttribute) -> Result<(), ApiError> {
    post_ok("/api/attributes", attribute).await
}

pub async fn delete_attribute(name: &str) -> Result<(), ApiError> {
    let path = format!("/api/attributes/{}", encode(name));
    send_ok(&path, Request::delete(&path)).await
}

pub async fn channels() -> Result<Vec<Channel>, ApiError> {
    get_json("/api/notification-channels").await
}

pub async fn create_channel(channel: &NewChannel) -> Result<(), ApiError> {
    post_ok("/api/notification-channels", channel).await
}

pub async fn delete_channel(id: i64) -> Result<(), ApiError> {
    let path = format!("/api/notification-channels/{id}");
    send_ok(&path, Request::delete(&path)).await
}

/// Queues a test message to a channel; the delivery log shows how it went.
pub async fn test_channel(id: i64) -> Result<(), ApiError> {
    let path = format!("/api/notification-channels/{id}/test");
    send_ok(&path, Request::post(&path)).await
}

pub async fn rules() -> Result<Vec<Rule>, ApiError> {
    get_json("/api/notification-rules").await
}

pub async fn create_rule(rule: &RuleDefinition) -> Result<(), ApiError> {
    post_ok("/api/notification-rules", rule).await
}

pub async fn update_rule(id: i64, rule: &RuleDefinition) -> Result<(), ApiError> {
    let path = format!("/api/notification-rules/{id}");
    json_ok(&path, Request::put(&path), rule).await
}

pub async fn delete_rule(id: i64) -> Result<(), ApiError> {
    let path = format!("/api/notification-rules/{id}");
    send_ok(&path, Request::delete(&path)).await
}

/// What a rule would have sent over the last `days` days of stored results.
pub async fn simulate_rule(rule: RuleDefinition, days: i64) -> Result<Simulation, ApiError> {
    let path = "/api/notification-rules/simulate";
    let request = Request::post(path)
        .json(&SimulationRequest { rule, days })
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    decode(path, request.send().await).await
}

pub async fn deliveries() -> Result<DeliveryList, ApiError> {
    get_json("/api/notification-deliveries?size=50").await
}

pub async fn redeliver(id: &str) -> Result<(), ApiError> {
    let path = format!("/api/notification-deliveries/{}/redeliver", encode(id));
    send_ok(&path, Request::post(&path)).await
}

/// `GET /api/incidents` with the page's query string (without `?`).
pub async fn incidents(query: &str) -> Result<IncidentList, ApiError> {
    get_json(&format!("/api/incidents?{query}")).await
}

pub async fn incident(id: &str) -> Result<IncidentDetail, ApiError> {
    get_json(&format!("/api/incidents/{}", encode(id))).await
}

pub async fn create_incident(incident: &NewIncident) -> Result<IncidentDetail, ApiError> {
    send_json("/api/incidents", Request::post("/api/incidents"), incident).await
}

pub async fn change_incident(id: i64, change: &IncidentChange) -> Result<IncidentDetail, ApiError> {
    let path = format!("/api/incidents/{id}");
    send_json(&path, Request::patch(&path), change).await
}

pub async fn link_incident(
    id: i64,
    check_result_ids: Vec<i64>,
) -> Result<IncidentDetail, ApiError> {
    let path = format!("/api/incidents/{id}/check-results");
    send_json(
        &path,
        Request::post(&path),
        &IncidentLinks { check_result_ids },
    )
    .await
}

pub async fn comment_incident(id: i64, text: String) -> Result<IncidentDetail, ApiError> {
    let path = format!("/api/incidents/{id}/comments");
    send_json(&path, Request::post(&path), &NewIncidentComment { text }).await
}

/// Sends `body` as JSON; the answer decoded.
async fn send_json<B: serde::Serialize, T: DeserializeOwned>(
    path: &str,
    request: RequestBuilder,
    body: &B,
) -> Result<T, ApiError> {
    let request = request
        .json(body)
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    decode(path, request.send().await).await
}

/// POSTs `body` as JSON; only success matters.
async fn post_ok<B: serde::Serialize>(path: &str, body: &B) -> Result<(), ApiError> {
    json_ok(path, Request::post(path), body).await
}

/// Sends `body` as JSON; only success matters.
async fn json_ok<B: serde::Serialize>(
    path: &str,
    request: RequestBuilder,
    body: &B,
) -> Result<(), ApiError> {
    let request = request
        .json(body)
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    match request.send().await {
        Ok(r) if r.ok() => Ok(()),
        Ok(r) => Err(error_of(path, r).await),
        Err(e) => Err(unreachable(&e)),
    }
}

/// Sends a request without a body; only success matters.
async fn send_ok(path: &str, request: RequestBuilder) -> Result<(), ApiError> {
    match request.send().await {
        Ok(r) if r.ok() => Ok(()),
        Ok(r) => Err(error_of(path, r).await),
        Err(e) => Err(unreachable(&e)),
    }
}

pub async fn secrets() -> Result<Vec<SecretInfo>, ApiError> {
    get_json("/api/secrets").await
}

pub async fn put_secret(secret: &NewSecret) -> Result<(), ApiError> {
    post_ok("/api/secrets", secret).await
}

pub async fn data_sources() -> Result<Vec<DataSourceInfo>, ApiError> {
    get_json("/api/data-sources").await
}

pub async fn create_data_source(source: &NewDataSource) -> Result<(), ApiError> {
    post_ok("/api/data-sources", source).await
}

pub async fn delete_data_source(name: &str) -> Result<(), ApiError> {
    let path = format!("/api/data-sources/{}", encode(name));
    send_ok(&path, Request::delete(&path)).await
}

pub async fn agents() -> Result<Vec<AgentInfo>, ApiError> {
    get_json("/api/agents").await
}

/// Registers an agent: its key, shown this once.
pub async fn create_agent(name: String) -> Result<AgentKey, ApiError> {
    send_json(
        "/api/agents",
        Request::post("/api/agents"),
        &NewAgent { name },
    )
    .await
}

/// A new key for an agent (the old one stops working).
pub async fn new_agent_key(name: &str) -> Result<AgentKey, ApiError> {
    let path = format!("/api/agents/{}/key", encode(name));
    decode(&path, Request::post(&path).send().await).await
}

pub async fn delete_agent(name: &str) -> Result<(), ApiError> {
    let path = format!("/api/agents/{}", encode(name));
    send_ok(&path, Request::delete(&path)).await
}

pub async fn scan_definitions() -> Result<Vec<ScanDefinitionInfo>, ApiError> {
    get_json("/api/scan-definitions").await
}

pub async fn scan_definition(name: &str) -> Result<ScanDefinitionInfo, ApiError> {
    get_json(&format!("/api/scan-definitions/{}", encode(name))).await
}

pub async fn create_scan_definition(
    definition: &NewScanDefinition,
) -> Result<ScanDefinitionInfo, ApiError> {
    send_json(
        "/api/scan-definitions",
        Request::post("/api/scan-definitions"),
        definition,
    )
    .await
}

pub async fn update_scan_definition(
    definition: &NewScanDefinition,
) -> Result<ScanDefinitionInfo, ApiError> {
    let path = format!("/api/scan-definitions/{}", encode(&definition.name));
    send_json(&path, Request::put(&path), definition).await
}

pub async fn definition_versions(name: &str) -> Result<Vec<ScanDefinitionVersion>, ApiError> {
    get_json(&format!("/api/scan-definitions/{}/versions", encode(name))).await
}

pub async fn definition_runs(name: &str, page: i64) -> Result<ScanRunList, ApiError> {
    get_json(&format!(
        "/api/scan-definitions/{}/runs?page={page}&size=20",
        encode(name)
    ))
    .await
}

/// "Run now": the queued run.
pub async fn run_now(name: &str) -> Result<ScanRun, ApiError> {
    let path = format!("/api/scan-definitions/{}/runs", encode(name));
    decode(&path, Request::post(&path).send().await).await
}

/// A dry run of unsaved checks on the definition's data source: the queued run.
pub async fn dry_run(name: &str, checks: &str) -> Result<ScanRun, ApiError> {
    let path = format!("/api/scan-definitions/{}/dry-run", encode(name));
    let body = shared::api::DryRunRequest {
        checks: checks.to_owned(),
    };
    send_json(&path, Request::post(&path), &body).await
}

/// The signed-in stakeholder approves `version` of a definition.
pub async fn approve_definition(name: &str, version: i64) -> Result<ScanDefinitionInfo, ApiError> {
    let path = format!("/api/scan-definitions/{}/approvals", encode(name));
    let body = shared::api::ApprovalRequest { version };
    send_json(&path, Request::post(&path), &body).await
}

/// Two runs of one definition side by side.
pub async fn compare_runs(id: i64, with: i64) -> Result<shared::api::RunComparison, ApiError> {
    get_json(&format!("/api/scan-runs/{id}/compare?with={with}")).await
}

pub async fn scan_run(id: &str) -> Result<ScanRun, ApiError> {
    get_json(&format!("/api/scan-runs/{}", encode(id))).await
}

/// A run's log lines after `after`.
pub async fn run_logs(id: i64, after: i64) -> Result<RunLogs, ApiError> {
    get_json(&format!(
        "/api/scan-runs/{id}/logs?after={after}&limit=2000"
    ))
    .await
}

pub async fn cancel_run(id: i64) -> Result<ScanRun, ApiError> {
    let path = format!("/api/scan-runs/{id}/cancel");
    decode(&path, Request::post(&path).send().await).await
}

pub async fn users() -> Result<Vec<UserInfo>, ApiError> {
    get_json("/api/users").await
}

pub async fn attributes() -> Result<Vec<AttributeInfo>, ApiError> {
    get_json("/api/attributes").await
}

async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    decode(path, Request::get(path).send().await).await
}

fn unreachable(e: &gloo_net::Error) -> ApiError {
    ApiError::new(ErrorCode::Unavailable, format!("cannot reach Seltzer: {e}"))
}

async fn decode<T: DeserializeOwned>(
    path: &str,
    response: Result<Response, gloo_net::Error>,
) -> Result<T, ApiError> {
    let response = response.map_err(|e| unreachable(&e))?;
    if response.ok() {
        return response.json::<T>().await.map_err(|e| {
            ApiError::new(
                ErrorCode::Internal,
                format!("unexpected answer from {path}: {e}"),
            )
        });
    }
    Err(error_of(path, response).await)
}

async fn error_of(path: &str, response: Response) -> ApiError {
    let status = response.status();
    response.json::<ApiError>().await.unwrap_or_else(|_| {
        ApiError::new(
            ErrorCode::Internal,
            format!("{path} answered HTTP {status}"),
        )
    })
}
