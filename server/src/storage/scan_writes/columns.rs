//! A dataset's columns, as the newest scan that reported them said (`metadata[].schema`:
//! Soda Core 3's dataset discovery, Soda Core 4's schema checks). A column the newest report
//! leaves out is gone (as Soda Cloud reads it); one reported without a type keeps the type
//! known before. A backfill (an older data timestamp) changes nothing.

use std::collections::HashMap;

use super::*;

pub(super) async fn write_columns(
    tx: &mut Tx,
    names: &mut NameCache,
    doc: &ScanResults,
) -> Result<(), StorageError> {
    for table in &doc.metadata {
        let (Some(name), Some(schema)) = (table.table.as_deref(), table.schema.as_ref()) else {
            continue;
        };
        if name.is_empty() {
            continue;
        }
        let data_source = table
            .data_source
            .as_deref()
            .filter(|d| !d.is_empty())
            .unwrap_or(&doc.default_data_source);
        let dataset_id = names.dataset(tx, data_source, name).await?;
        let newer: Option<i64> = sqlx::query_scalar(
            "SELECT data_timestamp FROM dataset_columns WHERE dataset_id = $1 \
             AND data_timestamp > $2 LIMIT 1",
        )
        .bind(dataset_id)
        .bind(doc.data_timestamp)
        .fetch_optional(&mut **tx)
        .await?;
        if newer.is_some() {
            continue;
        }
        let known: HashMap<String, Option<String>> =
            sqlx::query_as("SELECT name, source_type FROM dataset_columns WHERE dataset_id = $1")
                .bind(dataset_id)
                .fetch_all(&mut **tx)
                .await?
                .into_iter()
                .collect();
        sqlx::query("DELETE FROM dataset_columns WHERE dataset_id = $1")
            .bind(dataset_id)
            .execute(&mut **tx)
            .await?;
        let mut seen = std::collections::HashSet::new();
        for (position, column) in schema.iter().enumerate() {
            if column.column_name.is_empty() || !seen.insert(column.column_name.as_str()) {
                continue;
            }
            let source_type = column
                .source_data_type
                .clone()
                .or_else(|| known.get(&column.column_name).cloned().flatten());
            sqlx::query(
                "INSERT INTO dataset_columns (dataset_id, position, name, source_type, \
                 data_timestamp) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(dataset_id)
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .bind(&column.column_name)
            .bind(source_type)
            .bind(doc.data_timestamp)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}
