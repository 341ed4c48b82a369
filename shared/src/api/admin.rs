//! Management over the API (the dashboard's settings page): API keys, users and check attribute
//! definitions.

use serde::{Deserialize, Serialize};

/// An API key as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyInfo {
    pub id: String,
    pub name: String,
    /// The role the key acts with: viewer, editor or admin.
    pub role: String,
    pub created_at: String,
    /// Set once revoked: its tokens stopped working then.
    pub revoked_at: Option<String>,
    /// The data sources it may send scans of; absent: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_sources: Option<Vec<String>>,
}

/// `POST /api/api-keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewApiKey {
    pub name: String,
    /// viewer (default), editor or admin.
    pub role: Option<super::Role>,
    /// Limits the key to sending scans of these data sources (Soda Core's `-d`); absent: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_sources: Option<Vec<String>>,
}

/// A new key with its secret: the only time the secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreatedApiKey {
    pub id: String,
    pub secret: String,
    pub name: String,
    pub role: super::Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_sources: Option<Vec<String>>,
}

/// A user as listed (admins only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UserInfo {
    pub id: i64,
    pub email: String,
    pub role: super::Role,
    pub disabled: bool,
    pub created_at: String,
}

/// A check attribute definition, in the shape Soda Core receives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AttributeInfo {
    pub name: String,
    pub label: String,
    /// text, number, checkbox, datetime, singleSelect or multiSelect.
    #[serde(rename = "type")]
    pub attribute_type: String,
    /// The values a select allows (text), or `[true, false]` for a checkbox.
    #[cfg_attr(feature = "openapi", schema(schema_with = any_values))]
    pub allowed_values: Option<Vec<serde_json::Value>>,
}

/// An optional list whose items may be of any JSON type.
#[cfg(feature = "openapi")]
fn any_values() -> utoipa::openapi::Array {
    use utoipa::openapi::schema::ArrayItems;
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
    let any = ObjectBuilder::new()
        .schema_type(SchemaType::AnyValue)
        .build();
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(ArrayItems::RefOrSchema(Box::new(any.into())))
        .build()
}

/// `POST /api/users` (admins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub email: String,
    pub role: super::Role,
    /// At least 12 characters.
    pub password: String,
}

/// `POST /api/attributes` (editors).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAttribute {
    pub name: String,
    /// One of [`ATTRIBUTE_TYPES`].
    #[serde(rename = "type")]
    pub attribute_type: String,
    /// Shown by Soda Cloud's UI; the name when absent.
    pub label: Option<String>,
    /// The values a singleSelect or multiSelect attribute allows.
    #[serde(default)]
    pub allowed_values: Vec<String>,
}

/// The attribute types Soda Core knows.
pub const ATTRIBUTE_TYPES: [&str; 6] = [
    "text",
    "number",
    "checkbox",
    "datetime",
    "singleSelect",
    "multiSelect",
];

/// `DELETE /api/attributes/{name}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttributeDeleted {
    pub name: String,
    pub deleted: bool,
}

/// `DELETE /api/api-keys/{id}`: its tokens stopped working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyRevoked {
    pub id: String,
    pub revoked: bool,
}

/// `POST /api/users`: the email as stored (trimmed, lower case).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserCreated {
    pub email: String,
    pub role: super::Role,
}

/// `POST /api/users/{email}/disable`: their sessions ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserDisabled {
    pub email: String,
    pub disabled: bool,
}
