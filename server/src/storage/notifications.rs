//! Notification channels, rules and the outbox of deliveries (migrations 0015 and 0016 on
//! SQLite, 0017 and 0018 on PostgreSQL). What a scan must send is decided and written in the scan's own transaction
//! ([`enqueue_for_scan`]), so a crash between acknowledging a scan and sending its messages
//! loses nothing; a sender claims due deliveries with a lease, so several Seltzers on one
//! database send each once.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use shared::api::{
    Attribute, CheckFacts, CheckNotice, CheckOutcome, DeliveryStatus, EmailSettings, NewChannel,
    OverdueDataset, OverdueNotice, RuleDefinition, RuleMode, ScanNotice, SimulatedNotice,
    Simulation,
};
use shared::sodacl::Zone;
use shared::sodacl::threshold::SodaBounds;
use shared::sodacl::units::value_unit;
use sqlx::Row;

use super::{Database, StorageError};
use crate::credentials;
use crate::soda::document::ScanResults;
use crate::timestamp;

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
    })
}

const CHANNEL_COLUMNS: &str = "id, name, channel_type, url, headers, secret, created_at, email";

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
             created_at, email) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) DO NOTHING \
             RETURNING id",
        )
        .bind(&c.name)
        .bind(c.channel_type.as_str())
        .bind(&c.url)
        .bind(headers)
        .bind(secret)
        .bind(timestamp::now())
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        Ok(id)
    }

    pub async fn list_channels(&self) -> Result<Vec<ChannelRow>, StorageError> {
        let sql = format!("SELECT {CHANNEL_COLUMNS} FROM notification_channels ORDER BY name");
        let rows = super::batch::query(sql).fetch_all(&self.pool).await?;
        rows.iter().map(channel_row).collect()
    }

    pub async fn channel(&self, id: i64) -> Result<Option<ChannelRow>, StorageError> {
        let sql = format!("SELECT {CHANNEL_COLUMNS} FROM notification_channels WHERE id = $1");
        let row = super::batch::query(sql)
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
        let claimed: Vec<(String, i64, String, String, i64)> = super::batch::query_as(sql)
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

impl Database {
    /// Finds the datasets that have had no scan for a rule's `noScanHours` (since their
    /// latest scan reached Seltzer) and writes one delivery per channel listing them. Each
    /// (rule, dataset, latest scan) is told once however many Seltzers look: the insert into
    /// `notification_overdue` is the claim. How many datasets it told about.
    pub async fn enqueue_overdue(&self, now: i64) -> Result<usize, StorageError> {
        let rules: Vec<RuleRow> = self
            .list_rules()
            .await?
            .into_iter()
            .filter(|r| !r.definition.paused && r.definition.no_scan_hours.is_some())
            .collect();
        if rules.is_empty() {
            return Ok(0);
        }
        let datasets: Vec<(i64, String, String, i64, i64)> = sqlx::query_as(
            "SELECT d.id, d.name, s.name, sc.id, sc.received_at FROM datasets d \
             JOIN data_sources s ON s.id = d.data_source_id \
             JOIN scans sc ON sc.id = d.last_scan_id",
        )
        .fetch_all(&self.pool)
        .await?;
        // A rule that names checks (by name or attributes) covers the datasets holding one.
        let by_checks =
            |r: &RuleDefinition| r.filter.check_name.is_some() || !r.filter.attributes.is_empty();
        let mut checks: HashMap<i64, Vec<(String, Vec<Attribute>)>> = HashMap::new();
        if rules.iter().any(|r| by_checks(&r.definition)) {
            let rows: Vec<(i64, String, String)> = sqlx::query_as(
                "SELECT dataset_id, name, attributes FROM checks WHERE dataset_id IS NOT NULL",
            )
            .fetch_all(&self.pool)
            .await?;
            for (dataset, name, attributes) in rows {
                checks
                    .entry(dataset)
                    .or_default()
                    .push((name, parse_attributes(&attributes)));
            }
        }
        let told: std::collections::HashSet<(i64, i64, i64)> =
            sqlx::query_as("SELECT rule_id, dataset_id, last_scan_id FROM notification_overdue")
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .collect();
        let mut found: Vec<(&RuleRow, OverdueDataset)> = Vec::new();
        for rule in &rules {
            let r = &rule.definition;
            let quiet_ms = r.no_scan_hours.unwrap_or(0).saturating_mul(3_600_000);
            for (id, name, source, scan_id, received) in &datasets {
                if now - received < quiet_ms || told.contains(&(rule.id, *id, *scan_id)) {
                    continue;
                }
                let facts = |check: &str, attributes: &[Attribute]| {
                    r.filter.matches(&CheckFacts {
                        name: check,
                        dataset: Some(name),
                        data_source: source,
                        attributes,
                    })
                };
                let covered = if by_checks(r) {
                    checks
                        .get(id)
                        .is_some_and(|cs| cs.iter().any(|(n, a)| facts(n, a)))
                } else {
                    facts("", &[])
                };
                if covered {
                    found.push((
                        rule,
                        OverdueDataset {
                            dataset_id: *id,
                            dataset: name.clone(),
                            data_source: source.clone(),
                            last_scan_id: *scan_id,
                            last_scan_at: timestamp::format(*received),
                        },
                    ));
                }
            }
        }
        if found.is_empty() {
            return Ok(0);
        }
        let _gate = self.write_gate().await;
        let mut tx = self.begin_write().await?;
        // A dataset scanned again may go quiet again: what was told of its older scans goes.
        sqlx::query(
            "DELETE FROM notification_overdue WHERE NOT EXISTS (SELECT 1 FROM datasets d \
             WHERE d.id = notification_overdue.dataset_id \
             AND d.last_scan_id = notification_overdue.last_scan_id)",
        )
        .execute(&mut *tx)
        .await?;
        let mut per_rule: BTreeMap<i64, (&RuleRow, Vec<OverdueDataset>)> = BTreeMap::new();
        for (rule, dataset) in found {
            let claimed: Option<i64> = sqlx::query_scalar(
                "INSERT INTO notification_overdue (rule_id, dataset_id, last_scan_id, \
                 notified_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING rule_id",
            )
            .bind(rule.id)
            .bind(dataset.dataset_id)
            .bind(dataset.last_scan_id)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            if claimed.is_some() {
                per_rule
                    .entry(rule.id)
                    .or_insert((rule, Vec::new()))
                    .1
                    .push(dataset);
            }
        }
        let mut told_now = 0;
        for (rule, datasets) in per_rule.into_values() {
            told_now += datasets.len();
            let count = i64::try_from(datasets.len()).unwrap_or(i64::MAX);
            let notice = OverdueNotice {
                rule: rule.definition.name.clone(),
                hours: rule.definition.no_scan_hours.unwrap_or(0),
                datasets,
            };
            let body = serde_json::to_string(&notice).unwrap_or_default();
            for channel in &rule.definition.channel_ids {
                let id = credentials::random_hex(16);
                insert_delivery(
                    &mut *tx,
                    &id,
                    *channel,
                    "datasetOverdue",
                    None,
                    &body,
                    count,
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(told_now)
    }
}

/// Results a simulation tries at the most.
const SIMULATION_RESULTS: usize = 200_000;

impl Database {
    /// What `rule` would have sent over the results since `from` (data time), in its mode
    /// and in the other: each covered check's results replayed in data-time order through the
    /// same decision ingest makes ([`decide`]), each result as it was the check's latest.
    pub async fn simulate_rule(
        &self,
        rule: &RuleDefinition,
        from: i64,
    ) -> Result<Simulation, StorageError> {
        let checks: Vec<(i64, String, Option<String>, String, String)> = sqlx::query_as(
            "SELECT c.id, c.name, d.name, s.name, c.attributes FROM checks c \
             JOIN data_sources s ON s.id = c.data_source_id \
             LEFT JOIN datasets d ON d.id = c.dataset_id",
        )
        .fetch_all(&self.pool)
        .await?;
        let covered: HashMap<i64, String> = checks
            .into_iter()
            .filter(|(_, name, dataset, source, attributes)| {
                let attributes = parse_attributes(attributes);
                rule.filter.matches(&CheckFacts {
                    name,
                    dataset: dataset.as_deref(),
                    data_source: source,
                    attributes: &attributes,
                })
            })
            .map(|(id, name, ..)| (id, name))
            .collect();
        let ids: Vec<i64> = covered.keys().copied().collect();
        let mut results: Vec<(i64, i64, i64, Option<String>)> = Vec::new();
        let mut truncated = false;
        for chunk in ids.chunks(super::batch::ROWS_PER_STATEMENT) {
            let mut p = super::batch::Placeholders::new(self.engine);
            let sql = format!(
                "SELECT check_id, scan_id, data_timestamp, outcome FROM check_results \
                 WHERE data_timestamp >= {} AND check_id IN ({}) LIMIT {}",
                p.next(),
                p.list(chunk.len()),
                SIMULATION_RESULTS + 1 - results.len()
            );
            let mut q = super::batch::query_as(sql).bind(from);
            for id in chunk {
                q = q.bind(*id);
            }
            results.extend(q.fetch_all(&self.pool).await?);
            if results.len() > SIMULATION_RESULTS {
                results.truncate(SIMULATION_RESULTS);
                truncated = true;
                break;
            }
        }
        results.sort_by_key(|&(check, scan, at, _)| (check, at, scan));
        let tally = |mode: RuleMode| -> (i64, i64, Vec<SimulatedNotice>) {
            let rule = RuleDefinition {
                mode,
                ..rule.clone()
            };
            let mut told: Option<(i64, Told)> = None;
            let mut scans = std::collections::BTreeSet::new();
            let mut notices = 0;
            let mut sent = Vec::new();
            for (check, scan, at, outcome) in &results {
                let Some(outcome) = outcome.as_deref().and_then(CheckOutcome::parse) else {
                    continue;
                };
                let before = told.as_ref().filter(|(c, _)| c == check).map(|(_, t)| t);
                let Some((send, recovered, now_told)) = decide(&rule, outcome, before, *at) else {
                    continue;
                };
                if let Some(state) = now_told {
                    told = Some((*check, state));
                }
                if send {
                    notices += 1;
                    scans.insert(*scan);
                    sent.push(SimulatedNotice {
                        check_id: *check,
                        name: covered.get(check).cloned().unwrap_or_default(),
                        data_timestamp: timestamp::format(*at),
                        outcome: Some(outcome),
                        recovered,
                    });
                }
            }
            sent.sort_by(|a, b| a.data_timestamp.cmp(&b.data_timestamp));
            sent.truncate(20);
            (
                i64::try_from(scans.len()).unwrap_or(i64::MAX),
                notices,
                sent,
            )
        };
        let every = tally(RuleMode::EveryResult);
        let change = tally(RuleMode::OnChange);
        let (messages, notices, examples) = match rule.mode {
            RuleMode::EveryResult => every.clone(),
            RuleMode::OnChange => change.clone(),
        };
        Ok(Simulation {
            days: 0,
            checks: i64::try_from(covered.len()).unwrap_or(i64::MAX),
            results: i64::try_from(results.len()).unwrap_or(i64::MAX),
            messages,
            notices,
            every_result_messages: every.0,
            every_result_notices: every.1,
            on_change_messages: change.0,
            on_change_notices: change.1,
            examples,
            truncated,
        })
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

/// Decides which of a stored scan's results the rules notify about, updates what each rule
/// last told about each check, and writes one delivery per channel listing them (the scan's
/// transaction, so the messages exist exactly when the scan does). Only results that are now
/// their check's latest count: a backfill of old history notifies no one.
pub(super) async fn enqueue_for_scan(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    engine: shared::api::DatabaseEngine,
    scan_id: i64,
    doc: &ScanResults,
) -> Result<(), StorageError> {
    let rules: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, definition FROM notification_rules WHERE paused = 0")
            .fetch_all(&mut **tx)
            .await?;
    if rules.is_empty() {
        return Ok(());
    }
    let rules: Vec<(i64, RuleDefinition)> = rules
        .into_iter()
        .filter_map(|(id, d)| Some((id, serde_json::from_str(&d).ok()?)))
        .collect();
    // Only results a rule can tell about are read: outcomes some rule sends, and, where an
    // `onChange` rule has told about a check, whatever it has now (a recovery, or a state to
    // forget). Most results of most scans pass; reading them all, with their definitions and
    // diagnostics, was most of what rules cost ingest.
    let mut outcomes: Vec<&str> = rules
        .iter()
        .flat_map(|(_, r)| r.outcomes.iter().map(|o| o.as_str()))
        .collect();
    outcomes.sort_unstable();
    outcomes.dedup();
    let listed = outcomes
        .iter()
        .map(|o| format!("'{o}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let told_checks = if rules.iter().any(|(_, r)| r.mode == RuleMode::OnChange) {
        " OR c.id IN (SELECT check_id FROM notification_states \
         WHERE notified_outcome IS NOT NULL)"
    } else {
        ""
    };
    let attributes = if rules.iter().any(|(_, r)| !r.filter.attributes.is_empty()) {
        "c.attributes"
    } else {
        "'[]'"
    };
    let sql = format!(
        "SELECT c.id, r.id, r.name, c.dataset_id, d.name, s.name, c.column_name, r.outcome, \
         r.value, {attributes} FROM check_results r \
         JOIN checks c ON c.id = r.check_id JOIN data_sources s ON s.id = c.data_source_id \
         LEFT JOIN datasets d ON d.id = c.dataset_id \
         WHERE r.scan_id = $1 AND c.latest_result_id = r.id \
         AND (r.outcome IN ({listed}){told_checks}) ORDER BY r.id"
    );
    let rows = super::batch::query(sql)
        .bind(scan_id)
        .fetch_all(&mut **tx)
        .await?;
    // Only `onChange` and suppression read what was told about each check.
    let remembers =
        |rule: &RuleDefinition| rule.mode == RuleMode::OnChange || rule.suppress_minutes > 0;
    let states: Vec<(i64, i64, Option<String>, i64)> =
        if !rows.is_empty() && rules.iter().any(|(_, r)| remembers(r)) {
            sqlx::query_as(
                "SELECT rule_id, check_id, notified_outcome, notified_at \
                 FROM notification_states \
                 WHERE check_id IN (SELECT check_id FROM check_results WHERE scan_id = $1)",
            )
            .bind(scan_id)
            .fetch_all(&mut **tx)
            .await?
        } else {
            Vec::new()
        };
    let mut told: HashMap<(i64, i64), Told> = states
        .into_iter()
        .map(|(rule, check, outcome, at)| ((rule, check), Told { outcome, at }))
        .collect();

    let now = timestamp::now();
    // Per channel: the checks to list (once each, whichever rules matched) and whether to
    // tell that the scan failed.
    let mut per_channel: BTreeMap<i64, (BTreeMap<i64, CheckNotice>, bool)> = BTreeMap::new();
    let mut changed_states: Vec<((i64, i64), Told)> = Vec::new();
    for row in &rows {
        let notice = check_notice(row)?;
        let Some(outcome) = notice.outcome else {
            continue;
        };
        for (rule_id, rule) in &rules {
            let facts = CheckFacts {
                name: &notice.name,
                dataset: notice.dataset.as_deref(),
                data_source: &notice.data_source,
                attributes: &notice.attributes,
            };
            if !rule.filter.matches(&facts) {
                continue;
            }
            let key = (*rule_id, notice.check_id);
            let before = told.get(&key).cloned();
            let Some((send, recovered, now_told)) = decide(rule, outcome, before.as_ref(), now)
            else {
                continue;
            };
            // An `everyResult` rule without suppression writes nothing per check.
            if let Some(state) = now_told.filter(|_| remembers(rule)) {
                told.insert(key, state.clone());
                changed_states.push((key, state));
            }
            if send {
                for channel in &rule.channel_ids {
                    let (checks, _) = per_channel.entry(*channel).or_default();
                    let entry = checks
                        .entry(notice.check_id)
                        .or_insert_with(|| notice.clone());
                    entry.recovered = recovered;
                }
            }
        }
    }
    if doc.failed() {
        for (_, rule) in &rules {
            let source_matches = rule
                .filter
                .data_source
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case(&doc.default_data_source));
            if rule.scan_failures && source_matches {
                for channel in &rule.channel_ids {
                    per_channel.entry(*channel).or_default().1 = true;
                }
            }
        }
    }

    for ((rule_id, check_id), state) in changed_states {
        sqlx::query(
            "INSERT INTO notification_states (rule_id, check_id, notified_outcome, notified_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (rule_id, check_id) DO UPDATE SET \
             notified_outcome = excluded.notified_outcome, notified_at = excluded.notified_at",
        )
        .bind(rule_id)
        .bind(check_id)
        .bind(state.outcome)
        .bind(state.at)
        .execute(&mut **tx)
        .await?;
    }
    if per_channel.is_empty() {
        return Ok(());
    }
    let sent: std::collections::BTreeSet<i64> = per_channel
        .values()
        .flat_map(|(checks, _)| checks.values().map(|c| c.result_id))
        .collect();
    let details = sent_details(tx, engine, &sent).await?;
    let errors: Vec<String> = doc
        .logs
        .iter()
        .filter(|l| l.get("level").and_then(Value::as_str) == Some("error"))
        .filter_map(|l| l.get("message").and_then(Value::as_str))
        .take(5)
        .map(str::to_owned)
        .collect();
    // A channel deleted since the rule named it: the sender gives its delivery up, said so.
    for (channel_id, (checks, scan_failed)) in per_channel {
        let checks: Vec<CheckNotice> = checks
            .into_values()
            .map(|c| with_details(c, &details))
            .collect();
        let count = i64::try_from(checks.len()).unwrap_or(i64::MAX);
        let notice = ScanNotice {
            scan_id,
            definition: doc.definition_name.clone(),
            data_source: doc.default_data_source.clone(),
            data_timestamp: timestamp::format(doc.data_timestamp),
            scan_failed,
            errors: if scan_failed {
                errors.clone()
            } else {
                Vec::new()
            },
            checks,
        };
        let body = serde_json::to_string(&notice).unwrap_or_default();
        let id = credentials::random_hex(16);
        let event = if count > 0 {
            "checkEvaluation"
        } else {
            "scanFailed"
        };
        insert_delivery(
            &mut **tx,
            &id,
            channel_id,
            event,
            Some(scan_id),
            &body,
            count,
        )
        .await?;
    }
    Ok(())
}

/// Whether a rule tells about a check's new outcome: `(send, as a recovery, what the rule has
/// told now)`, or `None` when nothing changes. `before` is what it last told.
fn decide(
    rule: &RuleDefinition,
    outcome: CheckOutcome,
    before: Option<&Told>,
    now: i64,
) -> Option<(bool, bool, Option<Told>)> {
    let last = before.and_then(|t| t.outcome.as_deref());
    let suppressed = rule.suppress_minutes > 0
        && before.is_some_and(|t| now - t.at < rule.suppress_minutes * 60_000);
    let told = |outcome: Option<&str>| Told {
        outcome: outcome.map(str::to_owned),
        at: now,
    };
    if rule.outcomes.contains(&outcome) {
        let news = match rule.mode {
            RuleMode::EveryResult => true,
            // Entering warn or fail, or worsening from warn to fail.
            RuleMode::OnChange => match last {
                None => true,
                Some("warn") => outcome == CheckOutcome::Fail,
                Some(_) => false,
            },
        };
        if news && !suppressed {
            return Some((true, false, Some(told(Some(outcome.as_str())))));
        }
        // Still failing (or better, but still matched): remember the state, not a new time.
        if rule.mode == RuleMode::OnChange && !news && last != Some(outcome.as_str()) {
            let at = before.map_or(now, |t| t.at);
            return Some((
                false,
                false,
                Some(Told {
                    outcome: Some(outcome.as_str().to_owned()),
                    at,
                }),
            ));
        }
        return None;
    }
    // Out of the rule's outcomes again: an `onChange` rule that had told forgets it, and says
    // so when asked to.
    if rule.mode == RuleMode::OnChange && last.is_some() {
        let recovery = rule.recovery && outcome == CheckOutcome::Pass;
        return Some((recovery, recovery, Some(told(None))));
    }
    None
}

/// A check result as a rule's filter and decision need it; its definition, unit, zones and
/// (unless a rule filters on them) attributes are read only for the results that are sent
/// ([`sent_details`]).
fn check_notice(row: &sqlx::any::AnyRow) -> Result<CheckNotice, StorageError> {
    let outcome: Option<String> = row.try_get(7)?;
    let attributes: String = row.try_get(9)?;
    Ok(CheckNotice {
        check_id: row.try_get(0)?,
        result_id: row.try_get(1)?,
        name: row.try_get(2)?,
        unit: shared::api::ValueUnit::Number,
        definition: String::new(),
        dataset_id: row.try_get(3)?,
        dataset: row.try_get(4)?,
        data_source: row.try_get(5)?,
        column: row.try_get(6)?,
        outcome: outcome.as_deref().and_then(CheckOutcome::parse),
        recovered: false,
        value: row.try_get(8)?,
        fail: None,
        warn: None,
        attributes: parse_attributes(&attributes),
    })
}

/// A sent result's definition, diagnostics and check attributes.
type Details = HashMap<i64, (String, String, String)>;

async fn sent_details(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    engine: shared::api::DatabaseEngine,
    result_ids: &std::collections::BTreeSet<i64>,
) -> Result<Details, StorageError> {
    let ids: Vec<i64> = result_ids.iter().copied().collect();
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(super::batch::ROWS_PER_STATEMENT) {
        let mut p = super::batch::Placeholders::new(engine);
        let sql = format!(
            "SELECT r.id, r.definition, r.diagnostics, c.attributes FROM check_results r \
             JOIN checks c ON c.id = r.check_id WHERE r.id IN ({})",
            p.list(chunk.len())
        );
        let mut q = super::batch::query_as::<(i64, String, String, String)>(sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for (id, definition, diagnostics, attributes) in q.fetch_all(&mut **tx).await? {
            out.insert(id, (definition, diagnostics, attributes));
        }
    }
    Ok(out)
}

/// The notice with its definition, attributes, the value's unit and the zones Soda Core
/// reported.
fn with_details(mut notice: CheckNotice, details: &Details) -> CheckNotice {
    let Some((definition, diagnostics, attributes)) = details.get(&notice.result_id) else {
        return notice;
    };
    let diagnostics: Value = serde_json::from_str(diagnostics).unwrap_or(Value::Null);
    let zone = |key: &str| {
        serde_json::from_value::<SodaBounds>(diagnostics.get(key)?.clone())
            .ok()
            .filter(|b| *b != SodaBounds::default())
            .map(|b| Zone::from_soda_bounds(&b))
    };
    notice.definition.clone_from(definition);
    notice.unit = value_unit(definition);
    notice.fail = zone("fail");
    notice.warn = zone("warn");
    notice.attributes = parse_attributes(attributes);
    notice
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(mode: RuleMode, outcomes: &[CheckOutcome], recovery: bool) -> RuleDefinition {
        RuleDefinition {
            name: "r".to_owned(),
            channel_ids: vec![1],
            outcomes: outcomes.to_vec(),
            mode,
            recovery,
            suppress_minutes: 0,
            scan_failures: false,
            no_scan_hours: None,
            filter: Default::default(),
            paused: false,
        }
    }

    /// Runs outcomes through a rule; which of them it sends (`R` for a recovery).
    fn sent(rule: &RuleDefinition, outcomes: &[CheckOutcome]) -> String {
        let mut state: Option<Told> = None;
        let mut out = String::new();
        for (i, o) in outcomes.iter().enumerate() {
            let now = i64::try_from(i).unwrap() * 60_000;
            match decide(rule, *o, state.as_ref(), now) {
                Some((send, recovered, told)) => {
                    if send {
                        out.push(if recovered { 'R' } else { 'S' });
                    } else {
                        out.push('.');
                    }
                    if told.is_some() {
                        state = told;
                    }
                }
                None => out.push('.'),
            }
        }
        out
    }

    #[test]
    fn on_change_tells_when_a_check_enters_fail_and_when_it_recovers() {
        use CheckOutcome::{Fail, Pass, Warn};
        let both = [Fail, Warn];
        let every = rule(RuleMode::EveryResult, &both, false);
        assert_eq!(sent(&every, &[Fail, Fail, Pass, Warn]), "SS.S");
        let change = rule(RuleMode::OnChange, &both, true);
        assert_eq!(sent(&change, &[Fail, Fail, Fail, Pass, Fail]), "S..RS");
        // Worse again (warn to fail) is news; better (fail to warn) is not.
        assert_eq!(sent(&change, &[Warn, Fail, Warn, Fail, Pass]), "SS.SR");
        let quiet = rule(RuleMode::OnChange, &[Fail], false);
        assert_eq!(sent(&quiet, &[Warn, Fail, Pass, Pass, Fail]), ".S..S");
        let mut suppressed = rule(RuleMode::EveryResult, &[Fail], false);
        suppressed.suppress_minutes = 3;
        assert_eq!(sent(&suppressed, &[Fail, Fail, Fail, Fail, Fail]), "S..S.");
    }
}
