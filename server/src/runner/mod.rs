//! The scans Seltzer runs. Every `seltzer serve` process runs a runner: on each tick (or when
//! woken by a new run) it makes the runs that schedules owe, takes over runs whose process died
//! (their lease lapsed), and claims queued runs up to its number of workers, each run's data
//! source allowing. A claimed run gets its job (`job`) and is executed by `process`: Soda Core
//! as a child process that sends its results to this Seltzer through the ordinary ingest, with
//! a key that dies with the run. Runs of a data source that names an agent are left to that
//! agent, which follows the same steps over HTTP (`seltzer agent`).

pub mod job;
pub mod process;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};

use crate::config::RunnerConfig;
use crate::credentials;
use crate::schedule::Schedule;
use crate::secrets::SecretKey;
use crate::storage::{Database, NewRun, RunRow, StorageError};
use crate::timestamp::{self, EpochMillis};
use job::Ended;
use process::{Local, RunSink, SinkError, SodaCloud};

/// What every run of this process shares.
#[derive(Debug, Clone)]
pub struct Runner {
    db: Database,
    config: Arc<RunnerConfig>,
    key: Option<SecretKey>,
    /// Where Soda Core reaches this Seltzer.
    seltzer: Arc<SodaCloud>,
    /// This process, as the runs it holds name it.
    worker: String,
    slots: Arc<Semaphore>,
    wake: Arc<Notify>,
}

impl Runner {
    /// `listening`: the address `seltzer serve` listens on (Soda Core posts its results there;
    /// an unspecified address is reached on the loopback).
    pub fn new(
        db: Database,
        config: Arc<RunnerConfig>,
        key: Option<SecretKey>,
        listening: SocketAddr,
        wake: Arc<Notify>,
    ) -> Self {
        let mut address = listening;
        if address.ip().is_unspecified() {
            address.set_ip(if address.is_ipv4() {
                std::net::Ipv4Addr::LOCALHOST.into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            });
        }
        let seltzer = Arc::new(SodaCloud {
            scheme: "http".to_owned(),
            host: address.ip().to_string(),
            port: address.port(),
        });
        let slots = Arc::new(Semaphore::new(config.workers.max(1)));
        Self {
            db,
            config,
            key,
            seltzer,
            worker: format!("{}-{}", std::process::id(), credentials::random_hex(4)),
            slots,
            wake,
        }
    }

    /// Starts the loop; it runs until the task is aborted (runs in flight are then taken over
    /// by the next process once their lease lapses).
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let tick = Duration::from_millis(self.config.tick_ms.max(10));
            loop {
                if let Err(e) = self.tick().await {
                    tracing::warn!("scan runner: {e}");
                }
                tokio::select! {
                    () = self.wake.notified() => {}
                    () = tokio::time::sleep(tick) => {}
                }
            }
        })
    }

    async fn tick(&self) -> Result<(), StorageError> {
        let now = timestamp::now();
        self.schedule_due(now).await?;
        for run_id in self.db.take_over_lapsed_runs(now).await? {
            tracing::warn!(run_id, "scan run failed: its Seltzer process stopped");
        }
        while let Ok(permit) = Arc::clone(&self.slots).try_acquire_owned() {
            let lease_until = timestamp::now() + self.config.lease_ms;
            let Some(run) = self.db.claim_run(&self.worker, lease_until, None).await? else {
                break;
            };
            let runner = self.clone();
            tokio::spawn(async move {
                let run_id = run.id;
                if let Err(e) = runner.execute(run).await {
                    tracing::warn!(run_id, "scan run: {e}");
                }
                drop(permit);
                // A slot is free: look for the next run now.
                runner.wake.notify_one();
            });
        }
        Ok(())
    }

    /// Runs a claimed run here, to its end.
    async fn execute(&self, run: RunRow) -> Result<(), SinkError> {
        let lease_ms = self.config.lease_ms;
        let on = format!("Seltzer process {}", self.worker);
        let claimer = job::Claimer {
            worker: &self.worker,
            agent: None,
            on: &on,
        };
        let job = job::job_for(&self.db, self.key.as_ref(), &run, claimer, lease_ms).await?;
        let (ended, key_id) = match job {
            Ok(job) => {
                let local = Local {
                    config: &self.config,
                    seltzer: &self.seltzer,
                    worker: &self.worker,
                };
                let sink = DatabaseSink {
                    db: &self.db,
                    run_id: run.id,
                    attempt: run.attempt,
                    worker: &self.worker,
                };
                (
                    process::run(local, &job, &sink).await?,
                    Some(job.api_key_id),
                )
            }
            Err(refused) => (Ended::failed(refused), None),
        };
        job::finish(
            &self.db,
            (run.id, run.attempt),
            &self.worker,
            ended,
            key_id.as_deref(),
        )
        .await?;
        Ok(())
    }

    /// Makes the runs that schedules owe: one per definition whose next fire time has come —
    /// for the latest fire time due, however many passed while no process ran — then moves
    /// its next fire time on. A run is unique per fire time, so processes ticking together
    /// make it once. The tick's first step, on the clock it is given (tests move it).
    pub async fn schedule_due(&self, now: EpochMillis) -> Result<(), StorageError> {
        for definition in self.db.due_definitions(now).await? {
            let (Some(cron), Some(fire)) = (&definition.cron, definition.next_fire_at) else {
                continue;
            };
            let schedule = match Schedule::parse(cron, definition.timezone.as_deref()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(definition = definition.name, "schedule: {e}");
                    continue;
                }
            };
            let due = schedule.latest_due(fire - 1, now).unwrap_or(fire);
            // An agreement not approved in full: the fire time is recorded as skipped, saying
            // who has yet to approve.
            let skipped = if definition.stakeholders.is_empty() {
                None
            } else {
                let approvals = self.db.approvals(definition.id, definition.version).await?;
                let awaiting = definition.awaiting(&approvals);
                (!awaiting.is_empty()).then(|| {
                    format!(
                        "skipped: version {} awaits approval by {}",
                        definition.version,
                        awaiting.join(", ")
                    )
                })
            };
            let run = NewRun {
                definition_id: definition.id,
                version: definition.version,
                origin: "schedule",
                scheduled_for: Some(due),
                data_timestamp: due,
                requested_by: "schedule",
                checks: None,
                skipped: skipped.as_deref(),
            };
            if let Some(id) = self.db.create_run(&run).await? {
                tracing::info!(
                    run_id = id,
                    definition = definition.name,
                    skipped = skipped.as_deref().unwrap_or(""),
                    "scheduled run"
                );
            }
            self.db
                .advance_schedule(definition.id, fire, schedule.next_after(now))
                .await?;
        }
        Ok(())
    }
}

/// A Seltzer process's runs log and renew their lease in the database.
struct DatabaseSink<'a> {
    db: &'a Database,
    run_id: i64,
    attempt: i64,
    worker: &'a str,
}

impl RunSink for DatabaseSink<'_> {
    async fn append(&self, lines: Vec<(EpochMillis, String, String)>) -> Result<(), SinkError> {
        Ok(self.db.append_run_logs(self.run_id, &lines).await?)
    }

    async fn renew(&self, lease_ms: i64) -> Result<Option<shared::api::RunState>, SinkError> {
        Ok(self
            .db
            .renew_lease(
                self.run_id,
                self.worker,
                self.attempt,
                timestamp::now() + lease_ms,
            )
            .await?)
    }
}
