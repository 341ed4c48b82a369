//! `GET /api/health`: for load balancers and for the dashboard's footer. Reports `ok` only when
//! the database answers, so a balancer stops sending traffic to a process that lost it.

use axum::Json;
use axum::extract::State;
use shared::api::ApiError;
use shared::api::Health;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, HttpError};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health))
}

#[utoipa::path(get, path = "/health", tag = "system", responses((status = 200, body = Health), (status = 503, description = "The database is unreachable", body = ApiError)))]
async fn health(State(state): State<AppState>) -> Result<Json<Health>, HttpError> {
    state.db.ping().await?;
    Ok(Json(Health {
        status: "ok".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        database: state.db.engine(),
    }))
}
