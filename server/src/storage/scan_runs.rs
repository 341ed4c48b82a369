//! Runs of scan definitions, in Soda Cloud's states. Every change is a compare-and-set on the
//! state (and on the worker for an executing run), so several Seltzer processes on one database
//! agree: a scheduled run is made once per fire time (unique per definition and fire time), a
//! queued run is claimed by one process while its data source has room (the data source row
//! is written first, which serializes claims on it), and an executing run whose lease lapsed
//! (its process died) is taken over by any process: retried or failed.

use std::collections::HashMap;

use shared::api::{RunOrigin, RunState};
use sqlx::Row;

use super::{Database, NewApiKey, StorageError};
use crate::timestamp::{self, EpochMillis};

/// A run, with its definition's name.
#[derive(Debug, Clone)]
pub struct RunRow {
    pub id: i64,
    pub definition_id: i64,
    pub definition: String,
    pub version: i64,
    pub origin: String,
    pub scheduled_for: Option<EpochMillis>,
    pub data_timestamp: EpochMillis,
    pub state: String,
    pub attempt: i64,
    pub worker: Option<String>,
    pub exit_code: Option<i64>,
    pub error: Option<String>,
    pub scan_id: Option<i64>,
    pub requested_by: String,
    pub created_at: EpochMillis,
    pub started_at: Option<EpochMillis>,
    pub ended_at: Option<EpochMillis>,
    /// A dry run's checks (it runs them instead of its version's).
    pub checks: Option<String>,
    /// A dry run's outcomes as JSON (`Vec<DryRunCheck>`): it stores no scan.
    pub outcomes: Option<String>,
    /// The agent its data source names (its runs are that agent's to claim).
    pub agent: Option<String>,
}

impl RunRow {
    /// A run of unsaved checks whose results are told, not stored.
    pub fn is_dry_run(&self) -> bool {
        self.origin == RunOrigin::DryRun.as_str()
    }
}

/// A new run.
#[derive(Debug, Clone)]
pub struct NewRun<'a> {
    pub definition_id: i64,
    pub version: i64,
    pub origin: &'a str,
    pub scheduled_for: Option<EpochMillis>,
    pub data_timestamp: EpochMillis,
    pub requested_by: &'a str,
    /// A dry run's checks.
    pub checks: Option<&'a str>,
    /// Why a fire time is not run: the run is made `skipped`, ended, saying so.
    pub skipped: Option<&'a str>,
}

/// One stored log line.
#[derive(Debug, Clone)]
pub struct RunLogRow {
    pub seq: i64,
    pub at: EpochMillis,
    pub stream: String,
    pub line: String,
}

const RUN_COLUMNS: &str = "r.id, r.definition_id, d.name, r.version, r.origin, r.scheduled_for, \
    r.data_timestamp, r.state, r.attempt, r.worker, r.exit_code, r.error, r.scan_id, \
    r.requested_by, r.created_at, r.started_at, r.ended_at, r.checks, r.outcomes, \
    (SELECT agent FROM data_sources WHERE id = d.data_source_id)";

/// A run without its checks and outcomes (each up to a checks file's size): for lists.
const RUN_LIST_COLUMNS: &str = "r.id, r.definition_id, d.name, r.version, r.origin, \
    r.scheduled_for, r.data_timestamp, r.state, r.attempt, r.worker, r.exit_code, r.error, \
    r.scan_id, r.requested_by, r.created_at, r.started_at, r.ended_at, CAST(NULL AS TEXT), \
    CAST(NULL AS TEXT), (SELECT agent FROM data_sources WHERE id = d.data_source_id)";

fn run_row(row: &sqlx::any::AnyRow) -> Result<RunRow, sqlx::Error> {
    Ok(RunRow {
        id: row.try_get(0)?,
        definition_id: row.try_get(1)?,
        definition: row.try_get(2)?,
        version: row.try_get(3)?,
        origin: row.try_get(4)?,
        scheduled_for: row.try_get(5)?,
        data_timestamp: row.try_get(6)?,
        state: row.try_get(7)?,
        attempt: row.try_get(8)?,
        worker: row.try_get(9)?,
        exit_code: row.try_get(10)?,
        error: row.try_get(11)?,
        scan_id: row.try_get(12)?,
        requested_by: row.try_get(13)?,
        created_at: row.try_get(14)?,
        started_at: row.try_get(15)?,
        ended_at: row.try_get(16)?,
        checks: row.try_get(17)?,
        outcomes: row.try_get(18)?,
        agent: row.try_get(19)?,
    })
}

const EXECUTING: &str = "('executing', 'cancelationRequested')";

impl Database {
    /// A queued run; `None` when its definition already has a run for this fire time.
    pub async fn create_run(&self, run: &NewRun<'_>) -> Result<Option<i64>, StorageError> {
        let now = timestamp::now();
        let _gate = self.write_gate().await;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO scan_runs (definition_id, version, origin, scheduled_for, \
             data_timestamp, state, requested_by, created_at, checks, error, ended_at) \
             VALUES ($1, $2, $3, $4, $5, $9, $6, $7, $8, $10, $11) \
             ON CONFLICT (definition_id, scheduled_for) DO NOTHING RETURNING id",
        )
        .bind(run.definition_id)
        .bind(run.version)
        .bind(run.origin)
        .bind(run.scheduled_for)
        .bind(run.data_timestamp)
        .bind(run.requested_by)
        .bind(now)
        .bind(run.checks)
        .bind(if run.skipped.is_some() {
            RunState::Skipped.as_str()
        } else {
            RunState::Queuing.as_str()
        })
        .bind(run.skipped)
        .bind(run.skipped.map(|_| now))
        .fetch_optional(&self.pool)
        .await?;
        Ok(id)
    }

    /// Moves a definition's next fire time from `from` to `to`; false when another process
    /// moved it first.
    pub async fn advance_schedule(
        &self,
        definition_id: i64,
        from: EpochMillis,
        to: Option<EpochMillis>,
    ) -> Result<bool, StorageError> {
        let _gate = self.write_gate().await;
        let done = sqlx::query(
            "UPDATE scan_definitions SET next_fire_at = $1 WHERE id = $2 AND next_fire_at = $3",
        )
        .bind(to)
        .bind(definition_id)
        .bind(from)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(done == 1)
    }

    pub async fn run(&self, id: i64) -> Result<Option<RunRow>, StorageError> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM scan_runs r JOIN scan_definitions d \
             ON d.id = r.definition_id WHERE r.id = $1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(run_row).transpose()?)
    }

    /// The newest run of every definition that has one, by definition id.
    pub async fn latest_runs(&self) -> Result<HashMap<i64, RunRow>, StorageError> {
        let sql = format!(
            "SELECT {RUN_LIST_COLUMNS} FROM scan_runs r JOIN scan_definitions d \
             ON d.id = r.definition_id WHERE r.id IN \
             (SELECT MAX(id) FROM scan_runs GROUP BY definition_id)"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| run_row(row).map(|r| (r.definition_id, r)))
            .collect::<Result<_, _>>()
            .map_err(Into::into)
    }

    /// A definition's runs, newest first, and how many it has.
    pub async fn runs_of(
        &self,
        definition_id: i64,
        page: i64,
        size: i64,
    ) -> Result<(Vec<RunRow>, i64), StorageError> {
        let total: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM scan_runs WHERE definition_id = $1")
                .bind(definition_id)
                .fetch_one(&self.pool)
                .await?;
        let sql = format!(
            "SELECT {RUN_LIST_COLUMNS} FROM scan_runs r JOIN scan_definitions d \
             ON d.id = r.definition_id WHERE r.definition_id = $1 \
             ORDER BY r.id DESC LIMIT $2 OFFSET $3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(definition_id)
            .bind(size)
            .bind(page * size)
            .fetch_all(&self.pool)
            .await?;
        Ok((rows.iter().map(run_row).collect::<Result<_, _>>()?, total))
    }

    /// Claims the oldest queued run whose data source has room, for `worker` until
    /// `lease_until`: for agent `agent`, a run of a data source naming it; for a Seltzer
    /// process (`None`), a run of a data source naming no agent.
    pub async fn claim_run(
        &self,
        worker: &str,
        lease_until: EpochMillis,
        agent: Option<&str>,
    ) -> Result<Option<RunRow>, StorageError> {
        let candidates: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT r.id, d.data_source_id FROM scan_runs r \
             JOIN scan_definitions d ON d.id = r.definition_id \
             JOIN data_sources s ON s.id = d.data_source_id \
             WHERE r.state = 'queuing' AND COALESCE(s.agent, '') = $1 ORDER BY r.id LIMIT 20",
        )
        .bind(agent.unwrap_or_default())
        .fetch_all(&self.pool)
        .await?;
        for (run_id, data_source_id) in candidates {
            let _gate = self.write_gate().await;
            let mut tx = self.pool.begin().await?;
            // Written first: claims on one data source wait for each other here.
            sqlx::query("UPDATE data_sources SET max_concurrent = max_concurrent WHERE id = $1")
                .bind(data_source_id)
                .execute(&mut *tx)
                .await?;
            let sql = format!(
                "SELECT (SELECT max_concurrent FROM data_sources WHERE id = $1) - \
                 (SELECT COUNT(*) FROM scan_runs r JOIN scan_definitions d \
                  ON d.id = r.definition_id WHERE d.data_source_id = $1 \
                  AND r.state IN {EXECUTING})"
            );
            let room: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(data_source_id)
                .fetch_one(&mut *tx)
                .await?;
            if room <= 0 {
                continue;
            }
            let now = timestamp::now();
            let claimed = sqlx::query(
                "UPDATE scan_runs SET state = 'executing', worker = $1, lease_until = $2, \
                 started_at = $3, exit_code = NULL, error = NULL \
                 WHERE id = $4 AND state = 'queuing'",
            )
            .bind(worker)
            .bind(lease_until)
            .bind(now)
            .bind(run_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if claimed == 1 {
                tx.commit().await?;
                return self.run(run_id).await;
            }
        }
        Ok(None)
    }

    /// Renews `worker`'s lease on attempt `attempt` of a run; the run's state now (`None`: no
    /// longer its run — taken over, or a later attempt, even one the same worker claimed).
    pub async fn renew_lease(
        &self,
        run_id: i64,
        worker: &str,
        attempt: i64,
        lease_until: EpochMillis,
    ) -> Result<Option<RunState>, StorageError> {
        let _gate = self.write_gate().await;
        let sql = format!(
            "UPDATE scan_runs SET lease_until = $1 WHERE id = $2 AND worker = $3 \
             AND attempt = $4 AND state IN {EXECUTING} RETURNING state"
        );
        let state: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(lease_until)
            .bind(run_id)
            .bind(worker)
            .bind(attempt)
            .fetch_optional(&self.pool)
            .await?;
        Ok(state.as_deref().and_then(RunState::parse))
    }

    /// Ends `worker`'s attempt `attempt` of a run in `state`; false when it was no longer its
    /// run.
    pub async fn finish_run(
        &self,
        run_id: i64,
        worker: &str,
        attempt: i64,
        state: RunState,
        exit_code: Option<i64>,
        error: Option<&str>,
    ) -> Result<bool, StorageError> {
        let _gate = self.write_gate().await;
        let mut tx = self.pool.begin().await?;
        let sql = format!(
            "UPDATE scan_runs SET state = $1, exit_code = $2, error = $3, ended_at = $4, \
             lease_until = NULL WHERE id = $5 AND worker = $6 AND attempt = $7 \
             AND state IN {EXECUTING}"
        );
        let done = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(state.as_str())
            .bind(exit_code)
            .bind(error)
            .bind(timestamp::now())
            .bind(run_id)
            .bind(worker)
            .bind(attempt)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        // Told by the transaction that ends it: once, whichever process ends it.
        if done == 1 && matches!(state, RunState::Failed | RunState::TimedOut) {
            super::notifications::enqueue_run_failed(&mut tx, run_id).await?;
        }
        tx.commit().await?;
        Ok(done == 1)
    }

    /// Cancels a run: a queued one is canceled at once, an executing one is asked to stop (its
    /// runner ends it). The state it is in afterwards; `None` for no such run.
    pub async fn cancel_run(&self, run_id: i64) -> Result<Option<RunState>, StorageError> {
        let _gate = self.write_gate().await;
        sqlx::query(
            "UPDATE scan_runs SET state = CASE state WHEN 'queuing' THEN 'canceled' \
             ELSE 'cancelationRequested' END, \
             ended_at = CASE state WHEN 'queuing' THEN $1 ELSE ended_at END, \
             error = CASE state WHEN 'queuing' THEN 'canceled before it started' \
             ELSE error END \
             WHERE id = $2 AND state IN ('queuing', 'executing')",
        )
        .bind(timestamp::now())
        .bind(run_id)
        .execute(&self.pool)
        .await?;
        let state: Option<String> = sqlx::query_scalar("SELECT state FROM scan_runs WHERE id = $1")
            .bind(run_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(state.as_deref().and_then(RunState::parse))
    }

    /// Runs whose lease lapsed (their process stopped): a cancel asked for ends canceled; one
    /// with attempts left is queued again; the others fail, saying why. The runs failed for
    /// good.
    pub async fn take_over_lapsed_runs(&self, now: EpochMillis) -> Result<Vec<i64>, StorageError> {
        let sql = format!(
            "SELECT r.id, r.state, r.attempt, COALESCE(d.max_attempts, 1), \
             COALESCE(r.worker, '') FROM scan_runs r \
             JOIN scan_definitions d ON d.id = r.definition_id \
             WHERE r.state IN {EXECUTING} AND r.lease_until < $1"
        );
        let lapsed: Vec<(i64, String, i64, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .fetch_all(&self.pool)
            .await?;
        let mut failed = Vec::new();
        for (id, state, attempt, max_attempts, worker) in lapsed {
            // Who stopped: a Seltzer process (`pid-hex`) or an agent (`agent NAME/instance`).
            let who = if worker.starts_with("agent ") {
                worker.clone()
            } else {
                format!("Seltzer process {worker}")
            };
            let gate = self.write_gate().await;
            let (sql, line) = if state == "cancelationRequested" {
                (
                    "UPDATE scan_runs SET state = 'canceled', worker = NULL, lease_until = NULL, \
                     ended_at = $1, error = 'canceled; its runner stopped' \
                     WHERE id = $2 AND lease_until < $1 AND state = 'cancelationRequested'",
                    None,
                )
            } else if attempt < max_attempts {
                (
                    "UPDATE scan_runs SET state = 'queuing', attempt = attempt + 1, \
                     worker = NULL, lease_until = NULL, started_at = NULL \
                     WHERE id = $2 AND lease_until < $1 AND state = 'executing'",
                    Some(format!(
                        "attempt {attempt} lost its runner ({who}: no heartbeat); queued again \
                         as attempt {}",
                        attempt + 1
                    )),
                )
            } else {
                (
                    "UPDATE scan_runs SET state = 'failed', worker = NULL, lease_until = NULL, \
                     ended_at = $1, error = 'runner lost: the process running it stopped \
                     (no heartbeat)' \
                     WHERE id = $2 AND lease_until < $1 AND state = 'executing'",
                    Some(format!("{who}, running it, stopped (no heartbeat)")),
                )
            };
            let mut tx = self.pool.begin().await?;
            let done = sqlx::query(sql)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let failed_for_good = state == "executing" && attempt >= max_attempts;
            if done == 1 && failed_for_good {
                super::notifications::enqueue_run_failed(&mut tx, id).await?;
            }
            if done == 1 {
                // The lost attempt's Soda Core may still be running somewhere (an agent cut
                // off from Seltzer): its key may no longer send the run's results.
                sqlx::query(
                    "DELETE FROM api_tokens WHERE api_key_id IN \
                     (SELECT id FROM api_keys WHERE run_id = $1)",
                )
                .bind(id)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE api_keys SET revoked_at = $1 WHERE run_id = $2 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            drop(gate);
            if done == 1 {
                if let Some(line) = line {
                    self.append_run_logs(id, &[(now, "seltzer".to_owned(), line)])
                        .await?;
                }
                if failed_for_good {
                    failed.push(id);
                }
            }
        }
        Ok(failed)
    }

    /// Appends lines to a run's log, numbered after its last.
    pub async fn append_run_logs(
        &self,
        run_id: i64,
        lines: &[(EpochMillis, String, String)],
    ) -> Result<(), StorageError> {
        if lines.is_empty() {
            return Ok(());
        }
        let _gate = self.write_gate().await;
        let mut tx = self.pool.begin().await?;
        let last: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM scan_run_logs WHERE run_id = $1")
                .bind(run_id)
                .fetch_one(&mut *tx)
                .await?;
        for (i, (at, stream, line)) in lines.iter().enumerate() {
            sqlx::query(
                "INSERT INTO scan_run_logs (run_id, seq, at, stream, line) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(run_id)
            .bind(last + 1 + i64::try_from(i).unwrap_or(0))
            .bind(at)
            .bind(stream)
            .bind(line)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn run_log_count(&self, run_id: i64) -> Result<i64, StorageError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM scan_run_logs WHERE run_id = $1")
                .bind(run_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Up to `limit` lines after `after`.
    pub async fn run_logs(
        &self,
        run_id: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<RunLogRow>, StorageError> {
        let rows: Vec<(i64, i64, String, String)> = sqlx::query_as(
            "SELECT seq, at, stream, line FROM scan_run_logs WHERE run_id = $1 AND seq > $2 \
             ORDER BY seq LIMIT $3",
        )
        .bind(run_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(seq, at, stream, line)| RunLogRow {
                seq,
                at,
                stream,
                line,
            })
            .collect())
    }

    /// The key a run's Soda Core sends its results with: for its data source only, and for
    /// that run's scan only (see `api_key_run`).
    pub async fn create_run_key(
        &self,
        run_id: i64,
        data_source: &str,
    ) -> Result<NewApiKey, StorageError> {
        self.insert_api_key(
            &format!("scan run {run_id}"),
            shared::api::Role::Viewer,
            Some(&[data_source.to_owned()]),
            Some(run_id),
        )
        .await
    }

    /// Revokes a run attempt's key (and its login tokens): it dies with the attempt. Only
    /// that attempt's: a process that lost its run must not end the next attempt's key. A key
    /// that is not run `run_id`'s is left alone (an agent names the key it was given).
    pub async fn revoke_run_key(&self, run_id: i64, key_id: &str) -> Result<(), StorageError> {
        let _gate = self.write_gate().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "DELETE FROM api_tokens WHERE api_key_id = $1 \
             AND api_key_id IN (SELECT id FROM api_keys WHERE run_id = $2)",
        )
        .bind(key_id)
        .bind(run_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND run_id = $3 \
             AND revoked_at IS NULL",
        )
        .bind(timestamp::now())
        .bind(key_id)
        .bind(run_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// For a run's key: the run whose one scan it may send.
    pub async fn api_key_run(&self, api_key: &str) -> Result<Option<RunRow>, StorageError> {
        let sql = format!(
            "SELECT {RUN_LIST_COLUMNS} FROM api_keys k JOIN scan_runs r ON r.id = k.run_id \
             JOIN scan_definitions d ON d.id = r.definition_id WHERE k.id = $1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(api_key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(run_row).transpose()?)
    }

    /// What a dry run's Soda Core reported (JSON), kept on the run instead of a scan.
    pub async fn set_run_outcomes(&self, run_id: i64, outcomes: &str) -> Result<(), StorageError> {
        let _gate = self.write_gate().await;
        sqlx::query("UPDATE scan_runs SET outcomes = $1 WHERE id = $2")
            .bind(outcomes)
            .bind(run_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records the scan a run's results were stored as.
    pub async fn link_run_scan(&self, run_id: i64, scan_id: i64) -> Result<(), StorageError> {
        let _gate = self.write_gate().await;
        sqlx::query("UPDATE scan_runs SET scan_id = $1 WHERE id = $2")
            .bind(scan_id)
            .bind(run_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// `(has_errors, has_failures, has_warnings)` of a stored scan.
    pub async fn scan_flags(
        &self,
        scan_id: i64,
    ) -> Result<Option<(bool, bool, bool)>, StorageError> {
        let row: Option<(i64, i64, i64)> = sqlx::query_as(
            "SELECT has_errors, has_failures, has_warnings FROM scans WHERE id = $1",
        )
        .bind(scan_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(e, f, w)| (e != 0, f != 0, w != 0)))
    }
}
