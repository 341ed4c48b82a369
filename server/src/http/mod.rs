//! The HTTP surface: `/api/...` (one module per area; Soda Core's protocol in `soda`)
//! and, for every other path, the dashboard.

mod admin;
mod agents;
pub mod assets;
pub mod auth;
mod checks;
mod data_sources;
mod datasets;
mod error;
mod extract;
mod health;
mod incidents;
mod notifications;
pub mod openapi;
mod scan_definitions;
mod scan_runs;
mod scans;
mod secrets;
mod soda;
mod v1;

pub use error::HttpError;

use std::sync::Arc;

use axum::Router;
use axum::extract::{OriginalUri, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use shared::api::{ApiError, ErrorCode};
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::config::{IngestConfig, NotifyConfig};
use crate::secrets::SecretKey;
use crate::storage::Database;
use assets::Assets;

/// What every handler can reach. Cheap to clone (one per request).
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: Database,
    pub assets: Arc<Assets>,
    pub ingest: Arc<IngestConfig>,
    pub verified_keys: Arc<auth::VerifiedKeys>,
    /// Kibibytes of scan-results bodies held in memory at once, all requests together (see
    /// `soda::read_body`).
    pub body_budget: Arc<tokio::sync::Semaphore>,
    pub notify: Arc<NotifyConfig>,
    /// Wakes the notification sender: a stored scan or a test may have something to send.
    pub wake_sender: Arc<tokio::sync::Notify>,
    /// Seals and opens secrets; `None` without `SELTZER_SECRET_KEY`.
    pub secret_key: Option<SecretKey>,
    /// Wakes the scan runner: a run was queued or canceled, a definition changed.
    pub wake_runner: Arc<tokio::sync::Notify>,
    /// Where `${file:PATH}` references may point (see `RunnerConfig::secret_files_dir`).
    pub secret_files_dir: Arc<std::path::PathBuf>,
    /// How long a run stays an agent's without a heartbeat (`RunnerConfig::lease_ms`).
    pub run_lease_ms: i64,
}

impl AppState {
    pub fn new(db: Database, assets: Assets, ingest: IngestConfig) -> Self {
        let body_budget = Arc::new(tokio::sync::Semaphore::new(ingest.body_budget_kib()));
        Self {
            db,
            assets: Arc::new(assets),
            ingest: Arc::new(ingest),
            verified_keys: Arc::default(),
            body_budget,
            notify: Arc::new(NotifyConfig::default()),
            wake_sender: Arc::default(),
            secret_key: None,
            wake_runner: Arc::default(),
            secret_files_dir: Arc::new(crate::config::DEFAULT_SECRET_FILES_DIR.into()),
            run_lease_ms: crate::config::RunnerConfig::default().lease_ms,
        }
    }

    /// The same state leasing runs to agents for `lease_ms`.
    pub fn with_run_lease_ms(mut self, lease_ms: i64) -> Self {
        self.run_lease_ms = lease_ms;
        self
    }

    /// The same state allowing `${file:PATH}` references under `dir` only.
    pub fn with_secret_files_dir(mut self, dir: std::path::PathBuf) -> Self {
        self.secret_files_dir = Arc::new(dir);
        self
    }

    /// The same state sealing secrets with `key`.
    pub fn with_secret_key(mut self, key: Option<SecretKey>) -> Self {
        self.secret_key = key;
        self
    }

    /// The same state with these notification settings.
    pub fn with_notify(mut self, notify: NotifyConfig) -> Self {
        self.notify = Arc::new(notify);
        self
    }
}

/// The whole application. Tests drive it in-process with `tower::ServiceExt::oneshot`.
pub fn router(state: AppState) -> Router {
    let (api, document) = api_routes().split_for_parts();
    let document = openapi::ApiDoc::openapi().nest("/api", document);
    let api = api
        .route("/v1/openapi.json", openapi::route(document))
        .fallback(api_not_found)
        .method_not_allowed_fallback(api_method_not_allowed);
    Router::new()
        .nest("/api", api)
        .fallback(not_api_or_dashboard)
        .with_state(state)
        .layer(axum::middleware::from_fn(hardening))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
}

/// Every documented route under `/api`, one router per area.
fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(health::routes())
        .merge(soda::routes())
        .merge(auth::routes())
        .merge(v1::routes())
        .merge(checks::routes())
        .merge(datasets::routes())
        .merge(scans::routes())
        .merge(admin::routes())
        .merge(notifications::routes())
        .merge(incidents::routes())
        .merge(secrets::routes())
        .merge(data_sources::routes())
        .merge(scan_definitions::routes())
        .merge(scan_runs::routes())
        .merge(agents::routes())
}

/// Headers every response carries (no MIME sniffing, no framing by other sites, no full
/// referrer to other sites), and under `/api` the JSON error shape for every error, including
/// those answered before a handler ran (a body over its limit, a malformed path parameter),
/// which axum words as plain text.
async fn hardening(request: Request, next: Next) -> Response {
    let api = request.uri().path() == "/api" || request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    if api {
        response = json_error_shape(response).await;
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// An error response that is not JSON, rewritten as `{"code","message"}` with its status.
async fn json_error_shape(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let code = match status {
        StatusCode::UNAUTHORIZED => ErrorCode::Unauthorized,
        StatusCode::FORBIDDEN => ErrorCode::Forbidden,
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::CONFLICT => ErrorCode::Conflict,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        StatusCode::TOO_MANY_REQUESTS => ErrorCode::TooManyRequests,
        StatusCode::SERVICE_UNAVAILABLE => ErrorCode::Unavailable,
        s if s.is_server_error() => ErrorCode::Internal,
        _ => ErrorCode::BadRequest,
    };
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 16 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        text
    };
    let mut rewritten = (status, axum::Json(ApiError::new(code, message))).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rewritten.headers_mut().insert(name, value.clone());
        }
    }
    rewritten
}

/// Paths the nested API router does not see (such as `/api/` itself) still answer JSON; every
/// other path belongs to the dashboard.
async fn not_api_or_dashboard(
    state: State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path();
    if path == "/api" || path.starts_with("/api/") {
        return api_not_found(method, OriginalUri(uri))
            .await
            .into_response();
    }
    assets::serve(state, uri, headers).await
}

/// Unknown API paths answer JSON, never the dashboard's index.html.
/// (`OriginalUri`: inside the nested router, `Uri` would have lost its `/api` prefix.)
async fn api_not_found(method: Method, OriginalUri(uri): OriginalUri) -> HttpError {
    HttpError::not_found(format!("no API endpoint {method} {}", uri.path()))
}

async fn api_method_not_allowed(method: Method, OriginalUri(uri): OriginalUri) -> HttpError {
    HttpError::method_not_allowed(format!("{method} is not allowed on {}", uri.path()))
}
