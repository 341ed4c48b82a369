//! Failed-row samples uploaded by Soda Core (`/api/scan/upload`), kept as the JSON Lines text
//! they arrived as and linked to their check result when the scan results reference them.

use super::{Database, StorageError};
use crate::timestamp;

#[derive(Debug, Clone)]
pub struct NewSample<'a> {
    pub file_id: &'a str,
    pub file_path: &'a str,
    pub content: &'a str,
    pub row_count: i64,
    pub api_key_id: Option<&'a str>,
}

impl Database {
    pub async fn insert_sample(&self, sample: &NewSample<'_>) -> Result<(), StorageError> {
        let _gate = self.write_gate().await;
        sqlx::query(
            "INSERT INTO samples (file_id, file_path, content, row_count, byte_count, uploaded_at, api_key_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(sample.file_id)
        .bind(sample.file_path)
        .bind(sample.content)
        .bind(sample.row_count)
        .bind(i64::try_from(sample.content.len()).unwrap_or(i64::MAX))
        .bind(timestamp::now())
        .bind(sample.api_key_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The sample files of a check result: (file id, file path, JSON Lines text, columns).
    pub async fn samples_of_result(
        &self,
        check_result_id: i64,
    ) -> Result<Vec<(String, String, String, Option<String>)>, StorageError> {
        Ok(sqlx::query_as(
            "SELECT file_id, file_path, content, columns FROM samples \
             WHERE check_result_id = $1 ORDER BY uploaded_at, file_id",
        )
        .bind(check_result_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn check_result_exists(&self, id: i64) -> Result<bool, StorageError> {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM check_results WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    /// The stored rows of a sample file: (file path, JSON Lines text, linked check result).
    pub async fn sample(
        &self,
        file_id: &str,
    ) -> Result<Option<(String, String, Option<i64>)>, StorageError> {
        Ok(sqlx::query_as(
            "SELECT file_path, content, check_result_id FROM samples WHERE file_id = $1",
        )
        .bind(file_id)
        .fetch_optional(&self.pool)
        .await?)
    }
}
