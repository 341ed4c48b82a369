//! Managing Seltzer over the API, by role:
//! - check attribute definitions: read by anyone signed in, changed by editors and admins;
//! - API keys and users: admins only. A new key's secret is in the answer once, never again.

use axum::extract::{Path, State};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use shared::api::ApiError;
use shared::api::{
    ApiKeyInfo, CreatedApiKey, ErrorCode, NewApiKey, NewAttribute, NewUser, Role, UserInfo,
};

use super::auth::Caller;
use super::{AppState, HttpError};
use crate::storage::AttributeDefinition;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/attributes", get(list_attributes).post(create_attribute))
        .route("/attributes/{name}", delete(delete_attribute))
        .route("/api-keys", get(list_keys).post(create_key))
        .route("/api-keys/{id}", delete(revoke_key))
        .route("/users", get(list_users).post(create_user))
        .route("/users/{email}/disable", axum::routing::post(disable_user))
}

fn body<T: for<'de> Deserialize<'de>>(bytes: &[u8], shape: &str) -> Result<T, HttpError> {
    serde_json::from_slice(bytes)
        .map_err(|e| HttpError::bad_request(format!("expected {shape}: {e}")))
}

#[utoipa::path(get, path = "/api/attributes", tag = "admin", security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 200, description = "Check attribute definitions"), (status = 401, description = "No or wrong credentials", body = ApiError)))]
async fn list_attributes(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Vec<AttributeDefinition>>, HttpError> {
    Ok(Json(state.db.list_attributes().await?))
}

#[utoipa::path(post, path = "/api/attributes", tag = "admin", request_body = NewAttribute, security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 200, description = "Created (editor)"), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 409, description = "It exists already", body = ApiError)))]
async fn create_attribute(
    State(state): State<AppState>,
    caller: Caller,
    bytes: axum::body::Bytes,
) -> Result<Json<AttributeDefinition>, HttpError> {
    caller.require(Role::Editor)?;
    let new: NewAttribute = body(
        &bytes,
        "{\"name\", \"type\", \"label\"?, \"allowedValues\"?}",
    )?;
    let definition =
        AttributeDefinition::checked(new.name, &new.attribute_type, new.label, new.allowed_values)
            .map_err(HttpError::bad_request)?;
    if !state.db.create_attribute(&definition).await? {
        return Err(HttpError::new(
            ErrorCode::Conflict,
            format!("an attribute named '{}' exists already", definition.name),
        ));
    }
    Ok(Json(definition))
}

#[utoipa::path(delete, path = "/api/attributes/{name}", tag = "admin", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("name" = String, Path, description = "Attribute name")), responses((status = 200, description = "Deleted (editor)"), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn delete_attribute(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Value>, HttpError> {
    caller.require(Role::Editor)?;
    if !state.db.delete_attribute(&name).await? {
        return Err(HttpError::not_found(format!("no attribute named '{name}'")));
    }
    Ok(Json(json!({"name": name, "deleted": true})))
}

#[utoipa::path(get, path = "/api/api-keys", tag = "admin", security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 200, description = "API keys, never their secrets (admin)", body = Vec<ApiKeyInfo>), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError)))]
async fn list_keys(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ApiKeyInfo>>, HttpError> {
    caller.require(Role::Admin)?;
    let keys = state.db.list_api_keys().await?;
    Ok(Json(
        keys.into_iter()
            .map(|k| ApiKeyInfo {
                id: k.id,
                name: k.name,
                role: k.role,
                created_at: k.created_at,
                revoked_at: k.revoked_at,
                data_sources: k.data_sources,
            })
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/api-keys", tag = "admin", security(("basic" = []), ("bearer" = []), ("session" = [])), request_body = NewApiKey, responses((status = 200, description = "The key and its secret, shown once (admin)", body = CreatedApiKey), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError)))]
async fn create_key(
    State(state): State<AppState>,
    caller: Caller,
    bytes: axum::body::Bytes,
) -> Result<Json<CreatedApiKey>, HttpError> {
    caller.require(Role::Admin)?;
    let new: NewApiKey = body(&bytes, "{\"name\", \"role\"?, \"dataSources\"?}")?;
    if new.name.trim().is_empty() {
        return Err(HttpError::bad_request("name must not be empty"));
    }
    let data_sources = match new.data_sources {
        Some(list) => {
            let list: Vec<String> = list.iter().map(|d| d.trim().to_owned()).collect();
            if list.is_empty() || list.iter().any(String::is_empty) {
                return Err(HttpError::bad_request(
                    "dataSources must list at least one data source name, none empty (leave it out for any)",
                ));
            }
            Some(list)
        }
        None => None,
    };
    let role = new.role.unwrap_or(Role::Viewer);
    let key = state
        .db
        .create_api_key_for(new.name.trim(), role, data_sources.as_deref())
        .await?;
    Ok(Json(CreatedApiKey {
        id: key.id,
        secret: key.secret,
        name: new.name.trim().to_owned(),
        role,
        data_sources,
    }))
}

#[utoipa::path(delete, path = "/api/api-keys/{id}", tag = "admin", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("id" = String, Path, description = "API key id")), responses((status = 200, description = "Revoked (admin)"), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn revoke_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    caller.require(Role::Admin)?;
    if !state.db.revoke_api_key(&id).await? {
        return Err(HttpError::not_found(format!(
            "no active API key with id '{id}'"
        )));
    }
    Ok(Json(json!({"id": id, "revoked": true})))
}

#[utoipa::path(get, path = "/api/users", tag = "admin", security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 200, description = "Users (admin)", body = Vec<UserInfo>), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError)))]
async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<UserInfo>>, HttpError> {
    caller.require(Role::Admin)?;
    let users = state.db.list_users().await?;
    Ok(Json(
        users
            .into_iter()
            .map(|u| UserInfo {
                id: u.id,
                email: u.email,
                role: u.role,
                disabled: u.disabled,
                created_at: u.created_at,
            })
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/users", tag = "admin", request_body = NewUser, security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 200, description = "Created (admin)"), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 409, description = "It exists already", body = ApiError)))]
async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, HttpError> {
    caller.require(Role::Admin)?;
    let new: NewUser = body(&bytes, "{\"email\", \"role\", \"password\"}")?;
    let email = new.email.trim().to_lowercase();
    if !email.contains('@') {
        return Err(HttpError::bad_request(format!(
            "email: '{email}' is not an email address"
        )));
    }
    if new.password.chars().count() < 12 {
        return Err(HttpError::bad_request("password: at least 12 characters"));
    }
    if !state
        .db
        .create_user(&email, new.role, &new.password)
        .await?
    {
        return Err(HttpError::new(
            ErrorCode::Conflict,
            format!("a user with the email '{email}' exists already"),
        ));
    }
    Ok(Json(json!({"email": email, "role": new.role})))
}

#[utoipa::path(post, path = "/api/users/{email}/disable", tag = "admin", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("email" = String, Path, description = "The user")), responses((status = 200, description = "Disabled; sessions ended (admin)"), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn disable_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(email): Path<String>,
) -> Result<Json<Value>, HttpError> {
    caller.require(Role::Admin)?;
    if !state.db.disable_user(&email).await? {
        return Err(HttpError::not_found(format!(
            "no user with the email '{email}'"
        )));
    }
    Ok(Json(json!({"email": email, "disabled": true})))
}
