//! Notification channels, rules and the outbox of deliveries (migration 0015 on SQLite, 0017
//! on PostgreSQL). What a scan must send is decided and written in the scan's own transaction
//! ([`enqueue_for_scan`]), so a crash between acknowledging a scan and sending its messages
//! loses nothing; a sender claims due deliveries with a lease, so several Seltzers on one
//! database send each once.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use shared::api::{
    Attribute, CheckFacts, CheckNotice, CheckOutcome, DeliveryStatus, NewChannel, RuleDefinition,
    RuleMode, ScanNotice, SimulatedNotice, Simulation,
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
    pub secret: Option<String>,
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
    Ok(ChannelRow {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        channel_type: row.try_get(2)?,
        url: row.try_get(3)?,
        headers: serde_json::from_str(&headers).unwrap_or_default(),
        secret: row.try_get(5)?,
        created_at: row.try_get(6)?,
    })
}

const CHANNEL_COLUMNS: &str = "id, name, channel_type, url, headers, secret, created_at";

impl Database {
    /// A new channel; `None` when one of that name exists.
    pub async fn create_channel(&self, c: &NewChannel) -> Result<Option<i64>, StorageError> {
        let headers = serde_json::to_string(&c.headers).unwrap_or_else(|_| "{}".to_owned());
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO notification_channels (name, channel_type, url, headers, secret, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING \
             RETURNING id",
        )
        .bind(&c.name)
        .bind(c.channel_type.as_str())
        .bind(&c.url)
        .bind(headers)
        .bind(&c.secret)
        .bind(timestamp::now())
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
        let mut out = Vec::with_capacity(claimed.len());
        for (id, channel_id, event, notice, attempt) in claimed {
            match self.channel(channel_id).await? {
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
    let rows = sqlx::query(
        "SELECT c.id, r.id, r.name, r.definition, c.dataset_id, d.name, s.name, c.column_name, \
         r.outcome, r.value, r.diagnostics, c.attributes FROM check_results r \
         JOIN checks c ON c.id = r.check_id JOIN data_sources s ON s.id = c.data_source_id \
         LEFT JOIN datasets d ON d.id = c.dataset_id \
         WHERE r.scan_id = $1 AND c.latest_result_id = r.id ORDER BY r.id",
    )
    .bind(scan_id)
    .fetch_all(&mut **tx)
    .await?;
    // Only `onChange` and suppression read what was told about each check.
    let remembers =
        |rule: &RuleDefinition| rule.mode == RuleMode::OnChange || rule.suppress_minutes > 0;
    let states: Vec<(i64, i64, Option<String>, i64)> = if rules.iter().any(|(_, r)| remembers(r)) {
        sqlx::query_as(
            "SELECT rule_id, check_id, notified_outcome, notified_at FROM notification_states \
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
                        .or_insert_with(|| with_thresholds(notice.clone(), row));
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
        let checks: Vec<CheckNotice> = checks.into_values().collect();
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

/// A check result as a rule's filter and decision need it; its unit and zones are added only
/// when it is sent ([`with_thresholds`]): reading them costs a parse of the definition and of
/// the diagnostics, for every result of every scan.
fn check_notice(row: &sqlx::any::AnyRow) -> Result<CheckNotice, StorageError> {
    let outcome: Option<String> = row.try_get(8)?;
    let attributes: String = row.try_get(11)?;
    Ok(CheckNotice {
        check_id: row.try_get(0)?,
        result_id: row.try_get(1)?,
        name: row.try_get(2)?,
        unit: shared::api::ValueUnit::Number,
        definition: row.try_get(3)?,
        dataset_id: row.try_get(4)?,
        dataset: row.try_get(5)?,
        data_source: row.try_get(6)?,
        column: row.try_get(7)?,
        outcome: outcome.as_deref().and_then(CheckOutcome::parse),
        recovered: false,
        value: row.try_get(9)?,
        fail: None,
        warn: None,
        attributes: parse_attributes(&attributes),
    })
}

/// The notice with the value's unit and the zones Soda Core reported.
fn with_thresholds(mut notice: CheckNotice, row: &sqlx::any::AnyRow) -> CheckNotice {
    let diagnostics: String = row.try_get(10).unwrap_or_default();
    let diagnostics: Value = serde_json::from_str(&diagnostics).unwrap_or(Value::Null);
    let zone = |key: &str| {
        serde_json::from_value::<SodaBounds>(diagnostics.get(key)?.clone())
            .ok()
            .filter(|b| *b != SodaBounds::default())
            .map(|b| Zone::from_soda_bounds(&b))
    };
    notice.unit = value_unit(&notice.definition);
    notice.fail = zone("fail");
    notice.warn = zone("warn");
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
