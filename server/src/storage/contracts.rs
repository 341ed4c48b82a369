//! Soda Core 4's contract files: the text `soda contract verify -p` uploads before its
//! results (`sodaCoreUploadContractFile`), which each scan then names (`contract_file_id`),
//! and the contracts `soda contract publish` makes a dataset's contract in force.

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

    /// A contract file's text.
    pub async fn contract_file(&self, file_id: &str) -> Result<Option<String>, StorageError> {
        Ok(
            sqlx::query_scalar("SELECT contents FROM contract_files WHERE id = $1")
                .bind(file_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Makes an uploaded file the contract in force of `data_source`'s `dataset`
    /// (`prefix…/table`).
    pub async fn publish_contract(
        &self,
        data_source: &str,
        dataset: &str,
        file_id: &str,
        api_key_id: Option<&str>,
    ) -> Result<(), StorageError> {
        let _gate = self.write_gate().await;
        sqlx::query(
            "INSERT INTO published_contracts (data_source, dataset, file_id, api_key_id, \
             published_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(data_source)
        .bind(dataset)
        .bind(file_id)
        .bind(api_key_id)
        .bind(timestamp::now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The contract in force of `data_source`'s `dataset`: its latest publication's text and
    /// when it was published.
    pub async fn published_contract(
        &self,
        data_source: &str,
        dataset: &str,
    ) -> Result<Option<(String, i64)>, StorageError> {
        Ok(sqlx::query_as(
            "SELECT f.contents, p.published_at FROM published_contracts p JOIN contract_files f \
             ON f.id = p.file_id WHERE p.data_source = $1 AND p.dataset = $2 \
             ORDER BY p.id DESC LIMIT 1",
        )
        .bind(data_source)
        .bind(dataset)
        .fetch_optional(&self.pool)
        .await?)
    }
}
