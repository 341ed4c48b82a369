//! Data sources, datasets and scan definitions: looked up, and created on first use.

use super::*;

/// Ids of data sources and datasets met while storing one scan.
#[derive(Default)]
pub(super) struct NameCache {
    pub(super) data_sources: HashMap<String, i64>,
    pub(super) datasets: HashMap<(i64, String), i64>,
}

impl NameCache {
    pub(super) async fn data_source(
        &mut self,
        tx: &mut Tx,
        name: &str,
    ) -> Result<i64, StorageError> {
        if let Some(&id) = self.data_sources.get(name) {
            return Ok(id);
        }
        // Looked up before any insert: see `upsert_scan_definition`.
        let select = sqlx::query_scalar("SELECT id FROM data_sources WHERE name = $1").bind(name);
        let id: i64 = match select.fetch_optional(&mut **tx).await? {
            Some(id) => id,
            None => {
                sqlx::query(
                    "INSERT INTO data_sources (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
                )
                .bind(name)
                .execute(&mut **tx)
                .await?;
                sqlx::query_scalar("SELECT id FROM data_sources WHERE name = $1")
                    .bind(name)
                    .fetch_one(&mut **tx)
                    .await?
            }
        };
        self.data_sources.insert(name.to_owned(), id);
        Ok(id)
    }

    pub(super) async fn dataset(
        &mut self,
        tx: &mut Tx,
        data_source: &str,
        name: &str,
    ) -> Result<i64, StorageError> {
        let ds = self.data_source(tx, data_source).await?;
        if let Some(&id) = self.datasets.get(&(ds, name.to_owned())) {
            return Ok(id);
        }
        // Looked up before any insert: on PostgreSQL an `INSERT … ON CONFLICT` that meets the
        // row waits for every open transaction that updated it, and each scan updates its
        // datasets' rows (their status) until it commits, so concurrent scans of a dataset
        // queued here from their very start. A plain read does not wait.
        let select = "SELECT id FROM datasets WHERE data_source_id = $1 AND name = $2";
        let existing: Option<i64> = sqlx::query_scalar(select)
            .bind(ds)
            .bind(name)
            .fetch_optional(&mut **tx)
            .await?;
        let id = match existing {
            Some(id) => id,
            None => {
                sqlx::query(
                    "INSERT INTO datasets (data_source_id, name) VALUES ($1, $2) \
                     ON CONFLICT (data_source_id, name) DO NOTHING",
                )
                .bind(ds)
                .bind(name)
                .execute(&mut **tx)
                .await?;
                sqlx::query_scalar(select)
                    .bind(ds)
                    .bind(name)
                    .fetch_one(&mut **tx)
                    .await?
            }
        };
        self.datasets.insert((ds, name.to_owned()), id);
        Ok(id)
    }

    /// The dataset's id if it is already stored (does not create it).
    pub(super) async fn existing_dataset(
        &mut self,
        tx: &mut Tx,
        data_source: &str,
        name: &str,
    ) -> Result<Option<i64>, StorageError> {
        Ok(sqlx::query_scalar(
            "SELECT d.id FROM datasets d JOIN data_sources s ON s.id = d.data_source_id \
             WHERE s.name = $1 AND d.name = $2",
        )
        .bind(data_source)
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?)
    }
}

/// The scan definition's id, created on first use. Looked up before any insert, like data
/// sources and datasets: an `INSERT … ON CONFLICT` costs a write and, on PostgreSQL, waits for
/// open transactions that touched the row.
pub(super) async fn upsert_scan_definition(tx: &mut Tx, name: &str) -> Result<i64, StorageError> {
    let existing: Option<i64> =
        sqlx::query_scalar("SELECT id FROM scan_definitions WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut **tx)
            .await?;
    if let Some(id) = existing {
        return Ok(id);
    }
    sqlx::query("INSERT INTO scan_definitions (name) VALUES ($1) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .execute(&mut **tx)
        .await?;
    Ok(
        sqlx::query_scalar("SELECT id FROM scan_definitions WHERE name = $1")
            .bind(name)
            .fetch_one(&mut **tx)
            .await?,
    )
}
