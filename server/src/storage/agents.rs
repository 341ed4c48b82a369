//! Agents: the `seltzer agent` processes that run the scans of the data sources naming them.
//! An agent is known by its key, a random token kept as its SHA-256 (checked on every poll).

use super::{Database, StorageError};
use crate::credentials;
use crate::timestamp::{self, EpochMillis};

/// Agents' keys start with this, so a key pasted in the wrong place is recognised.
pub const AGENT_KEY_PREFIX: &str = "seltzer-agent-";

/// A registered agent, with what it runs.
#[derive(Debug, Clone)]
pub struct AgentRow {
    pub name: String,
    pub created_at: EpochMillis,
    pub created_by: String,
    pub last_seen_at: Option<EpochMillis>,
    pub last_host: Option<String>,
    pub last_version: Option<String>,
    /// The configured data sources naming it.
    pub data_sources: Vec<String>,
    /// Runs on its data sources executing now.
    pub executing: i64,
}

/// What deleting an agent did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentDeletion {
    Deleted,
    NotFound,
    /// Data sources still name it (their scans would have nobody to run them).
    InUse(Vec<String>),
}

fn new_key() -> (String, String) {
    let key = format!("{AGENT_KEY_PREFIX}{}", credentials::random_hex(32));
    let hash = credentials::hash_token(&key);
    (key, hash)
}

impl Database {
    /// Registers agent `name`; its key, or `None` when the name is taken.
    pub async fn create_agent(
        &self,
        name: &str,
        created_by: &str,
    ) -> Result<Option<String>, StorageError> {
        let (key, hash) = new_key();
        let _gate = self.write_gate().await;
        let done = sqlx::query(
            "INSERT INTO agents (name, token_hash, created_at, created_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(hash)
        .bind(timestamp::now())
        .bind(created_by)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok((done == 1).then_some(key))
    }

    /// Gives agent `name` a new key (the old one stops working at once); `None`: no such agent.
    pub async fn rotate_agent_key(&self, name: &str) -> Result<Option<String>, StorageError> {
        let (key, hash) = new_key();
        let _gate = self.write_gate().await;
        let done = sqlx::query("UPDATE agents SET token_hash = $1 WHERE name = $2")
            .bind(hash)
            .bind(name)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok((done == 1).then_some(key))
    }

    /// Deletes agent `name` unless a data source names it.
    pub async fn delete_agent(&self, name: &str) -> Result<AgentDeletion, StorageError> {
        let _gate = self.write_gate().await;
        let mut tx = self.pool.begin().await?;
        let using: Vec<String> =
            sqlx::query_scalar("SELECT name FROM data_sources WHERE agent = $1 ORDER BY name")
                .bind(name)
                .fetch_all(&mut *tx)
                .await?;
        if !using.is_empty() {
            return Ok(AgentDeletion::InUse(using));
        }
        let done = sqlx::query("DELETE FROM agents WHERE name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(if done == 1 {
            AgentDeletion::Deleted
        } else {
            AgentDeletion::NotFound
        })
    }

    pub async fn agent_exists(&self, name: &str) -> Result<bool, StorageError> {
        let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM agents WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    /// Every agent, by name, with its data sources and the runs it holds.
    pub async fn agents(&self) -> Result<Vec<AgentRow>, StorageError> {
        type Row = (
            String,
            EpochMillis,
            String,
            Option<EpochMillis>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT name, created_at, created_by, last_seen_at, last_host, last_version \
             FROM agents ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        let sources: Vec<(String, String)> = sqlx::query_as(
            "SELECT agent, name FROM data_sources WHERE agent IS NOT NULL \
             AND source_type IS NOT NULL ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        let executing: Vec<(String, i64)> = sqlx::query_as(
            "SELECT s.agent, COUNT(*) FROM scan_runs r \
             JOIN scan_definitions d ON d.id = r.definition_id \
             JOIN data_sources s ON s.id = d.data_source_id \
             WHERE s.agent IS NOT NULL AND r.state IN ('executing', 'cancelationRequested') \
             GROUP BY s.agent",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(name, created_at, created_by, last_seen_at, last_host, last_version)| AgentRow {
                    data_sources: sources
                        .iter()
                        .filter(|(a, _)| *a == name)
                        .map(|(_, s)| s.clone())
                        .collect(),
                    executing: executing
                        .iter()
                        .find(|(a, _)| *a == name)
                        .map_or(0, |(_, n)| *n),
                    name,
                    created_at,
                    created_by,
                    last_seen_at,
                    last_host,
                    last_version,
                },
            )
            .collect())
    }

    /// The agent whose key this is.
    pub async fn authenticate_agent(&self, key: &str) -> Result<Option<String>, StorageError> {
        Ok(
            sqlx::query_scalar("SELECT name FROM agents WHERE token_hash = $1")
                .bind(credentials::hash_token(key))
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Records that agent `name` was heard from, with what it said of itself when it did
    /// (written at most every five seconds: agents poll often).
    pub async fn agent_seen(
        &self,
        name: &str,
        host: Option<&str>,
        version: Option<&str>,
    ) -> Result<(), StorageError> {
        let now = timestamp::now();
        let _gate = self.write_gate().await;
        sqlx::query(
            "UPDATE agents SET last_seen_at = $1, last_host = COALESCE($2, last_host), \
             last_version = COALESCE($3, last_version) WHERE name = $4 \
             AND (last_seen_at IS NULL OR last_seen_at < $5)",
        )
        .bind(now)
        .bind(host)
        .bind(version)
        .bind(name)
        .bind(now - 5_000)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
