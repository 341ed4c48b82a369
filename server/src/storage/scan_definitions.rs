//! What Seltzer runs: secrets (sealed by the caller, stored as they come), data sources'
//! Soda configurations, and scan definitions with their versions and schedules. Data sources
//! and definitions are the rows pushed scans are filed under, given what a run needs.

use sqlx::Row;

use super::{Database, StorageError};
use crate::timestamp::{self, EpochMillis};

/// A data source configured for runs.
#[derive(Debug, Clone)]
pub struct DataSourceRow {
    pub id: i64,
    pub name: String,
    pub source_type: String,
    /// Soda Core 3's properties (empty: none).
    pub configuration: String,
    /// Soda Core 4's data source file besides `type` and `name`.
    pub configuration_v4: Option<String>,
    pub max_concurrent: i64,
    pub configured_at: EpochMillis,
    /// The agent that runs its scans (none: the Seltzer processes).
    pub agent: Option<String>,
}

/// A configured scan definition, as stored.
#[derive(Debug, Clone)]
pub struct DefinitionRow {
    pub id: i64,
    pub name: String,
    pub data_source_id: i64,
    pub data_source: String,
    pub engine: String,
    pub checks: String,
    /// JSON object of names to values.
    pub variables: String,
    pub cron: Option<String>,
    pub timezone: Option<String>,
    pub timeout_seconds: i64,
    pub max_attempts: i64,
    pub paused: bool,
    pub version: i64,
    pub next_fire_at: Option<EpochMillis>,
    pub configured_at: EpochMillis,
    pub updated_at: EpochMillis,
    /// Emails of the users whose approval each version needs (JSON list; empty: none).
    pub stakeholders: Vec<String>,
}

impl DefinitionRow {
    /// The stakeholders who have not approved, given the `(approver, approved_at)` of the
    /// current version (emails compare without case).
    pub fn awaiting(&self, approvals: &[(String, EpochMillis)]) -> Vec<String> {
        self.stakeholders
            .iter()
            .filter(|s| !approvals.iter().any(|(a, _)| a.eq_ignore_ascii_case(s)))
            .cloned()
            .collect()
    }
}

/// A definition as written, for storing (the caller checked it).
#[derive(Debug, Clone)]
pub struct DefinitionInput<'a> {
    pub name: &'a str,
    pub data_source_id: i64,
    pub engine: &'a str,
    pub checks: &'a str,
    pub variables: String,
    pub cron: Option<&'a str>,
    pub timezone: Option<&'a str>,
    pub timeout_seconds: i64,
    pub max_attempts: i64,
    pub paused: bool,
    pub next_fire_at: Option<EpochMillis>,
    pub stakeholders: &'a [String],
    /// The whole definition as JSON, kept as its version.
    pub body: String,
    pub author: &'a str,
}

const DEFINITION_COLUMNS: &str = "d.id, d.name, d.data_source_id, s.name, d.engine, d.checks, \
    d.variables, d.cron, d.timezone, d.timeout_seconds, d.max_attempts, d.paused, d.version, \
    d.next_fire_at, d.configured_at, d.updated_at, d.stakeholders";

fn definition_row(row: &sqlx::any::AnyRow) -> Result<DefinitionRow, sqlx::Error> {
    Ok(DefinitionRow {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        data_source_id: row.try_get(2)?,
        data_source: row.try_get(3)?,
        engine: row.try_get(4)?,
        checks: row.try_get(5)?,
        variables: row.try_get(6)?,
        cron: row.try_get(7)?,
        timezone: row.try_get(8)?,
        timeout_seconds: row.try_get(9)?,
        max_attempts: row.try_get(10)?,
        paused: row.try_get::<i64, _>(11)? != 0,
        version: row.try_get(12)?,
        next_fire_at: row.try_get(13)?,
        configured_at: row.try_get(14)?,
        updated_at: row.try_get(15)?,
        stakeholders: row
            .try_get::<Option<String>, _>(16)?
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default(),
    })
}

const DATA_SOURCE_COLUMNS: &str =
    "id, name, source_type, configuration, max_concurrent, configured_at, configuration_v4, agent";

fn data_source_row(row: &sqlx::any::AnyRow) -> Result<DataSourceRow, sqlx::Error> {
    Ok(DataSourceRow {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        source_type: row.try_get(2)?,
        configuration: row.try_get(3)?,
        max_concurrent: row.try_get(4)?,
        configured_at: row.try_get(5)?,
        configuration_v4: row.try_get(6)?,
        agent: row.try_get(7)?,
    })
}

impl Database {
    /// Stores a sealed secret, replacing one of the same name; whether it is new.
    pub async fn put_secret(
        &self,
        name: &str,
        nonce: &str,
        ciphertext: &str,
    ) -> Result<bool, StorageError> {
        let now = timestamp::now();
        let _gate = self.write_gate().await;
        let updated = sqlx::query(
            "UPDATE secrets SET nonce = $1, ciphertext = $2, updated_at = $3 WHERE name = $4",
        )
        .bind(nonce)
        .bind(ciphertext)
        .bind(now)
        .bind(name)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if updated == 1 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO secrets (name, nonce, ciphertext, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (name) DO UPDATE SET \
             nonce = excluded.nonce, ciphertext = excluded.ciphertext, \
             updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(nonce)
        .bind(ciphertext)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(true)
    }

    /// `(name, created_at, updated_at)` of every secret, by name.
    pub async fn list_secrets(&self) -> Result<Vec<(String, i64, i64)>, StorageError> {
        Ok(
            sqlx::query_as("SELECT name, created_at, updated_at FROM secrets ORDER BY name")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// A secret's `(nonce, ciphertext)`.
    pub async fn secret(&self, name: &str) -> Result<Option<(String, String)>, StorageError> {
        Ok(
            sqlx::query_as("SELECT nonce, ciphertext FROM secrets WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn delete_secret(&self, name: &str) -> Result<bool, StorageError> {
        let _gate = self.write_gate().await;
        let done = sqlx::query("DELETE FROM secrets WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(done == 1)
    }

    /// Gives data source `name` (made if no scan named it yet) its Soda configuration; whether
    /// it had none before.
    pub async fn configure_data_source(
        &self,
        name: &str,
        source_type: &str,
        configuration: &str,
        configuration_v4: Option<&str>,
        max_concurrent: i64,
        agent: Option<&str>,
    ) -> Result<bool, StorageError> {
        let _gate = self.write_gate().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO data_sources (name) VALUES ($1) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        let before: Option<String> =
            sqlx::query_scalar("SELECT source_type FROM data_sources WHERE name = $1")
                .bind(name)
                .fetch_one(&mut *tx)
                .await?;
        sqlx::query(
            "UPDATE data_sources SET source_type = $1, configuration = $2, max_concurrent = $3, \
             configured_at = $4, configuration_v4 = $5, agent = $7 WHERE name = $6",
        )
        .bind(source_type)
        .bind(configuration)
        .bind(max_concurrent)
        .bind(timestamp::now())
        .bind(configuration_v4)
        .bind(name)
        .bind(agent)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(before.is_none())
    }

    pub async fn configured_data_sources(&self) -> Result<Vec<DataSourceRow>, StorageError> {
        let sql = format!(
            "SELECT {DATA_SOURCE_COLUMNS} FROM data_sources WHERE source_type IS NOT NULL \
             ORDER BY name"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(data_source_row).collect::<Result<_, _>>()?)
    }

    pub async fn configured_data_source(
        &self,
        name: &str,
    ) -> Result<Option<DataSourceRow>, StorageError> {
        let sql = format!(
            "SELECT {DATA_SOURCE_COLUMNS} FROM data_sources \
             WHERE name = $1 AND source_type IS NOT NULL"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(data_source_row).transpose()?)
    }

    /// Removes a data source's configuration (its scans stay); whether it had one.
    pub async fn unconfigure_data_source(&self, name: &str) -> Result<bool, StorageError> {
        let _gate = self.write_gate().await;
        let done = sqlx::query(
            "UPDATE data_sources SET source_type = NULL, configuration = NULL, \
             configuration_v4 = NULL, configured_at = NULL, agent = NULL WHERE name = $1 AND source_type IS NOT NULL",
        )
        .bind(name)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(done == 1)
    }

    /// The names of the configured definitions that run on data source `data_source_id`.
    pub async fn definitions_on(&self, data_source_id: i64) -> Result<Vec<String>, StorageError> {
        Ok(sqlx::query_scalar(
            "SELECT name FROM scan_definitions WHERE data_source_id = $1 AND engine IS NOT NULL \
             ORDER BY name",
        )
        .bind(data_source_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Configures definition `input.name` (made if no scan named it yet) as version 1;
    /// `false` when it is configured already.
    pub async fn create_definition(
        &self,
        input: &DefinitionInput<'_>,
    ) -> Result<bool, StorageError> {
        let _gate = self.write_gate().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO scan_definitions (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
        )
        .bind(input.name)
        .execute(&mut *tx)
        .await?;
        let (id, engine): (i64, Option<String>) =
            sqlx::query_as("SELECT id, engine FROM scan_definitions WHERE name = $1")
                .bind(input.name)
                .fetch_one(&mut *tx)
                .await?;
        if engine.is_some() {
            return Ok(false);
        }
        write_definition(&mut tx, id, 1, input).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A new version of a configured definition; its number, `None` when there is no such
    /// definition.
    pub async fn update_definition(
        &self,
        input: &DefinitionInput<'_>,
    ) -> Result<Option<i64>, StorageError> {
        let _gate = self.write_gate().await;
        let mut tx = self.pool.begin().await?;
        let found: Option<(i64, i64)> = sqlx::query_as(
            "SELECT id, version FROM scan_definitions WHERE name = $1 AND engine IS NOT NULL",
        )
        .bind(input.name)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((id, version)) = found else {
            return Ok(None);
        };
        write_definition(&mut tx, id, version + 1, input).await?;
        tx.commit().await?;
        Ok(Some(version + 1))
    }

    pub async fn definitions(&self) -> Result<Vec<DefinitionRow>, StorageError> {
        let sql = format!(
            "SELECT {DEFINITION_COLUMNS} FROM scan_definitions d \
             JOIN data_sources s ON s.id = d.data_source_id \
             WHERE d.engine IS NOT NULL ORDER BY d.name"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(definition_row).collect::<Result<_, _>>()?)
    }

    pub async fn definition(&self, name: &str) -> Result<Option<DefinitionRow>, StorageError> {
        let sql = format!(
            "SELECT {DEFINITION_COLUMNS} FROM scan_definitions d \
             JOIN data_sources s ON s.id = d.data_source_id \
             WHERE d.name = $1 AND d.engine IS NOT NULL"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(definition_row).transpose()?)
    }

    pub async fn definition_by_id(&self, id: i64) -> Result<Option<DefinitionRow>, StorageError> {
        let sql = format!(
            "SELECT {DEFINITION_COLUMNS} FROM scan_definitions d \
             JOIN data_sources s ON s.id = d.data_source_id \
             WHERE d.id = $1 AND d.engine IS NOT NULL"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(definition_row).transpose()?)
    }

    /// Removes what Seltzer runs of a definition: its configuration, versions and runs (its
    /// stored scans stay). Whether it was configured.
    pub async fn unconfigure_definition(&self, name: &str) -> Result<bool, StorageError> {
        let _gate = self.write_gate().await;
        let mut tx = self.pool.begin().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM scan_definitions WHERE name = $1 AND engine IS NOT NULL",
        )
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else {
            return Ok(false);
        };
        for sql in [
            "DELETE FROM scan_run_logs WHERE run_id IN (SELECT id FROM scan_runs \
             WHERE definition_id = $1)",
            "DELETE FROM notification_run_late WHERE run_id IN (SELECT id FROM scan_runs \
             WHERE definition_id = $1)",
            "DELETE FROM scan_runs WHERE definition_id = $1",
            "DELETE FROM scan_definition_versions WHERE definition_id = $1",
            // Version numbers start again at 1: so do approvals.
            "DELETE FROM scan_definition_approvals WHERE definition_id = $1",
            "UPDATE scan_definitions SET data_source_id = NULL, engine = NULL, checks = NULL, \
             variables = NULL, cron = NULL, timezone = NULL, timeout_seconds = NULL, \
             max_attempts = NULL, paused = 0, next_fire_at = NULL, configured_at = NULL, \
             stakeholders = NULL WHERE id = $1",
        ] {
            sqlx::query(sql).bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// `(version, author, created_at, body)` of each version, newest first.
    pub async fn definition_versions(
        &self,
        id: i64,
    ) -> Result<Vec<(i64, String, i64, String)>, StorageError> {
        Ok(sqlx::query_as(
            "SELECT version, author, created_at, body FROM scan_definition_versions \
             WHERE definition_id = $1 ORDER BY version DESC",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records `approver`'s approval of `version` of definition `id`; `Err(current)` when
    /// `version` is no longer its current version.
    pub async fn approve_definition(
        &self,
        id: i64,
        version: i64,
        approver: &str,
    ) -> Result<Result<(), i64>, StorageError> {
        let _gate = self.write_gate().await;
        let mut tx = self.pool.begin().await?;
        // The definition's row first: an edit racing this approval waits, or is seen.
        let current: i64 = sqlx::query_scalar(
            "UPDATE scan_definitions SET version = version WHERE id = $1 RETURNING version",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if current != version {
            return Ok(Err(current));
        }
        sqlx::query(
            "INSERT INTO scan_definition_approvals (definition_id, version, approver, \
             approved_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(version)
        .bind(approver)
        .bind(timestamp::now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// `(definition id, approver, approved_at)` of every approval of a current version.
    pub async fn current_approvals(&self) -> Result<Vec<(i64, String, i64)>, StorageError> {
        Ok(sqlx::query_as(
            "SELECT a.definition_id, a.approver, a.approved_at \
             FROM scan_definition_approvals a JOIN scan_definitions d \
             ON d.id = a.definition_id AND d.version = a.version ORDER BY a.approved_at",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// `(approver, approved_at)` of the approvals of `version` of definition `id`.
    pub async fn approvals(
        &self,
        id: i64,
        version: i64,
    ) -> Result<Vec<(String, i64)>, StorageError> {
        Ok(sqlx::query_as(
            "SELECT approver, approved_at FROM scan_definition_approvals \
             WHERE definition_id = $1 AND version = $2 ORDER BY approved_at",
        )
        .bind(id)
        .bind(version)
        .fetch_all(&self.pool)
        .await?)
    }

    /// `(author, created_at, body)` of one version.
    pub async fn definition_version(
        &self,
        id: i64,
        version: i64,
    ) -> Result<Option<(String, i64, String)>, StorageError> {
        Ok(sqlx::query_as(
            "SELECT author, created_at, body FROM scan_definition_versions \
             WHERE definition_id = $1 AND version = $2",
        )
        .bind(id)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Definitions whose next fire time has come, not paused.
    pub async fn due_definitions(
        &self,
        now: EpochMillis,
    ) -> Result<Vec<DefinitionRow>, StorageError> {
        let sql = format!(
            "SELECT {DEFINITION_COLUMNS} FROM scan_definitions d \
             JOIN data_sources s ON s.id = d.data_source_id \
             WHERE d.engine IS NOT NULL AND d.paused = 0 AND d.next_fire_at <= $1 \
             ORDER BY d.next_fire_at"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(definition_row).collect::<Result<_, _>>()?)
    }
}

async fn write_definition(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: i64,
    version: i64,
    input: &DefinitionInput<'_>,
) -> Result<(), sqlx::Error> {
    let now = timestamp::now();
    sqlx::query(
        "UPDATE scan_definitions SET data_source_id = $1, engine = $2, checks = $3, \
         variables = $4, cron = $5, timezone = $6, timeout_seconds = $7, max_attempts = $8, \
         paused = $9, version = $10, next_fire_at = $11, updated_at = $12, \
         configured_at = COALESCE(configured_at, $12), stakeholders = $14 WHERE id = $13",
    )
    .bind(input.data_source_id)
    .bind(input.engine)
    .bind(input.checks)
    .bind(&input.variables)
    .bind(input.cron)
    .bind(input.timezone)
    .bind(input.timeout_seconds)
    .bind(input.max_attempts)
    .bind(i64::from(input.paused))
    .bind(version)
    .bind(input.next_fire_at)
    .bind(now)
    .bind(id)
    .bind(serde_json::Value::from(input.stakeholders.to_vec()).to_string())
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO scan_definition_versions (definition_id, version, body, author, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(version)
    .bind(&input.body)
    .bind(input.author)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
