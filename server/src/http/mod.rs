//! The HTTP surface: `/api/...` (one module per area; Soda Core's protocol lives in `ingest`)
//! and, for every other path, the dashboard.

mod admin;
pub mod assets;
pub mod auth;
mod checks;
mod datasets;
mod error;
mod health;
pub mod openapi;
mod params;
mod scans;
mod v1;

pub use error::HttpError;

use std::sync::Arc;

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

use crate::ingest::{self, IngestConfig};
use crate::storage::Database;
use assets::Assets;

/// What every handler can reach. Cheap to clone (one per request).
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: Database,
    pub assets: Arc<Assets>,
    pub ingest: Arc<IngestConfig>,
    pub verified_keys: Arc<auth::VerifiedKeys>,
}

impl AppState {
    pub fn new(db: Database, assets: Assets, ingest: IngestConfig) -> Self {
        Self {
            db,
            assets: Arc::new(assets),
            ingest: Arc::new(ingest),
            verified_keys: Arc::default(),
        }
    }
}

/// The whole application. Tests drive it in-process with `tower::ServiceExt::oneshot`.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(health::routes())
        .merge(ingest::routes(&state.ingest))
        .merge(auth::routes())
        .merge(v1::routes())
        .merge(checks::routes())
        .merge(datasets::routes())
        .merge(scans::routes())
        .merge(admin::routes())
        .merge(openapi::routes())
        .fallback(api_not_found)
        .method_not_allowed_fallback(api_method_not_allowed);
    Router::new()
        .nest("/api", api)
        .fallback(not_api_or_dashboard)
        .with_state(state)
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
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
