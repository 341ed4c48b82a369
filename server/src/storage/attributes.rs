//! Check attribute definitions: the `attributes:` keys Soda Core accepts on checks.

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;

use super::{Database, StorageError};
use crate::timestamp;

/// The attribute types Soda Core knows (compared case-insensitively by the client).
pub use shared::api::ATTRIBUTE_TYPES;

/// One definition, in the shape `sodaCoreAvailableCheckAttributes` returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeDefinition {
    pub name: String,
    pub label: String,
    #[serde(rename = "type")]
    pub attribute_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_values: Option<Vec<Value>>,
}

impl AttributeDefinition {
    /// A definition checked the way Soda Core will use it: a known type (any case), allowed
    /// values where the type needs them (checkbox: true and false), none where it takes none.
    pub fn checked(
        name: String,
        attribute_type: &str,
        label: Option<String>,
        allowed_values: Vec<String>,
    ) -> Result<Self, String> {
        if name.trim().is_empty() {
            return Err("the name must not be empty".to_owned());
        }
        let Some(canonical) = ATTRIBUTE_TYPES
            .iter()
            .find(|t| t.eq_ignore_ascii_case(attribute_type))
        else {
            return Err(format!(
                "unknown attribute type '{attribute_type}': use one of {}",
                ATTRIBUTE_TYPES.join(", ")
            ));
        };
        let allowed = match *canonical {
            "checkbox" => Some(vec![serde_json::json!(true), serde_json::json!(false)]),
            "singleSelect" | "multiSelect" if allowed_values.is_empty() => {
                return Err(format!(
                    "a {canonical} attribute needs its values: add --allowed-value VALUE (repeat it)"
                ));
            }
            "singleSelect" | "multiSelect" => {
                Some(allowed_values.into_iter().map(Value::String).collect())
            }
            _ if !allowed_values.is_empty() => {
                return Err(format!("a {canonical} attribute takes no --allowed-value"));
            }
            _ => None,
        };
        Ok(Self {
            label: label.unwrap_or_else(|| name.clone()),
            name,
            attribute_type: (*canonical).to_owned(),
            allowed_values: allowed,
        })
    }
}

impl Database {
    /// Stores a definition. False when one with that name exists.
    pub async fn create_attribute(&self, def: &AttributeDefinition) -> Result<bool, StorageError> {
        let allowed = def
            .allowed_values
            .as_ref()
            .map(|v| Value::Array(v.clone()).to_string());
        let inserted = sqlx::query(
            "INSERT INTO attribute_definitions (name, label, attribute_type, allowed_values, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING",
        )
        .bind(&def.name)
        .bind(&def.label)
        .bind(&def.attribute_type)
        .bind(allowed)
        .bind(timestamp::now())
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    pub async fn list_attributes(&self) -> Result<Vec<AttributeDefinition>, StorageError> {
        let rows = sqlx::query(
            "SELECT name, label, attribute_type, allowed_values FROM attribute_definitions ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let allowed: Option<String> = row.try_get(3)?;
                Ok(AttributeDefinition {
                    name: row.try_get(0)?,
                    label: row.try_get(1)?,
                    attribute_type: row.try_get(2)?,
                    allowed_values: allowed
                        .and_then(|text| serde_json::from_str::<Vec<Value>>(&text).ok()),
                })
            })
            .collect()
    }

    /// False when there was no such definition.
    pub async fn delete_attribute(&self, name: &str) -> Result<bool, StorageError> {
        Ok(
            sqlx::query("DELETE FROM attribute_definitions WHERE name = $1")
                .bind(name)
                .execute(&self.pool)
                .await?
                .rows_affected()
                == 1,
        )
    }
}
