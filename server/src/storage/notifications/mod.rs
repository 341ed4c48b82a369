//! Notification channels, rules and the outbox of deliveries (migrations 0015 and 0016 on
//! SQLite, 0017 and 0018 on PostgreSQL). What a scan must send is decided and written in the
//! scan's own transaction ([`enqueue_for_scan`]), so a crash between acknowledging a scan and sending its messages
//! loses nothing; a sender claims due deliveries with a lease, so several Seltzers on one
//! database send each once.
//! - here: channels, rules, and deliveries claimed, finished, listed and redelivered;
//! - `enqueue`: what a stored scan tells, decided in its transaction;
//! - `overdue`: datasets without a scan for a rule's hours;
//! - `run_failures`: runs that ended without results;
//! - `late_runs`: scheduled runs without results some minutes after their fire time;
//! - `simulation`: a rule tried on stored results.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use shared::api::{
    Attribute, CheckFacts, CheckNotice, CheckOutcome, DeliveryStatus, EmailSettings,
    IncidentAutomation, IncidentEvent, IncidentNotice, NewChannel, OverdueDataset, OverdueNotice,
    RuleDefinition, RuleMode, RunFailedNotice, RunLateNotice, RunState, ScanNotice,
    SimulatedNotice, Simulation,
};
use shared::sodacl::Zone;
use shared::sodacl::threshold::SodaBounds;
use shared::sodacl::units::value_unit;
use sqlx::Row;

mod enqueue;
mod incident_events;
mod incident_rules;
mod late_runs;
mod overdue;
mod run_failures;
mod simulation;

use super::{Database, StorageError};
use crate::credentials;
use crate::soda::document::ScanResults;
use crate::timestamp;
use enqueue::decide;
pub(super) use enqueue::enqueue_for_scan;
pub(super) use incident_events::enqueue_incident_event;
pub(super) use run_failures::enqueue_run_failed;

/// Attempts before a delivery is given up (dead): the first and five retries.
pub const MAX_ATTEMPTS: i64 = 6;

/// A channel with its secrets, for sending.
#[derive(Debug, Clone)]
pub struct ChannelRow {
    pub id: i64,
    pub name: String,
    pub channel_type: String,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    /// A webhook's signing secret, or an email channel's SMTP password.
    pub secret: Option<String>,
    /// Email: the server and addresses (the password is `secret`).
    pub email: Option<EmailSettings>,
    pub incidents: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct RuleRow {
    pub id: i64,
    pub definition: RuleDefinition,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A delivery as listed.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub id: String,
    pub channel_id: i64,
    pub channel: String,
    pub event: String,
    pub scan_id: Option<i64>,
    pub status: String,
    pub attempts: i64,
    pub last_response: Option<String>,
    pub created_at: i64,
    pub next_attempt_at: i64,
    pub delivered_at: Option<i64>,
    pub checks: i64,
}

/// A delivery claimed for sending, with its channel.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub id: String,
    pub event: String,
    /// The [`ScanNotice`] as JSON (`{}` for a test message).
    pub notice: String,
    /// This attempt's number (1 for the first).
    pub attempt: i64,
    pub channel: ChannelRow,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptResult {
    Delivered {
        response: String,
    },
    /// Try again after this many milliseconds (timeouts, 5xx, 429).
    Retry {
        response: String,
        after_ms: i64,
    },
    /// Do not try again (other 4xx, a channel that is gone).
    GiveUp {
        response: String,
    },
}

/// A check's attributes as stored (`[{name, value}]`), values as text.
pub fn parse_attributes(json: &str) -> Vec<Attribute> {
    serde_json::from_str::<Vec<Value>>(json)
        .unwrap_or_default()
        .iter()
        .filter_map(|a| {
            Some(Attribute {
                name: a.get("name")?.as_str()?.to_owned(),
                value: match a.get("value")? {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
            })
        })
        .collect()
}

fn channel_row(row: &sqlx::any::AnyRow) -> Result<ChannelRow, StorageError> {
    let headers: String = row.try_get(4)?;
    let email: Option<String> = row.try_get(7)?;
    Ok(ChannelRow {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        channel_type: row.try_get(2)?,
        url: row.try_get(3)?,
        headers: serde_json::from_str(&headers).unwrap_or_default(),
        secret: row.try_get(5)?,
        email: email.and_then(|e| serde_json::from_str(&e).ok()),
        created_at: row.try_get(6)?,
        incidents: row.try_get::<i64, _>(8)? != 0,
    })
}

const CHANNEL_COLUMNS: &str =
    "id, name, channel_type, url, headers, secret, created_at, email, incidents";

impl Database {
    /// A new channel; `None` when one of that name exists.
    pub async fn create_channel(&self, c: &NewChannel) -> Result<Option<i64>, StorageError> {
        let headers = serde_json::to_string(&c.headers).unwrap_or_else(|_| "{}".to_owned());
        // An email channel's password is kept where a webhook's secret is, out of the
        // settings that are shown.
        let (email, secret) = match &c.email {
            Some(e) => {
                let shown = EmailSettings {
                    password: None,
                    ..e.clone()
                };
                (serde_json::to_string(&shown).ok(), e.password.clone())
            }
            None => (None, c.secret.clone()),
        };
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO notification_channels (name, channel_type, url, headers, secret, \
             created_at, email, incidents) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (name) DO NOTHING RETURNING id",
        )
        .bind(&c.name)
        .bind(c.channel_type.as_str())
        .bind(&c.url)
        .bind(headers)
        .bind(secret)
        .bind(timestamp::now())
        .bind(email)
        .bind(i64::from(c.incidents))
        .fetch_optional(&self.pool)
        .await?;
        Ok(id)
    }

    pub async fn list_channels(&self) -> Result<Vec<ChannelRow>, StorageError> {
        let sql = format!("SELECT {CHANNEL_COLUMNS} FROM notification_channels ORDER BY name");
        let rows = crate::storage::batch::query(sql)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(channel_row).collect()
    }

    pub async fn channel(&self, id: i64) -> Result<Option<ChannelRow>, StorageError> {
        let sql = format!("SELECT {CHANNEL_COLUMNS} FROM notification_channels WHERE id = $1");
        let row = crate::storage::batch::query(sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(channel_row).transpose()
    }

    /// Deletes a channel; rules that named it no longer send there. False when there is none.
    pub async fn delete_channel(&self, id: i64) -> Result<bool, StorageError> {
        let done = sqlx::query("DELETE FROM notification_channels WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(done == 1)
    }

    /// A new rule; `None` when one of that name exists.
    pub async fn create_rule(&self, rule: &RuleDefinition) -> Result<Option<i64>, StorageError> {
        let now = timestamp::now();
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO notification_rules (name, definition, paused, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (name) DO NOTHING RETURNING id",
        )
        .bind(&rule.name)
        .bind(serde_json::to_string(rule).unwrap_or_default())
        .bind(i64::from(rule.paused))
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(id)
    }

    /// Replaces a rule's definition. `Ok(false)` when there is no such rule; a name another
    /// rule has is a unique-constraint error the caller reports.
    pub async fn update_rule(&self, id: i64, rule: &RuleDefinition) -> Result<bool, StorageError> {
        let done = sqlx::query(
            "UPDATE notification_rules SET name = $1, definition = $2, paused = $3, \
             updated_at = $4 WHERE id = $5",
        )
        .bind(&rule.name)
        .bind(serde_json::to_string(rule).unwrap_or_default())
        .bind(i64::from(rule.paused))
        .bind(timestamp::now())
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(done == 1)
    }

    pub async fn rule_name_taken(&self, name: &str, except: i64) -> Result<bool, StorageError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM notification_rules WHERE name = $1 AND id <> $2")
                .bind(name)
                .bind(except)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    pub async fn list_rules(&self) -> Result<Vec<RuleRow>, StorageError> {
        let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(
            "SELECT id, definition, created_at, updated_at FROM notification_rules ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, definition, created_at, updated_at)| {
                Ok(RuleRow {
                    id,
                    definition: serde_json::from_str(&definition)
                        .map_err(|e| StorageError::Corrupt(format!("rule {id}: {e}")))?,
                    created_at,
                    updated_at,
                })
            })
            .collect()
    }

    pub async fn delete_rule(&self, id: i64) -> Result<bool, StorageError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM notification_rules WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM notification_states WHERE rule_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done == 1)
    }

    /// A test message (`validate`) to a channel; the delivery's id.
    pub async fn enqueue_test(&self, channel_id: i64) -> Result<String, StorageError> {
        let id = credentials::random_hex(16);
        insert_delivery(&self.pool, &id, channel_id, "validate", None, "{}", 0).await?;
        Ok(id)
    }

    /// Claims up to `limit` due deliveries for `lease_ms` (another sender skips them until
    /// then; a sender that dies mid-send leaves them to be claimed again), counting the attempt.
    pub async fn claim_deliveries(
        &self,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedDelivery>, StorageError> {
        let now = timestamp::now();
        let _gate = self.write_gate().await;
        let mut tx = self.begin_write().await?;
        // PostgreSQL: rows another sender is claiming are skipped, not waited for.
        let lock = match self.engine {
            shared::api::DatabaseEngine::Postgres => " FOR UPDATE SKIP LOCKED",
            shared::api::DatabaseEngine::Sqlite => "",
        };
        let sql = format!(
            "UPDATE notification_deliveries SET claimed_until = $1, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM notification_deliveries WHERE status = 'pending' \
               AND next_attempt_at <= $2 AND (claimed_until IS NULL OR claimed_until < $2) \
               ORDER BY next_attempt_at LIMIT $3{lock}) \
             RETURNING id, channel_id, event, notice, attempts"
        );
        let claimed: Vec<(String, i64, String, String, i64)> = crate::storage::batch::query_as(sql)
            .bind(now + lease_ms)
            .bind(now)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        // Channels are few: one read of them all, not one per delivery.
        let channels: HashMap<i64, ChannelRow> = self
            .list_channels()
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let mut out = Vec::with_capacity(claimed.len());
        for (id, channel_id, event, notice, attempt) in claimed {
            match channels.get(&channel_id).cloned() {
                Some(channel) => out.push(ClaimedDelivery {
                    id,
                    event,
                    notice,
                    attempt,
                    channel,
                }),
                None => {
                    let response = "the channel was deleted".to_owned();
                    self.finish_delivery(&id, attempt, &AttemptResult::GiveUp { response })
                        .await?;
                }
            }
        }
        Ok(out)
    }

    /// Records how an attempt ended.
    pub async fn finish_delivery(
        &self,
        id: &str,
        attempt: i64,
        result: &AttemptResult,
    ) -> Result<(), StorageError> {
        self.finish_deliveries(&[(id.to_owned(), attempt, result.clone())])
            .await
    }

    /// Records how each of a batch of attempts ended, in one transaction: on SQLite a sender
    /// waits for the write gate once a batch, not once a message, beside scans being stored.
    pub async fn finish_deliveries(
        &self,
        attempts: &[(String, i64, AttemptResult)],
    ) -> Result<(), StorageError> {
        if attempts.is_empty() {
            return Ok(());
        }
        let now = timestamp::now();
        let _gate = self.write_gate().await;
        let mut tx = self.begin_write().await?;
        for (id, attempt, result) in attempts {
            let (status, response, next, delivered) = match result {
                AttemptResult::Delivered { response } => {
                    (DeliveryStatus::Delivered, response, now, Some(now))
                }
                AttemptResult::Retry { response, after_ms } if *attempt < MAX_ATTEMPTS => {
                    (DeliveryStatus::Pending, response, now + after_ms, None)
                }
                AttemptResult::Retry { response, .. } | AttemptResult::GiveUp { response } => {
                    (DeliveryStatus::Dead, response, now, None)
                }
            };
            sqlx::query(
                "UPDATE notification_deliveries SET status = $1, last_response = $2, \
                 next_attempt_at = $3, delivered_at = $4, claimed_until = NULL WHERE id = $5",
            )
            .bind(status.as_str())
            .bind(response.chars().take(500).collect::<String>())
            .bind(next)
            .bind(delivered)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A page of deliveries, newest first, and how many there are.
    pub async fn list_deliveries(
        &self,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<DeliveryRow>, i64), StorageError> {
        let rows = sqlx::query(
            "SELECT d.id, d.channel_id, COALESCE(c.name, ''), d.event, d.scan_id, d.status, \
             d.attempts, d.last_response, d.created_at, d.next_attempt_at, d.delivered_at, \
             d.checks FROM notification_deliveries d \
             LEFT JOIN notification_channels c ON c.id = d.channel_id \
             ORDER BY d.created_at DESC, d.id LIMIT $1 OFFSET $2",
        )
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notification_deliveries")
            .fetch_one(&self.pool)
            .await?;
        let items = rows
            .iter()
            .map(|row| {
                Ok(DeliveryRow {
                    id: row.try_get(0)?,
                    channel_id: row.try_get(1)?,
                    channel: row.try_get(2)?,
                    event: row.try_get(3)?,
                    scan_id: row.try_get(4)?,
                    status: row.try_get(5)?,
                    attempts: row.try_get(6)?,
                    last_response: row.try_get(7)?,
                    created_at: row.try_get(8)?,
                    next_attempt_at: row.try_get(9)?,
                    delivered_at: row.try_get(10)?,
                    checks: row.try_get(11)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok((items, total))
    }

    /// Sends a dead (or delivered) delivery again, with the same id. False when there is none.
    pub async fn redeliver(&self, id: &str) -> Result<bool, StorageError> {
        let done = sqlx::query(
            "UPDATE notification_deliveries SET status = 'pending', attempts = 0, \
             next_attempt_at = $1, claimed_until = NULL WHERE id = $2",
        )
        .bind(timestamp::now())
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(done == 1)
    }
}

async fn insert_delivery<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id: &str,
    channel_id: i64,
    event: &str,
    scan_id: Option<i64>,
    notice: &str,
    checks: i64,
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO notification_deliveries (id, channel_id, event, scan_id, notice, checks, \
         status, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7)",
    )
    .bind(id)
    .bind(channel_id)
    .bind(event)
    .bind(scan_id)
    .bind(notice)
    .bind(checks)
    .bind(timestamp::now())
    .execute(executor)
    .await?;
    Ok(())
}

/// What a rule last told about a check.
#[derive(Debug, Clone)]
struct Told {
    outcome: Option<String>,
    at: i64,
}
