//! The server's half of a run, whoever executes it (this process's runner or an agent): the
//! job handed out when a run is claimed (the version's checks, the data source's configuration
//! with its stored secrets opened, a key for this attempt), and the end of the run, judged
//! from the results Soda Core stored.

use std::collections::BTreeMap;

use shared::api::{AgentJob, CheckOutcome, DryRunCheck, Engine, NewScanDefinition, RunState};

use crate::secrets::{self, Reference, Sealed, SecretKey};
use crate::storage::{Database, RunRow, StorageError};
use crate::timestamp;

/// How a run's process ended, as its executor saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    pub state: RunState,
    pub exit_code: Option<i64>,
    pub error: Option<String>,
}

impl Ended {
    pub fn failed(error: impl Into<String>) -> Self {
        Self {
            state: RunState::Failed,
            exit_code: None,
            error: Some(error.into()),
        }
    }
}

/// Who claimed a run: a Seltzer process, or an instance of an agent.
#[derive(Debug, Clone, Copy)]
pub struct Claimer<'a> {
    /// The worker the run is held by (its lease names it).
    pub worker: &'a str,
    /// The agent, for an agent's instance.
    pub agent: Option<&'a str>,
    /// Who runs it, as its log says.
    pub on: &'a str,
}

/// The job of a run `claimer` claimed, or why it cannot run (`Ok(Err)`: the run is then to be
/// finished as failed). The key is made last, and the lease renewed after it: hashing the key
/// takes a core for a while, and a slow start on a busy machine must not be taken for a dead
/// process.
pub async fn job_for(
    db: &Database,
    key: Option<&SecretKey>,
    run: &RunRow,
    claimer: Claimer<'_>,
    lease_ms: i64,
) -> Result<Result<AgentJob, String>, StorageError> {
    let on = claimer.on;
    db.append_run_logs(
        run.id,
        &[(
            timestamp::now(),
            "seltzer".to_owned(),
            format!(
                "attempt {} of '{}' (version {}), data timestamp {}, on {on}",
                run.attempt,
                run.definition,
                run.version,
                timestamp::format(run.data_timestamp)
            ),
        )],
    )
    .await?;
    let Some((_, _, body)) = db
        .definition_version(run.definition_id, run.version)
        .await?
    else {
        return Ok(Err(format!(
            "version {} of the definition is gone",
            run.version
        )));
    };
    let definition: NewScanDefinition = match serde_json::from_str(&body) {
        Ok(d) => d,
        Err(e) => {
            return Ok(Err(format!(
                "version {} of the definition cannot be read: {e}",
                run.version
            )));
        }
    };
    let Some(data_source) = db.configured_data_source(&definition.data_source).await? else {
        return Ok(Err(format!(
            "the data source '{}' has no configuration",
            definition.data_source
        )));
    };
    // Runs are claimed by the definition's data source now; the version may name another
    // (edited while the run was queued): its secrets go only to whoever runs that one.
    if data_source.agent.as_deref() != claimer.agent {
        return Ok(Err(format!(
            "version {} runs on the data source '{}', which {}: the definition was moved to \
             another data source while the run waited; run it again",
            run.version,
            data_source.name,
            data_source.agent.as_deref().map_or_else(
                || "Seltzer runs".to_owned(),
                |a| format!("agent '{a}' runs")
            ),
        )));
    }
    let configuration = match definition.engine {
        Engine::V3 => Some(data_source.configuration.clone()).filter(|c| !c.trim().is_empty()),
        Engine::V4 => data_source.configuration_v4.clone(),
    };
    let Some(configuration) = configuration else {
        return Ok(Err(format!(
            "the data source '{}' has no configuration for Soda Core {}",
            data_source.name,
            match definition.engine {
                Engine::V3 => "3.5.6 (configuration)",
                Engine::V4 => "4 (configurationV4)",
            }
        )));
    };
    // Stored secrets are opened here (the key never leaves Seltzer); `${env:}` and
    // `${file:}` are read where the scan runs.
    let mut opened = BTreeMap::new();
    let references = match secrets::references(&configuration) {
        Ok(r) => r,
        Err(e) => return Ok(Err(format!("the data source's configuration: {e}"))),
    };
    for (_, reference) in references {
        let Reference::Secret(name) = reference else {
            continue;
        };
        let Some(key) = key else {
            return Ok(Err(format!(
                "the data source refers to ${{secret:{name}}}, and SELTZER_SECRET_KEY is not \
                 set: secrets cannot be read"
            )));
        };
        let Some((nonce, ciphertext)) = db.secret(&name).await? else {
            return Ok(Err(format!(
                "the data source refers to ${{secret:{name}}}, which is not stored"
            )));
        };
        match key.open(&name, &Sealed { nonce, ciphertext }) {
            Ok(v) => opened.insert(name, v),
            Err(e) => return Ok(Err(e)),
        };
    }
    // Results go to Seltzer with a key for this attempt only (a dry run's are told, not
    // stored: the ingest sees whose key it is).
    let run_key = db.create_run_key(run.id, &data_source.name).await?;
    if db
        .renew_lease(
            run.id,
            claimer.worker,
            run.attempt,
            timestamp::now() + lease_ms,
        )
        .await?
        .is_none()
    {
        db.revoke_run_key(run.id, &run_key.id).await?;
        return Ok(Err("its lease was lost before it started".to_owned()));
    }
    Ok(Ok(AgentJob {
        run_id: run.id,
        attempt: run.attempt,
        definition: run.definition.clone(),
        version: run.version,
        engine: definition.engine,
        data_source: data_source.name,
        data_source_type: data_source.source_type,
        configuration,
        secrets: opened,
        // The checks of a dry run, else the version's.
        checks: run.checks.clone().unwrap_or(definition.checks),
        variables: definition.variables,
        timeout_seconds: definition
            .timeout_seconds
            .unwrap_or(NewScanDefinition::DEFAULT_TIMEOUT_SECONDS),
        data_timestamp: timestamp::format_offset(run.data_timestamp),
        api_key_id: run_key.id,
        api_key_secret: run_key.secret,
        lease_ms,
    }))
}

/// Ends `worker`'s attempt `attempt` of run `run_id`: its key revoked (when it got one), its
/// state judged from the results stored, the end written to its log. The state it ended in;
/// `None` when the run was no longer `worker`'s (another process took it over).
pub async fn finish(
    db: &Database,
    (run_id, attempt): (i64, i64),
    worker: &str,
    ended: Ended,
    key_id: Option<&str>,
) -> Result<Option<RunState>, StorageError> {
    if let Some(key_id) = key_id {
        db.revoke_run_key(run_id, key_id).await?;
    }
    let ended = judge(db, run_id, ended).await?;
    let now = timestamp::now();
    let mut lines: Vec<(i64, String, String)> = ended
        .error
        .iter()
        .map(|e| (now, "seltzer".to_owned(), e.clone()))
        .collect();
    lines.push((
        now,
        "seltzer".to_owned(),
        format!("ended: {}", ended.state.as_str()),
    ));
    db.append_run_logs(run_id, &lines).await?;
    let done = db
        .finish_run(
            run_id,
            worker,
            attempt,
            ended.state,
            ended.exit_code,
            ended.error.as_deref(),
        )
        .await?;
    Ok(done.then_some(ended.state))
}

/// The state from the results Soda Core stored: they win over its exit code, which only
/// speaks when it stored none (or the run was timed out or canceled).
async fn judge(db: &Database, run_id: i64, ended: Ended) -> Result<Ended, StorageError> {
    if matches!(ended.state, RunState::TimedOut | RunState::Canceled) {
        return Ok(ended);
    }
    let flags = match db.run(run_id).await? {
        // A dry run's results are its outcomes, not a scan.
        Some(r) if r.is_dry_run() => r
            .outcomes
            .and_then(|json| serde_json::from_str::<Vec<DryRunCheck>>(&json).ok())
            .map(|checks| {
                let has = |o: Option<CheckOutcome>| checks.iter().any(|c| c.outcome == o);
                (
                    has(None),
                    has(Some(CheckOutcome::Fail)),
                    has(Some(CheckOutcome::Warn)),
                )
            }),
        Some(r) => match r.scan_id {
            Some(scan_id) => db.scan_flags(scan_id).await?,
            None => None,
        },
        None => None,
    };
    let Some((errors, failures, warnings)) = flags else {
        return Ok(Ended {
            error: ended.error.or_else(|| {
                Some(format!(
                    "Soda Core sent no results{}",
                    ended
                        .exit_code
                        .map(|c| format!(" (exit code {c})"))
                        .unwrap_or_default()
                ))
            }),
            state: RunState::Failed,
            ..ended
        });
    };
    let state = if errors {
        RunState::CompletedWithErrors
    } else if failures {
        RunState::CompletedWithFailures
    } else if warnings {
        RunState::CompletedWithWarnings
    } else {
        RunState::Completed
    };
    Ok(Ended {
        state,
        exit_code: ended.exit_code,
        error: None,
    })
}
