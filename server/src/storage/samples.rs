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
