//! Managing Seltzer over the API, by role:
//! - check attribute definitions: read by anyone signed in, changed by editors and admins;
//! - API keys and users: admins only. A new key's secret is in the answer once, never again.

use axum::Json;
use axum::extract::{Path, State};
use shared::api::ApiError;
use shared::api::{
    ApiKeyInfo, ApiKeyRevoked, AttributeDeleted, AttributeInfo, CreatedApiKey, ErrorCode,
    NewApiKey, NewAttribute, NewUser, Role, UserCreated, UserDisabled, UserInfo,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{AdminCaller, Caller, EditorCaller};
use super::extract::JsonBody;
use super::{AppState, HttpError};
use crate::storage::AttributeDefinition;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_attributes, create_attribute))
        .routes(routes!(delete_attribute))
        .routes(routes!(list_keys, create_key))
        .routes(routes!(revoke_key))
        .routes(routes!(list_users, create_user))
        .routes(routes!(disable_user))
}

#[utoipa::path(get, path = "/attributes", tag = "admin", security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 200, description = "Check attribute definitions", body = Vec<AttributeInfo>), (status = 401, description = "No or wrong credentials", body = ApiError)))]
async fn list_attributes(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Vec<AttributeInfo>>, HttpError> {
    let definitions = state.db.list_attributes().await?;
    Ok(Json(definitions.into_iter().map(attribute_info).collect()))
}

fn attribute_info(d: AttributeDefinition) -> AttributeInfo {
    AttributeInfo {
        name: d.name,
        label: d.label,
        attribute_type: d.attribute_type,
        allowed_values: d.allowed_values,
    }
}

#[utoipa::path(post, path = "/attributes", tag = "admin", request_body = NewAttribute, security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 200, description = "Created (editor)", body = AttributeInfo), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 413, description = "The body is too large", body = ApiError), (status = 415, description = "Not JSON (Content-Type: application/json)", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 409, description = "It exists already", body = ApiError)))]
async fn create_attribute(
    State(state): State<AppState>,
    _caller: EditorCaller,
    JsonBody(new): JsonBody<NewAttribute>,
) -> Result<Json<AttributeInfo>, HttpError> {
    let definition =
        AttributeDefinition::checked(new.name, &new.attribute_type, new.label, new.allowed_values)
            .map_err(HttpError::bad_request)?;
    if !state.db.create_attribute(&definition).await? {
        return Err(HttpError::new(
            ErrorCode::Conflict,
            format!("an attribute named '{}' exists already", definition.name),
        ));
    }
    Ok(Json(attribute_info(definition)))
}

#[utoipa::path(delete, path = "/attributes/{name}", tag = "admin", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("name" = String, Path, description = "Attribute name")), responses((status = 200, description = "Deleted (editor)", body = AttributeDeleted), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn delete_attribute(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<AttributeDeleted>, HttpError> {
    caller.require(Role::Editor)?;
    if !state.db.delete_attribute(&name).await? {
        return Err(HttpError::not_found(format!("no attribute named '{name}'")));
    }
    Ok(Json(AttributeDeleted {
        name,
        deleted: true,
    }))
}

#[utoipa::path(get, path = "/api-keys", tag = "admin", security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 200, description = "API keys, never their secrets (admin)", body = Vec<ApiKeyInfo>), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError)))]
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

#[utoipa::path(post, path = "/api-keys", tag = "admin", security(("basic" = []), ("bearer" = []), ("session" = [])), request_body = NewApiKey, responses((status = 200, description = "The key and its secret, shown once (admin)", body = CreatedApiKey), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 413, description = "The body is too large", body = ApiError), (status = 415, description = "Not JSON (Content-Type: application/json)", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError)))]
async fn create_key(
    State(state): State<AppState>,
    _caller: AdminCaller,
    JsonBody(new): JsonBody<NewApiKey>,
) -> Result<Json<CreatedApiKey>, HttpError> {
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

#[utoipa::path(delete, path = "/api-keys/{id}", tag = "admin", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("id" = String, Path, description = "API key id")), responses((status = 200, description = "Revoked (admin)", body = ApiKeyRevoked), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn revoke_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ApiKeyRevoked>, HttpError> {
    caller.require(Role::Admin)?;
    if !state.db.revoke_api_key(&id).await? {
        return Err(HttpError::not_found(format!(
            "no active API key with id '{id}'"
        )));
    }
    Ok(Json(ApiKeyRevoked { id, revoked: true }))
}

#[utoipa::path(get, path = "/users", tag = "admin", security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 200, description = "Users (admin)", body = Vec<UserInfo>), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError)))]
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

#[utoipa::path(post, path = "/users", tag = "admin", request_body = NewUser, security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 200, description = "Created (admin)", body = UserCreated), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 413, description = "The body is too large", body = ApiError), (status = 415, description = "Not JSON (Content-Type: application/json)", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 409, description = "It exists already", body = ApiError)))]
async fn create_user(
    State(state): State<AppState>,
    _caller: AdminCaller,
    JsonBody(new): JsonBody<NewUser>,
) -> Result<Json<UserCreated>, HttpError> {
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
    Ok(Json(UserCreated {
        email,
        role: new.role,
    }))
}

#[utoipa::path(post, path = "/users/{email}/disable", tag = "admin", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("email" = String, Path, description = "The user")), responses((status = 200, description = "Disabled; sessions ended (admin)", body = UserDisabled), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn disable_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(email): Path<String>,
) -> Result<Json<UserDisabled>, HttpError> {
    caller.require(Role::Admin)?;
    if !state.db.disable_user(&email).await? {
        return Err(HttpError::not_found(format!(
            "no user with the email '{email}'"
        )));
    }
    Ok(Json(UserDisabled {
        email,
        disabled: true,
    }))
}
