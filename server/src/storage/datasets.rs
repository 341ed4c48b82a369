//! Reading datasets with their status (kept current at ingest) and check counts.

use shared::api::{DatabaseEngine, DatasetHealth};
use sqlx::Row;

use super::batch::{self, Placeholders};
use super::checks::{escape_like, lower_case};
use super::{Database, StorageError};

#[derive(Debug, Clone)]
pub struct DatasetSummary {
    pub id: i64,
    pub name: String,
    pub data_source: String,
    pub last_scan_id: Option<i64>,
    pub last_scan_failed: bool,
    /// When the last scan that covered it ended.
    pub last_updated: Option<i64>,
    pub checks: i64,
    pub failing: i64,
    pub warning: i64,
    pub passing: i64,
}

/// Which datasets to list.
#[derive(Debug, Clone, Default)]
pub struct DatasetFilter {
    /// Part of the dataset name, any case.
    pub search: Option<String>,
    pub data_source: Option<String>,
    /// Only datasets scanned at or after this time.
    pub updated_since: Option<i64>,
    /// Only datasets of this health.
    pub health: Option<DatasetHealth>,
}

/// What [`summary`] reads, from `datasets d`, `data_sources s` and the last scan `sc`.
const SUMMARY: &str = "d.id, d.name, s.name, d.last_scan_id, d.last_scan_failed, \
    sc.scan_end_timestamp, d.checks_total, d.checks_fail, d.checks_warn, d.checks_pass";

fn summary(row: &sqlx::any::AnyRow) -> Result<DatasetSummary, sqlx::Error> {
    Ok(DatasetSummary {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        data_source: row.try_get(2)?,
        last_scan_id: row.try_get(3)?,
        last_scan_failed: row.try_get::<i64, _>(4)? != 0,
        last_updated: row.try_get(5)?,
        checks: row.try_get(6)?,
        failing: row.try_get(7)?,
        warning: row.try_get(8)?,
        passing: row.try_get(9)?,
    })
}

impl Database {
    /// A dataset's columns in order: (name, the data source's type).
    pub async fn dataset_columns(
        &self,
        dataset_id: i64,
    ) -> Result<Vec<(String, Option<String>)>, StorageError> {
        Ok(sqlx::query_as(
            "SELECT name, source_type FROM dataset_columns WHERE dataset_id = $1 \
             ORDER BY position",
        )
        .bind(dataset_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// A page of datasets by name then data source, and how many match in all.
    pub async fn list_datasets(
        &self,
        filter: &DatasetFilter,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<DatasetSummary>, i64), StorageError> {
        let mut p = Placeholders::new(self.engine);
        let mut conditions = Vec::new();
        let mut binds: Vec<BindValue> = Vec::new();
        if let Some(search) = &filter.search {
            conditions.push(format!(
                "{} LIKE {} ESCAPE '\\'",
                lower_case(self.engine, "d.name"),
                p.next()
            ));
            binds.push(BindValue::Text(format!(
                "%{}%",
                escape_like(&search.to_lowercase())
            )));
        }
        if let Some(ds) = &filter.data_source {
            conditions.push(format!("s.name = {}", p.next()));
            binds.push(BindValue::Text(ds.clone()));
        }
        if let Some(since) = filter.updated_since {
            conditions.push(format!("sc.scan_end_timestamp >= {}", p.next()));
            binds.push(BindValue::Int(since));
        }
        if let Some(health) = filter.health {
            // `DatasetHealth::of`, in SQL over the rollups.
            let scanned_ok = "d.last_scan_id IS NOT NULL AND d.last_scan_failed = 0";
            conditions.push(match health {
                DatasetHealth::ScanFailed => {
                    "d.last_scan_id IS NOT NULL AND d.last_scan_failed <> 0".to_owned()
                }
                DatasetHealth::Failing => format!("{scanned_ok} AND d.checks_fail > 0"),
                DatasetHealth::Warning => {
                    format!("{scanned_ok} AND d.checks_fail = 0 AND d.checks_warn > 0")
                }
                DatasetHealth::Healthy => {
                    format!("{scanned_ok} AND d.checks_fail = 0 AND d.checks_warn = 0")
                }
                DatasetHealth::NotScanned => "d.last_scan_id IS NULL".to_owned(),
            });
        }
        let condition = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let from = "FROM datasets d JOIN data_sources s ON s.id = d.data_source_id \
                    LEFT JOIN scans sc ON sc.id = d.last_scan_id";
        // The total rides on the page (a window over the few dataset rows); the check counts
        // are the dataset's own, kept current at ingest.
        let sql = format!(
            "SELECT {SUMMARY}, COUNT(*) OVER () \
             {from} {condition} ORDER BY d.name, s.name, d.id LIMIT {} OFFSET {}",
            p.next(),
            p.next()
        );
        let mut count = batch::query_as::<(i64,)>(format!("SELECT COUNT(*) {from} {condition}"));
        let mut q = batch::query(sql);
        for b in &binds {
            match b {
                BindValue::Text(t) => {
                    count = count.bind(t.clone());
                    q = q.bind(t.clone());
                }
                BindValue::Int(i) => {
                    count = count.bind(*i);
                    q = q.bind(*i);
                }
            }
        }
        let rows = q.bind(limit).bind(offset).fetch_all(&self.pool).await?;
        let mut total = 0;
        let datasets = rows
            .iter()
            .map(|row| {
                total = row.try_get(10)?;
                summary(row)
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        if datasets.is_empty() && offset > 0 {
            // Past the last page: the window saw no row, so count on their own.
            (total,) = count.fetch_one(&self.pool).await?;
        }
        Ok((datasets, total))
    }
}

impl Database {
    /// Failed checks in each dataset's latest `per_dataset` scans (by data timestamp), oldest
    /// first, from the per-scan counts kept at ingest (scans stored before those counts existed
    /// count as 0).
    pub async fn recent_fail_counts(
        &self,
        dataset_ids: &[i64],
        per_dataset: i64,
    ) -> Result<std::collections::HashMap<i64, Vec<i64>>, StorageError> {
        let mut out: std::collections::HashMap<i64, Vec<i64>> = Default::default();
        // One LIMIT per dataset, each read newest first from the (dataset_id, data_timestamp)
        // index (a window over all of a page's datasets would read every scan of each), and
        // one row per dataset back: its counts joined in time order.
        for chunk in dataset_ids.chunks(batch::ROWS_PER_STATEMENT / 2) {
            let mut p = Placeholders::new(self.engine);
            let sql = match self.engine {
                // SQLite has no LATERAL: one LIMITed subquery per dataset.
                DatabaseEngine::Sqlite => {
                    let parts: Vec<String> = chunk
                        .iter()
                        .map(|_| {
                            format!(
                                "SELECT * FROM (SELECT dataset_id, COALESCE(fail_count, 0) AS fail, \
                                 data_timestamp, scan_id FROM scan_datasets WHERE dataset_id = {} \
                                 ORDER BY data_timestamp DESC, scan_id DESC LIMIT {}) one",
                                p.next(),
                                p.next()
                            )
                        })
                        .collect();
                    format!(
                        "SELECT dataset_id, group_concat(fail, ',' ORDER BY data_timestamp, scan_id) \
                         FROM ({}) recent GROUP BY dataset_id",
                        parts.join(" UNION ALL ")
                    )
                }
                // PostgreSQL plans each statement it is sent: a LATERAL join is one small plan
                // where fifty unioned subqueries cost more to plan than to run.
                DatabaseEngine::Postgres => {
                    let limit = p.next();
                    format!(
                        "SELECT d.id, string_agg(CAST(r.fail AS TEXT), ',' \
                         ORDER BY r.data_timestamp, r.scan_id) FROM datasets d \
                         CROSS JOIN LATERAL (SELECT COALESCE(fail_count, 0) AS fail, data_timestamp, \
                         scan_id FROM scan_datasets WHERE dataset_id = d.id \
                         ORDER BY data_timestamp DESC, scan_id DESC LIMIT {limit}) r \
                         WHERE d.id IN ({}) GROUP BY d.id",
                        p.list(chunk.len())
                    )
                }
            };
            let mut q = batch::query_as::<(i64, String)>(sql);
            match self.engine {
                DatabaseEngine::Sqlite => {
                    for id in chunk {
                        q = q.bind(*id).bind(per_dataset);
                    }
                }
                DatabaseEngine::Postgres => {
                    q = q.bind(per_dataset);
                    for id in chunk {
                        q = q.bind(*id);
                    }
                }
            }
            for (dataset, counts) in q.fetch_all(&self.pool).await? {
                let counts = counts
                    .split(',')
                    .map(|n| {
                        n.parse::<i64>().map_err(|_| {
                            StorageError::Corrupt(format!(
                                "failed-check counts of dataset {dataset}: '{counts}'"
                            ))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                out.insert(dataset, counts);
            }
        }
        Ok(out)
    }
}

/// One scan's outcome counts for a dataset: (scan id, data timestamp, outcome, checks).
pub type HealthRow = (i64, i64, Option<String>, i64);

impl Database {
    /// One dataset with its status and check counts.
    pub async fn dataset(&self, id: i64) -> Result<Option<DatasetSummary>, StorageError> {
        let row = batch::query(format!(
            "SELECT {SUMMARY} FROM datasets d JOIN data_sources s ON s.id = d.data_source_id \
             LEFT JOIN scans sc ON sc.id = d.last_scan_id WHERE d.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(summary).transpose()?)
    }

    /// Outcome counts per scan for the dataset's checks, newest scans first, at most `scans`.
    pub async fn dataset_health(
        &self,
        id: i64,
        scans: i64,
    ) -> Result<Vec<HealthRow>, StorageError> {
        // Scans stored since migration 0005 carry their counts per dataset.
        type Counts = (i64, i64, Option<i64>, Option<i64>, Option<i64>, Option<i64>);
        let rows: Vec<Counts> = sqlx::query_as(
            "SELECT scan_id, data_timestamp, pass_count, warn_count, fail_count, \
             not_evaluated_count FROM scan_datasets \
             WHERE dataset_id = $1 ORDER BY data_timestamp DESC, scan_id DESC LIMIT $2",
        )
        .bind(id)
        .bind(scans)
        .fetch_all(&self.pool)
        .await?;
        if rows.iter().all(|r| r.2.is_some()) {
            let mut health = Vec::new();
            for (scan_id, ts, pass, warn, fail, other) in rows {
                for (outcome, n) in [
                    (Some("pass"), pass),
                    (Some("warn"), warn),
                    (Some("fail"), fail),
                    (None, other),
                ] {
                    let n = n.unwrap_or(0);
                    if n > 0 {
                        health.push((scan_id, ts, outcome.map(str::to_owned), n));
                    }
                }
            }
            return Ok(health);
        }
        // Older scans: count their results. The oldest data timestamp among the dataset's last `scans` scans bounds the results
        // read, so that both engines walk the dataset's checks through
        // check_results (check_id, data_timestamp) instead of every result of those scans.
        let (oldest,): (Option<i64>,) = sqlx::query_as(
            "SELECT MIN(t.data_timestamp) FROM (SELECT data_timestamp FROM scan_datasets \
             WHERE dataset_id = $1 ORDER BY data_timestamp DESC LIMIT $2) t",
        )
        .bind(id)
        .bind(scans)
        .fetch_one(&self.pool)
        .await?;
        let Some(oldest) = oldest else {
            return Ok(Vec::new());
        };
        // CROSS JOIN: SQLite keeps the written order (checks of the dataset first).
        Ok(sqlx::query_as(
            "SELECT cr.scan_id, cr.data_timestamp, cr.outcome, COUNT(*) \
             FROM checks c CROSS JOIN check_results cr \
             WHERE cr.check_id = c.id AND c.dataset_id = $1 AND cr.data_timestamp >= $2 \
             AND cr.scan_id IN (\
               SELECT scan_id FROM scan_datasets \
               WHERE dataset_id = $1 ORDER BY data_timestamp DESC, scan_id DESC LIMIT $3) \
             GROUP BY cr.scan_id, cr.data_timestamp, cr.outcome \
             ORDER BY cr.data_timestamp DESC, cr.scan_id DESC",
        )
        .bind(id)
        .bind(oldest)
        .bind(scans)
        .fetch_all(&self.pool)
        .await?)
    }
}

enum BindValue {
    Text(String),
    Int(i64),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }
}
