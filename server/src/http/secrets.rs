//! Secrets over the API (admins): stored encrypted, listed by name and times, never shown
//! again; data source configurations refer to them as `${secret:NAME}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use shared::api::{ApiError, NewSecret, Removed, SecretInfo};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::AdminCaller;
use super::extract::JsonBody;
use super::{AppState, HttpError};
use crate::secrets;
use crate::timestamp;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_secrets, put_secret))
        .routes(routes!(delete_secret))
}

/// A 400 unless `name` can name a secret, a data source, a definition or an agent.
pub(super) fn check_name(field: &str, name: &str) -> Result<(), HttpError> {
    if secrets::valid_name(name) {
        Ok(())
    } else {
        Err(HttpError::bad_request(format!(
            "{field}: '{name}' must be 1 to 100 letters, digits, '_' or '-'"
        )))
    }
}

fn secret_info((name, created, updated): (String, i64, i64)) -> SecretInfo {
    SecretInfo {
        name,
        created_at: timestamp::format(created),
        updated_at: timestamp::format(updated),
    }
}

#[utoipa::path(get, path = "/secrets", tag = "runs", security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 200, description = "Every secret's name and times (admins), never a value", body = Vec<SecretInfo>), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError)))]
async fn list_secrets(
    State(state): State<AppState>,
    _admin: AdminCaller,
) -> Result<Json<Vec<SecretInfo>>, HttpError> {
    let list = state.db.list_secrets().await?;
    Ok(Json(list.into_iter().map(secret_info).collect()))
}

#[utoipa::path(post, path = "/secrets", tag = "runs", request_body = NewSecret, security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 201, description = "Stored, encrypted (admin)", body = SecretInfo), (status = 200, description = "Replaced", body = SecretInfo), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 503, description = "SELTZER_SECRET_KEY is not set", body = ApiError), (status = 413, description = "The body is too large", body = ApiError), (status = 415, description = "Not JSON (Content-Type: application/json)", body = ApiError)))]
async fn put_secret(
    State(state): State<AppState>,
    _admin: AdminCaller,
    JsonBody(new): JsonBody<NewSecret>,
) -> Result<(StatusCode, Json<SecretInfo>), HttpError> {
    check_name("name", &new.name)?;
    if new.value.len() > 64 * 1024 {
        return Err(HttpError::bad_request("value is limited to 64 KiB"));
    }
    let Some(key) = &state.secret_key else {
        return Err(HttpError::new(
            shared::api::ErrorCode::Unavailable,
            "secrets cannot be stored: start Seltzer with SELTZER_SECRET_KEY set (32 random \
             bytes in base64, e.g. from `openssl rand -base64 32`)",
        ));
    };
    let sealed = key.seal(&new.name, &new.value);
    let created = state
        .db
        .put_secret(&new.name, &sealed.nonce, &sealed.ciphertext)
        .await?;
    let info = state
        .db
        .list_secrets()
        .await?
        .into_iter()
        .find(|s| s.0 == new.name)
        .map(secret_info)
        .ok_or_else(|| HttpError::not_found(format!("no secret '{}'", new.name)))?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(info)))
}

#[utoipa::path(delete, path = "/secrets/{name}", tag = "runs", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("name" = String, Path, description = "Secret name")), responses((status = 200, description = "Removed (admin)", body = Removed), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn delete_secret(
    State(state): State<AppState>,
    _admin: AdminCaller,
    Path(name): Path<String>,
) -> Result<Json<Removed>, HttpError> {
    if !state.db.delete_secret(&name).await? {
        return Err(HttpError::not_found(format!("no secret '{name}'")));
    }
    Ok(Json(Removed {
        name,
        removed: true,
    }))
}
