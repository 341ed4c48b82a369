//! Incidents: their fields, the results linked to them, and their timeline. Every change is
//! written with its timeline entry in one transaction.

use shared::api::{
    CheckOutcome, Incident, IncidentCheckResult, IncidentLink, IncidentSeverity, IncidentStatus,
};
use sqlx::Row;

use super::notifications::enqueue_incident_event;
use super::{Database, StorageError};
use crate::credentials;
use crate::timestamp;

/// An incident as stored, with how many results are linked to it.
#[derive(Debug, Clone)]
pub struct IncidentRow {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub severity: String,
    pub status: String,
    pub lead_email: Option<String>,
    pub reporter: String,
    pub resolution_notes: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub resolved_at: Option<i64>,
    pub result_count: i64,
}

/// A linked result, with its check; the result's own fields are `None` once it is gone.
#[derive(Debug, Clone)]
pub struct LinkedResultRow {
    pub result_id: i64,
    pub check_id: i64,
    pub check_name: String,
    pub data_source: String,
    pub dataset: Option<String>,
    pub stored: bool,
    pub outcome: Option<String>,
    pub value: Option<f64>,
    pub data_timestamp: Option<i64>,
    pub scan_id: Option<i64>,
    pub linked_at: i64,
    pub linked_by: String,
}

/// One timeline entry: `(kind, from, to)` written with its time and actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentChangeRow {
    pub kind: &'static str,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IncidentEventRow {
    pub at: i64,
    pub actor: String,
    pub kind: String,
    pub from_value: Option<String>,
    pub to_value: Option<String>,
}

/// Which incidents to list.
#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    /// One status, or every status but `resolved` (`open`).
    pub statuses: Vec<String>,
    pub severity: Option<String>,
    pub lead: Option<String>,
    pub dataset_id: Option<i64>,
    pub search: Option<String>,
}

const INCIDENT_COLUMNS: &str = "i.id, i.title, i.description, i.severity, i.status, i.lead_email, \
     i.reporter, i.resolution_notes, i.created_at, i.updated_at, i.resolved_at, \
     (SELECT COUNT(*) FROM incident_results l WHERE l.incident_id = i.id)";

fn incident_row(row: &sqlx::any::AnyRow) -> Result<IncidentRow, sqlx::Error> {
    Ok(IncidentRow {
        id: row.try_get(0)?,
        title: row.try_get(1)?,
        description: row.try_get(2)?,
        severity: row.try_get(3)?,
        status: row.try_get(4)?,
        lead_email: row.try_get(5)?,
        reporter: row.try_get(6)?,
        resolution_notes: row.try_get(7)?,
        created_at: row.try_get(8)?,
        updated_at: row.try_get(9)?,
        resolved_at: row.try_get(10)?,
        result_count: row.try_get(11)?,
    })
}

/// `?, ?, …` for `n` values from `$first`.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `(result id, check id, outcome)` of stored results.
pub type ResultRef = (i64, i64, Option<String>);

impl Database {
    /// The stored results among `ids`, with their checks and outcomes, in the order asked
    /// (one query: the API takes up to 100 ids).
    pub async fn results_to_link(&self, ids: &[i64]) -> Result<Vec<ResultRef>, StorageError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, check_id, outcome FROM check_results WHERE id IN ({})",
            placeholders(1, ids.len())
        );
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(id);
        }
        let rows: Vec<ResultRef> = query.fetch_all(&self.pool).await?;
        Ok(ids
            .iter()
            .filter_map(|id| rows.iter().find(|r| r.0 == *id).cloned())
            .collect())
    }

    /// For each of these checks, the incidents its results are linked to, newest first:
    /// `(check id, incident id, title, status)`.
    pub async fn incidents_of_checks(
        &self,
        check_ids: &[i64],
    ) -> Result<Vec<(i64, i64, String, String)>, StorageError> {
        if check_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT DISTINCT l.check_id, i.id, i.title, i.status FROM incident_results l \
             JOIN incidents i ON i.id = l.incident_id WHERE l.check_id IN ({}) \
             ORDER BY l.check_id, i.id DESC",
            placeholders(1, check_ids.len())
        );
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
        for id in check_ids {
            query = query.bind(id);
        }
        Ok(query.fetch_all(&self.pool).await?)
    }

    /// For each of these datasets with any, how many open (not resolved) incidents concern its
    /// checks: `(dataset id, count)`.
    pub async fn open_incidents_of_datasets(
        &self,
        dataset_ids: &[i64],
    ) -> Result<Vec<(i64, i64)>, StorageError> {
        if dataset_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT c.dataset_id, COUNT(DISTINCT i.id) FROM incident_results l \
             JOIN incidents i ON i.id = l.incident_id JOIN checks c ON c.id = l.check_id \
             WHERE i.status <> 'resolved' AND c.dataset_id IN ({}) GROUP BY c.dataset_id",
            placeholders(1, dataset_ids.len())
        );
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
        for id in dataset_ids {
            query = query.bind(id);
        }
        Ok(query.fetch_all(&self.pool).await?)
    }

    /// A new incident about `results`; its id (which is its number).
    pub async fn create_incident(
        &self,
        incident: &IncidentRow,
        results: &[ResultRef],
    ) -> Result<i64, StorageError> {
        let now = timestamp::now();
        let actor = incident.reporter.as_str();
        let _gate = self.write_gate().await;
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO incidents (title, description, severity, status, lead_email, reporter, \
             created_at, updated_at, callback_token) \
             VALUES ($1, $2, $3, 'reported', $4, $5, $6, $6, $7) RETURNING id",
        )
        .bind(&incident.title)
        .bind(&incident.description)
        .bind(&incident.severity)
        .bind(&incident.lead_email)
        .bind(actor)
        .bind(now)
        .bind(credentials::random_hex(24))
        .fetch_one(&mut *tx)
        .await?;
        let created = IncidentChangeRow {
            kind: "created",
            from: None,
            to: Some(incident.title.clone()),
        };
        insert_event(&mut tx, id, now, actor, &created).await?;
        link_in(&mut tx, id, now, actor, results).await?;
        enqueue_incident_event(&mut tx, id, "incidentCreated", &[], actor, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn incident(&self, id: i64) -> Result<Option<IncidentRow>, StorageError> {
        Ok(load_incident(&self.pool, id).await?)
    }

    /// A page of incidents, newest first, and how many match.
    pub async fn list_incidents(
        &self,
        filter: &IncidentFilter,
        page: i64,
        size: i64,
    ) -> Result<(Vec<IncidentRow>, i64), StorageError> {
        let mut clauses = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        let param = |value: String, binds: &mut Vec<String>| {
            binds.push(value);
            format!("${}", binds.len())
        };
        if !filter.statuses.is_empty() {
            let list: Vec<String> = filter
                .statuses
                .iter()
                .map(|s| param(s.clone(), &mut binds))
                .collect();
            clauses.push(format!("i.status IN ({})", list.join(", ")));
        }
        if let Some(severity) = &filter.severity {
            clauses.push(format!(
                "i.severity = {}",
                param(severity.clone(), &mut binds)
            ));
        }
        if let Some(lead) = &filter.lead {
            let p = param(lead.to_lowercase(), &mut binds);
            clauses.push(format!("LOWER(i.lead_email) = {p}"));
        }
        if let Some(search) = &filter.search {
            let p = param(format!("%{}%", search.to_lowercase()), &mut binds);
            clauses.push(format!(
                "(LOWER(i.title) LIKE {p} OR LOWER(i.description) LIKE {p})"
            ));
        }
        let dataset = filter.dataset_id.map(|d| {
            format!(
                "EXISTS (SELECT 1 FROM incident_results l JOIN checks c ON c.id = l.check_id \
                 WHERE l.incident_id = i.id AND c.dataset_id = {d})"
            )
        });
        clauses.extend(dataset);
        let filter_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clauses.join(" AND "))
        };
        let count_sql = format!("SELECT COUNT(*) FROM incidents i{filter_sql}");
        let mut count = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count_sql));
        for b in &binds {
            count = count.bind(b);
        }
        let total = count.fetch_one(&self.pool).await?;
        let list_sql = format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents i{filter_sql} ORDER BY i.id DESC \
             LIMIT {size} OFFSET {}",
            page * size
        );
        let mut list = sqlx::query(sqlx::AssertSqlSafe(list_sql));
        for b in &binds {
            list = list.bind(b);
        }
        let rows = list.fetch_all(&self.pool).await?;
        let items = rows
            .iter()
            .map(incident_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((items, total))
    }

    /// Writes an incident's new fields and the timeline entries that say what changed.
    pub async fn update_incident(
        &self,
        incident: &IncidentRow,
        changes: &[IncidentChangeRow],
        actor: &str,
    ) -> Result<(), StorageError> {
        let now = timestamp::now();
        let _gate = self.write_gate().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE incidents SET title = $1, description = $2, severity = $3, status = $4, \
             lead_email = $5, resolution_notes = $6, resolved_at = $7, updated_at = $8 \
             WHERE id = $9",
        )
        .bind(&incident.title)
        .bind(&incident.description)
        .bind(&incident.severity)
        .bind(&incident.status)
        .bind(&incident.lead_email)
        .bind(&incident.resolution_notes)
        .bind(incident.resolved_at)
        .bind(now)
        .bind(incident.id)
        .execute(&mut *tx)
        .await?;
        for change in changes {
            insert_event(&mut tx, incident.id, now, actor, change).await?;
        }
        enqueue_incident_event(&mut tx, incident.id, "incidentUpdated", changes, actor, now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Links more results; those already linked are left alone. How many were added.
    pub async fn link_incident_results(
        &self,
        id: i64,
        results: &[ResultRef],
        actor: &str,
    ) -> Result<usize, StorageError> {
        let now = timestamp::now();
        let _gate = self.write_gate().await;
        let mut tx = self.pool.begin().await?;
        let added = link_in(&mut tx, id, now, actor, results).await?;
        if !added.is_empty() {
            sqlx::query("UPDATE incidents SET updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            enqueue_incident_event(&mut tx, id, "incidentUpdated", &added, actor, now).await?;
        }
        tx.commit().await?;
        Ok(added.len())
    }

    pub async fn comment_incident(
        &self,
        id: i64,
        actor: &str,
        text: &str,
    ) -> Result<(), StorageError> {
        let now = timestamp::now();
        let _gate = self.write_gate().await;
        let mut tx = self.pool.begin().await?;
        let comment = IncidentChangeRow {
            kind: "comment",
            from: None,
            to: Some(text.to_owned()),
        };
        insert_event(&mut tx, id, now, actor, &comment).await?;
        sqlx::query("UPDATE incidents SET updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The incident's results, newest data first.
    pub async fn incident_results(&self, id: i64) -> Result<Vec<LinkedResultRow>, StorageError> {
        Ok(load_results(&self.pool, id).await?)
    }

    /// Keeps a link to the incident's ticket elsewhere (the same URL again replaces its text),
    /// on its timeline too. No incident event is sent for it: a receiver that answers each
    /// event with its link would otherwise be sent another, forever.
    pub async fn add_incident_link(
        &self,
        id: i64,
        url: &str,
        text: &str,
        source: &str,
    ) -> Result<(), StorageError> {
        let now = timestamp::now();
        let _gate = self.write_gate().await;
        let mut tx = self.pool.begin().await?;
        let known: Option<String> = sqlx::query_scalar(
            "SELECT text FROM incident_links WHERE incident_id = $1 AND url = $2",
        )
        .bind(id)
        .bind(url)
        .fetch_optional(&mut *tx)
        .await?;
        if known.as_deref() == Some(text) {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO incident_links (incident_id, url, text, source, created_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (incident_id, url) DO UPDATE SET text = excluded.text",
        )
        .bind(id)
        .bind(url)
        .bind(text)
        .bind(source)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let linked = IncidentChangeRow {
            kind: "ticket",
            from: None,
            to: Some(url.to_owned()),
        };
        insert_event(&mut tx, id, now, source, &linked).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn incident_links(&self, id: i64) -> Result<Vec<IncidentLink>, StorageError> {
        Ok(load_links(&self.pool, id).await?)
    }

    /// Whether `token` is incident `id`'s call-back secret.
    pub async fn incident_callback_matches(
        &self,
        id: i64,
        token: &str,
    ) -> Result<bool, StorageError> {
        let stored: Option<String> =
            sqlx::query_scalar("SELECT callback_token FROM incidents WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        // Compared as hashes, so the time it takes says nothing about the secret.
        Ok(stored.is_some_and(|s| credentials::hash_token(&s) == credentials::hash_token(token)))
    }

    /// The incident's timeline, oldest first.
    pub async fn incident_events(&self, id: i64) -> Result<Vec<IncidentEventRow>, StorageError> {
        Ok(sqlx::query_as(
            "SELECT at, actor, kind, from_value, to_value FROM incident_events \
             WHERE incident_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }
}

pub(in crate::storage) async fn insert_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    incident_id: i64,
    at: i64,
    actor: &str,
    change: &IncidentChangeRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO incident_events (incident_id, at, actor, kind, from_value, to_value) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(incident_id)
    .bind(at)
    .bind(actor)
    .bind(change.kind)
    .bind(&change.from)
    .bind(&change.to)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Links the results not linked yet, each with its timeline entry; those entries.
pub(in crate::storage) async fn link_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    incident_id: i64,
    at: i64,
    actor: &str,
    results: &[ResultRef],
) -> Result<Vec<IncidentChangeRow>, sqlx::Error> {
    let mut added = Vec::new();
    for (result_id, check_id, _) in results {
        let done = sqlx::query(
            "INSERT INTO incident_results (incident_id, result_id, check_id, linked_at, \
             linked_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(incident_id)
        .bind(result_id)
        .bind(check_id)
        .bind(at)
        .bind(actor)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if done == 1 {
            let linked = IncidentChangeRow {
                kind: "linked",
                from: None,
                to: Some(result_id.to_string()),
            };
            insert_event(tx, incident_id, at, actor, &linked).await?;
            added.push(linked);
        }
    }
    Ok(added)
}

pub(in crate::storage) async fn load_incident<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id: i64,
) -> Result<Option<IncidentRow>, sqlx::Error> {
    let sql = format!("SELECT {INCIDENT_COLUMNS} FROM incidents i WHERE i.id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(executor)
        .await?;
    row.as_ref().map(incident_row).transpose()
}

/// An incident's results, newest data first.
pub(in crate::storage) async fn load_results<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id: i64,
) -> Result<Vec<LinkedResultRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT l.result_id, l.check_id, c.name, s.name, d.name, r.id, r.outcome, r.value, \
         r.data_timestamp, r.scan_id, l.linked_at, l.linked_by \
         FROM incident_results l JOIN checks c ON c.id = l.check_id \
         JOIN data_sources s ON s.id = c.data_source_id \
         LEFT JOIN datasets d ON d.id = c.dataset_id \
         LEFT JOIN check_results r ON r.id = l.result_id \
         WHERE l.incident_id = $1 \
         ORDER BY COALESCE(r.data_timestamp, 0) DESC, l.result_id DESC",
    )
    .bind(id)
    .fetch_all(executor)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(LinkedResultRow {
                result_id: row.try_get(0)?,
                check_id: row.try_get(1)?,
                check_name: row.try_get(2)?,
                data_source: row.try_get(3)?,
                dataset: row.try_get(4)?,
                stored: row.try_get::<Option<i64>, _>(5)?.is_some(),
                outcome: row.try_get(6)?,
                value: row.try_get(7)?,
                data_timestamp: row.try_get(8)?,
                scan_id: row.try_get(9)?,
                linked_at: row.try_get(10)?,
                linked_by: row.try_get(11)?,
            })
        })
        .collect()
}

impl IncidentRow {
    /// As the API shows it.
    pub fn to_api(&self) -> Incident {
        Incident {
            id: self.id,
            number: self.id,
            title: self.title.clone(),
            description: self.description.clone(),
            severity: IncidentSeverity::parse(&self.severity).unwrap_or(IncidentSeverity::Minor),
            status: IncidentStatus::parse(&self.status).unwrap_or(IncidentStatus::Reported),
            lead_email: self.lead_email.clone(),
            reporter: self.reporter.clone(),
            resolution_notes: self.resolution_notes.clone(),
            created_at: timestamp::format(self.created_at),
            updated_at: timestamp::format(self.updated_at),
            resolved_at: self.resolved_at.map(timestamp::format),
            check_result_count: self.result_count,
        }
    }
}

impl LinkedResultRow {
    /// As the API shows it.
    pub fn to_api(self) -> IncidentCheckResult {
        IncidentCheckResult {
            result_id: self.result_id,
            check_id: self.check_id,
            check_name: self.check_name,
            data_source: self.data_source,
            dataset: self.dataset,
            stored: self.stored,
            outcome: self.outcome.as_deref().and_then(CheckOutcome::parse),
            value: self.value,
            data_timestamp: self.data_timestamp.map(timestamp::format),
            scan_id: self.scan_id,
            linked_at: timestamp::format(self.linked_at),
            linked_by: self.linked_by,
        }
    }
}

pub(in crate::storage) async fn load_links<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id: i64,
) -> Result<Vec<IncidentLink>, sqlx::Error> {
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT url, text, source, created_at FROM incident_links WHERE incident_id = $1 \
         ORDER BY created_at, url",
    )
    .bind(id)
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(url, text, source, at)| IncidentLink {
            url,
            text,
            source,
            created_at: timestamp::format(at),
        })
        .collect())
}

/// The incident's call-back path for receivers: `/api/incidents/{id}/links/{token}`.
pub(in crate::storage) async fn callback_path<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id: i64,
) -> Result<String, sqlx::Error> {
    let token: String = sqlx::query_scalar("SELECT callback_token FROM incidents WHERE id = $1")
        .bind(id)
        .fetch_one(executor)
        .await?;
    Ok(format!("/api/incidents/{id}/links/{token}"))
}
