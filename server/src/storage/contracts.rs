//! Soda Core 4's contract files: the text `soda contract verify -p` uploads before its
//! results (`sodaCoreUploadContractFile`), which each scan then names (`contract_file_id`).

use super::{Database, StorageError};
use crate::credentials;
use crate::timestamp;

impl Database {
    /// Keeps an uploaded contract file; its id.
    pub async fn insert_contract_file(
        &self,
        contents: &str,
        api_key_id: Option<&str>,
    ) -> Result<String, StorageError> {
        let id = format!("contract-{}", credentials::random_hex(12));
        let _gate = self.write_gate().await;
        sqlx::query(
            "INSERT INTO contract_files (id, contents, api_key_id, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&id)
        .bind(contents)
        .bind(api_key_id)
        .bind(timestamp::now())
        .execute(&self.pool)
        .await?;
        Ok(id)
    }

    /// The contract file a scan verified: `(file id, text)`.
    pub async fn contract_of_scan(
        &self,
        scan_id: i64,
    ) -> Result<Option<(String, String)>, StorageError> {
        Ok(sqlx::query_as(
            "SELECT f.id, f.contents FROM scans s JOIN contract_files f \
             ON f.id = s.contract_file_id WHERE s.id = $1",
        )
        .bind(scan_id)
        .fetch_optional(&self.pool)
        .await?)
    }
}
