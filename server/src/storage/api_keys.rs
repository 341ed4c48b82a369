//! API keys (created with `seltzer api-key create`) and the login tokens Soda Core gets for them.

use shared::api::Role;
use sqlx::Row;

use super::{Database, StorageError};
use crate::credentials;
use crate::timestamp::{self, EpochMillis};

/// A new key: the secret exists only here and in the output of the command that made it.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub id: String,
    pub secret: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub role: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
    /// The data sources it may send scans of; `None`: any.
    pub data_sources: Option<Vec<String>>,
}

/// A token from `login`, shown to the client once.
#[derive(Debug, Clone)]
pub struct Token {
    pub token: String,
    pub expires_at: EpochMillis,
}

impl Database {
    /// A new key acting as `role`, for any data source.
    pub async fn create_api_key(&self, name: &str, role: Role) -> Result<NewApiKey, StorageError> {
        self.create_api_key_for(name, role, None).await
    }

    /// A new key acting as `role`; with `data_sources`, it may send scans of those only.
    pub async fn create_api_key_for(
        &self,
        name: &str,
        role: Role,
        data_sources: Option<&[String]>,
    ) -> Result<NewApiKey, StorageError> {
        self.insert_api_key(name, role, data_sources, None).await
    }

    /// A new key; `run_id`: the scan run it belongs to (see `create_run_key`), written in the
    /// same statement so a key never exists half limited.
    pub(super) async fn insert_api_key(
        &self,
        name: &str,
        role: Role,
        data_sources: Option<&[String]>,
        run_id: Option<i64>,
    ) -> Result<NewApiKey, StorageError> {
        let id = credentials::random_hex(8);
        let secret = credentials::random_hex(24);
        let hash = hash_off_thread(secret.clone()).await?;
        let data_sources = data_sources.map(|d| serde_json::Value::from(d.to_vec()).to_string());
        sqlx::query(
            "INSERT INTO api_keys (id, name, secret_hash, created_at, role, data_sources, \
             run_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(name)
        .bind(hash)
        .bind(timestamp::now())
        .bind(role.as_str())
        .bind(data_sources)
        .bind(run_id)
        .execute(&self.pool)
        .await?;
        Ok(NewApiKey { id, secret })
    }

    pub async fn list_api_keys(&self) -> Result<Vec<ApiKey>, StorageError> {
        let rows = sqlx::query(
            "SELECT id, name, created_at, revoked_at, role, data_sources FROM api_keys \
             WHERE run_id IS NULL ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ApiKey {
                    id: row.try_get(0)?,
                    name: row.try_get(1)?,
                    role: row.try_get(4)?,
                    created_at: timestamp::format(row.try_get(2)?),
                    revoked_at: row.try_get::<Option<i64>, _>(3)?.map(timestamp::format),
                    data_sources: row
                        .try_get::<Option<String>, _>(5)?
                        .and_then(|json| serde_json::from_str(&json).ok()),
                })
            })
            .collect()
    }

    /// Revokes a key and ends its tokens at once. False when there is no such active key.
    pub async fn revoke_api_key(&self, id: &str) -> Result<bool, StorageError> {
        let mut tx = self.begin_write().await?;
        let revoked =
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(timestamp::now())
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        sqlx::query("DELETE FROM api_tokens WHERE api_key_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(revoked == 1)
    }

    /// Checks an API key id and secret; on success issues a token valid for `ttl_ms`.
    pub async fn login(
        &self,
        key_id: &str,
        secret: &str,
        ttl_ms: i64,
    ) -> Result<Option<Token>, StorageError> {
        let Some((hash, _role)) = self.api_key_secret(key_id).await? else {
            return Ok(None);
        };
        if !credentials::verify_secret_bounded(secret.to_owned(), hash).await? {
            return Ok(None);
        }
        self.issue_token(key_id, ttl_ms).await
    }

    /// A token valid for `ttl_ms` for an active key whose secret the caller has verified;
    /// `None` when the key is unknown or revoked.
    pub async fn issue_token(
        &self,
        key_id: &str,
        ttl_ms: i64,
    ) -> Result<Option<Token>, StorageError> {
        let token = credentials::random_hex(32);
        let now = timestamp::now();
        let expires_at = now.saturating_add(ttl_ms);
        // Expired tokens of this key go at the same time, so the table does not grow forever.
        sqlx::query("DELETE FROM api_tokens WHERE api_key_id = $1 AND expires_at <= $2")
            .bind(key_id)
            .bind(now)
            .execute(&self.pool)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO api_tokens (token_hash, api_key_id, created_at, expires_at) \
             SELECT $1, id, $3, $4 FROM api_keys WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(credentials::hash_token(&token))
        .bind(key_id)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok((inserted == 1).then_some(Token { token, expires_at }))
    }

    /// The data sources a key may send scans of; `None`: any.
    pub async fn api_key_data_sources(
        &self,
        id: &str,
    ) -> Result<Option<Vec<String>>, StorageError> {
        let row: Option<Option<String>> =
            sqlx::query_scalar("SELECT data_sources FROM api_keys WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        row.flatten()
            .map(|json| {
                serde_json::from_str(&json)
                    .map_err(|e| StorageError::Corrupt(format!("api_keys.data_sources: {e}")))
            })
            .transpose()
    }

    /// The API key (id, role) behind a token, when the token is known, unexpired and its key
    /// active.
    pub async fn authenticate_token(
        &self,
        token: &str,
    ) -> Result<Option<(String, Role)>, StorageError> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT t.api_key_id, k.role FROM api_tokens t JOIN api_keys k ON k.id = t.api_key_id \
             WHERE t.token_hash = $1 AND t.expires_at > $2 AND k.revoked_at IS NULL",
        )
        .bind(credentials::hash_token(token))
        .bind(timestamp::now())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|(id, role)| Some((id, Role::parse(&role)?))))
    }

    /// The active key's (secret hash, role), for HTTP Basic `id:secret`.
    pub async fn api_key_secret(&self, id: &str) -> Result<Option<(String, Role)>, StorageError> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT secret_hash, role FROM api_keys WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|(hash, role)| Some((hash, Role::parse(&role)?))))
    }
}

/// argon2 takes tens of milliseconds of CPU: keep it off the async workers.
pub(super) async fn hash_off_thread(secret: String) -> Result<String, StorageError> {
    tokio::task::spawn_blocking(move || credentials::hash_secret(&secret))
        .await
        .map_err(|e| StorageError::Hash(e.to_string()))?
        .map_err(|e| StorageError::Hash(e.to_string()))
}
