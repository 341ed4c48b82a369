//! `seltzer agent`: runs scans near the data, as Soda Agent does. It asks Seltzer for work over
//! HTTP(S) with its key (`POST /api/agent/claim`), runs each job exactly as a Seltzer process
//! runs its own (`runner::process`), and sends its log lines and heartbeats back; Soda Core
//! sends its results to Seltzer's ordinary ingest with the job's key. Credentials stay here:
//! `${env:}` and `${file:}` references are read from this machine.
//!
//! Seltzer unreachable for a while: the scan goes on, its log lines wait (up to [`BACKLOG`]
//! lines), heartbeats are retried after a pause; if the lease lapses meanwhile, Seltzer takes
//! the run over (its key is revoked then) and the next heartbeat that gets through ends this
//! copy of it — each heartbeat names its attempt, so a later attempt of the same run, even on
//! this agent, is not this one's.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::Uri;
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::api::{
    AgentFinish, AgentHeartbeat, AgentHello, AgentJob, AgentLogLine, AgentLogs, AgentRunState,
    RunState,
};
use tokio::sync::Semaphore;

use crate::config::RunnerConfig;
use crate::runner::job::Ended;
use crate::runner::process::{self, Local, RunSink, SinkError, SodaCloud};
use crate::timestamp::EpochMillis;

/// Log lines kept while Seltzer cannot be reached (and their bytes); older ones are dropped
/// beyond.
const BACKLOG: usize = 20_000;
const BACKLOG_BYTES: usize = 16 * 1024 * 1024;
/// Log lines per request, and their JSON's bytes at most (Seltzer takes 2 MiB).
const LINES_PER_REQUEST: usize = 500;
const BYTES_PER_REQUEST: usize = 1024 * 1024;
/// The longest wait between polls while Seltzer cannot be reached.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What `seltzer agent` is configured with.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Seltzer's address as this machine reaches it (`https://seltzer.example.com`).
    pub server: String,
    /// The agent's key (`SELTZER_AGENT_KEY`).
    pub key: String,
    /// The Soda Cores, workers and folders; `tick_ms` is how often it asks for work when idle.
    pub runner: RunnerConfig,
}

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("--server: {0}")]
    Server(String),
    #[error("Seltzer refused the agent key ({0}): give it the key POST /api/agents made")]
    Key(String),
}

/// Why a request to Seltzer did not get a 2xx.
#[derive(Debug)]
enum Failure {
    /// Seltzer answered this status and message.
    Status(u16, String),
    /// No answer (network, timeout, not JSON).
    Unreachable(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Status(code, message) => write!(f, "{code}: {message}"),
            Self::Unreachable(message) => f.write_str(message),
        }
    }
}

/// Seltzer's agent API.
struct Client {
    http: ureq::Agent,
    base: String,
    authorization: String,
    instance: String,
}

impl Client {
    /// POSTs `body` as JSON; the answer (`None`: 204).
    async fn post<B, T>(self: &Arc<Self>, path: String, body: &B) -> Result<Option<T>, Failure>
    where
        B: Serialize,
        T: DeserializeOwned + Send + 'static,
    {
        let body = serde_json::to_vec(body).map_err(|e| Failure::Unreachable(e.to_string()))?;
        let client = Arc::clone(self);
        tokio::task::spawn_blocking(move || client.post_blocking(&path, &body))
            .await
            .map_err(|e| Failure::Unreachable(e.to_string()))?
    }

    fn post_blocking<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &[u8],
    ) -> Result<Option<T>, Failure> {
        let mut response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Authorization", &self.authorization)
            .header("Content-Type", "application/json")
            .send(body)
            .map_err(|e| Failure::Unreachable(e.to_string()))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| Failure::Unreachable(e.to_string()))?;
        match status {
            204 => Ok(None),
            200..=299 => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| Failure::Unreachable(format!("unexpected answer: {e}"))),
            _ => Err(Failure::Status(
                status,
                serde_json::from_str::<shared::api::ApiError>(&text)
                    .map(|e| e.message)
                    .unwrap_or(text),
            )),
        }
    }
}

/// Where Soda Core sends results: Seltzer's address, split as `soda_cloud` takes it.
fn soda_cloud(server: &str) -> Result<SodaCloud, AgentError> {
    let uri: Uri = server
        .parse()
        .map_err(|e| AgentError::Server(format!("'{server}' is not an address: {e}")))?;
    let scheme = match uri.scheme_str() {
        Some(s @ ("http" | "https")) => s.to_owned(),
        _ => {
            return Err(AgentError::Server(format!(
                "'{server}' must start with https:// (or http://)"
            )));
        }
    };
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        return Err(AgentError::Server(format!(
            "'{server}': give Seltzer's address without a path (Soda Core cannot post under one)"
        )));
    }
    let host = uri
        .host()
        .ok_or_else(|| AgentError::Server(format!("'{server}' names no host")))?
        .to_owned();
    let port = uri
        .port_u16()
        .unwrap_or(if scheme == "https" { 443 } else { 80 });
    Ok(SodaCloud { scheme, host, port })
}

/// This machine's name, as the dashboard shows where agents run.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// This process among the agent's (several may share a key): the host and process id.
fn instance_name(host: &str) -> String {
    let host: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(48)
        .collect();
    // The process id alone repeats across containers (pid 1 in each).
    format!(
        "{host}-{}-{}",
        std::process::id(),
        crate::credentials::random_hex(3)
    )
}

/// Asks for work and runs it until `stop` completes (runs in flight are then left: Seltzer
/// takes them over once their lease lapses, as for a Seltzer process that stops).
pub async fn run(config: AgentConfig, stop: impl Future<Output = ()>) -> Result<(), AgentError> {
    let seltzer = Arc::new(soda_cloud(&config.server)?);
    let host = host_name();
    let client = Arc::new(Client {
        http: ureq::Agent::config_builder()
            .http_status_as_error(false)
            // Short: a heartbeat that hangs holds up the scan's log until it gives up.
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .into(),
        base: format!("{}/api/agent", config.server.trim_end_matches('/')),
        authorization: format!("Bearer {}", config.key),
        instance: instance_name(&host),
    });
    let yes_no = |p: &Option<std::path::PathBuf>| if p.is_some() { "yes" } else { "no" };
    let hello = AgentHello {
        instance: client.instance.clone(),
        host: Some(host),
        version: Some(format!(
            "seltzer {}; Soda Core 3: {}; Soda Core 4: {}",
            env!("CARGO_PKG_VERSION"),
            yes_no(&config.runner.soda_v3),
            yes_no(&config.runner.soda_v4)
        )),
    };
    let runner = Arc::new(config.runner);
    let slots = Arc::new(Semaphore::new(runner.workers.max(1)));
    let poll = Duration::from_millis(runner.tick_ms.max(50));
    tracing::info!(
        instance = client.instance,
        server = config.server,
        workers = runner.workers,
        "agent asking for work"
    );
    let work = async {
        let mut backoff = poll;
        loop {
            let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
                return Ok(());
            };
            match client
                .post::<_, AgentJob>("/claim".to_owned(), &hello)
                .await
            {
                Ok(Some(job)) => {
                    backoff = poll;
                    tracing::info!(run_id = job.run_id, definition = job.definition, "claimed");
                    let (client, runner, seltzer) = (
                        Arc::clone(&client),
                        Arc::clone(&runner),
                        Arc::clone(&seltzer),
                    );
                    tokio::spawn(async move {
                        execute(&client, &runner, &seltzer, job).await;
                        drop(permit);
                    });
                    // Maybe more: ask again at once.
                    continue;
                }
                Ok(None) => backoff = poll,
                Err(Failure::Status(401, message)) => return Err(AgentError::Key(message)),
                Err(e) => {
                    tracing::warn!("cannot ask Seltzer for work: {e}");
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
            drop(permit);
            tokio::time::sleep(backoff).await;
        }
    };
    tokio::select! {
        result = work => result,
        () = stop => Ok(()),
    }
}

/// Runs a job to its end and tells Seltzer how it ended.
async fn execute(client: &Arc<Client>, runner: &RunnerConfig, seltzer: &SodaCloud, job: AgentJob) {
    let run_id = job.run_id;
    let sink = HttpSink {
        client: Arc::clone(client),
        run_id,
        attempt: job.attempt,
        state: Mutex::new(SinkState::default()),
    };
    let local = Local {
        config: runner,
        seltzer,
        worker: &client.instance,
    };
    let ended = match process::run(local, &job, &sink).await {
        Ok(ended) => ended,
        Err(e) => Ended::failed(format!("the agent could not follow the run: {e}")),
    };
    let finish = AgentFinish {
        instance: client.instance.clone(),
        attempt: job.attempt,
        state: ended.state,
        exit_code: ended.exit_code,
        error: ended.error,
        api_key_id: job.api_key_id.clone(),
    };
    // Told until Seltzer hears it, or the run is no longer this agent's (its lease lapsed).
    let give_up = tokio::time::Instant::now() + Duration::from_millis(job.lease_ms.unsigned_abs());
    let mut wait = Duration::from_millis(200);
    loop {
        // What could not be sent yet goes first: the end of the log, then the end.
        sink.retry_now();
        let _ = sink.append(Vec::new()).await;
        match client
            .post::<_, AgentRunState>(format!("/runs/{run_id}/finish"), &finish)
            .await
        {
            Ok(answer) => {
                tracing::info!(
                    run_id,
                    state = answer.map_or("?", |a| a.state.as_str()),
                    "finished"
                );
                return;
            }
            Err(Failure::Status(code, message)) if code < 500 && code != 429 => {
                tracing::warn!(run_id, "Seltzer did not take the run's end: {message}");
                return;
            }
            Err(e) if tokio::time::Instant::now() > give_up => {
                tracing::warn!(
                    run_id,
                    "cannot tell Seltzer the run's end ({e}); it will take the run over"
                );
                return;
            }
            Err(e) => {
                tracing::warn!(run_id, "cannot tell Seltzer the run's end yet: {e}");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// What an agent's run has not sent yet, and when it tries again after a failure.
#[derive(Debug, Default)]
struct SinkState {
    /// Lines Seltzer has not taken yet, and their size in bytes.
    backlog: VecDeque<(EpochMillis, String, String)>,
    backlog_bytes: usize,
    /// Lines dropped from a full backlog (told in the log once sending works again).
    dropped: usize,
    /// After a failure, requests wait until then (the scan is not held up meanwhile).
    retry_at: Option<tokio::time::Instant>,
    failures: u32,
}

impl SinkState {
    fn keep(&mut self, line: (EpochMillis, String, String)) {
        self.backlog_bytes += line.2.len();
        self.backlog.push_back(line);
        while self.backlog.len() > BACKLOG || self.backlog_bytes > BACKLOG_BYTES {
            let Some(old) = self.backlog.pop_front() else {
                break;
            };
            self.backlog_bytes -= old.2.len();
            self.dropped += 1;
        }
    }

    fn waiting(&self) -> bool {
        self.retry_at
            .is_some_and(|at| tokio::time::Instant::now() < at)
    }

    fn failed(&mut self) {
        self.failures = self.failures.saturating_add(1);
        let wait = Duration::from_secs(2)
            .saturating_mul(1 << self.failures.min(4))
            .min(MAX_BACKOFF);
        self.retry_at = Some(tokio::time::Instant::now() + wait);
    }

    fn succeeded(&mut self) {
        self.failures = 0;
        self.retry_at = None;
    }
}

/// An agent's run logs and renews its lease through Seltzer's agent API. After a failure it
/// waits a while before the next request (log lines keep meanwhile), so a network that drops
/// packets does not hold up the scan's output, its timeout or its cancel.
struct HttpSink {
    client: Arc<Client>,
    run_id: i64,
    attempt: i64,
    state: Mutex<SinkState>,
}

impl HttpSink {
    fn state(&self) -> std::sync::MutexGuard<'_, SinkState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Tries at once, whatever the last failure said (the run has ended).
    fn retry_now(&self) {
        self.state().retry_at = None;
    }

    /// The next batch to send: up to [`LINES_PER_REQUEST`] lines and [`BYTES_PER_REQUEST`]
    /// bytes, after a line saying how many were dropped, if any were.
    fn next_batch(&self) -> (Vec<AgentLogLine>, usize, usize) {
        let state = self.state();
        let mut lines = Vec::new();
        if state.dropped > 0 {
            lines.push(AgentLogLine {
                at: crate::timestamp::now(),
                stream: "seltzer".to_owned(),
                line: format!(
                    "{} log lines lost while Seltzer could not be reached",
                    state.dropped
                ),
            });
        }
        let mut bytes = 0;
        let mut taken = 0;
        for (at, stream, line) in &state.backlog {
            // A line's JSON is at most six bytes per byte of text (`\u001b`).
            let size = line.len() * 6 + 64;
            if taken == LINES_PER_REQUEST || (taken > 0 && bytes + size > BYTES_PER_REQUEST) {
                break;
            }
            bytes += size;
            taken += 1;
            lines.push(AgentLogLine {
                at: *at,
                stream: stream.clone(),
                line: line.clone(),
            });
        }
        (lines, taken, state.dropped)
    }

    /// Drops the first `taken` lines of the backlog (sent, or refused for good).
    fn sent(&self, taken: usize, dropped: usize) {
        let mut state = self.state();
        let taken = taken.min(state.backlog.len());
        for _ in 0..taken {
            if let Some(line) = state.backlog.pop_front() {
                state.backlog_bytes -= line.2.len();
            }
        }
        state.dropped -= dropped.min(state.dropped);
    }
}

impl RunSink for HttpSink {
    async fn append(&self, lines: Vec<(EpochMillis, String, String)>) -> Result<(), SinkError> {
        {
            let mut state = self.state();
            for line in lines {
                state.keep(line);
            }
            if state.waiting() {
                return Ok(());
            }
        }
        loop {
            let (lines, taken, dropped) = self.next_batch();
            if lines.is_empty() {
                return Ok(());
            }
            let body = AgentLogs {
                instance: self.client.instance.clone(),
                attempt: self.attempt,
                lines,
            };
            match self
                .client
                .post::<_, AgentRunState>(format!("/runs/{}/logs", self.run_id), &body)
                .await
            {
                Ok(_) => {
                    self.sent(taken, dropped);
                    self.state().succeeded();
                }
                // Not this agent's run (or key) any more: the heartbeat ends it; its lines are
                // moot.
                Err(Failure::Status(401 | 404 | 409, _)) => {
                    self.sent(usize::MAX, usize::MAX);
                    return Ok(());
                }
                // Refused as it is (never as it should be): dropped, not sent again and again.
                Err(Failure::Status(code, message))
                    if (400..500).contains(&code) && code != 429 =>
                {
                    tracing::warn!(run_id = self.run_id, "log lines refused: {message}");
                    self.sent(taken, dropped);
                }
                Err(e) => {
                    tracing::warn!(run_id = self.run_id, "log lines wait: {e}");
                    self.state().failed();
                    return Ok(());
                }
            }
        }
    }

    async fn renew(&self, _lease_ms: i64) -> Result<Option<RunState>, SinkError> {
        if self.state().waiting() {
            return Ok(Some(RunState::Executing));
        }
        let beat = AgentHeartbeat {
            instance: self.client.instance.clone(),
            attempt: self.attempt,
        };
        match self
            .client
            .post::<_, AgentRunState>(format!("/runs/{}/heartbeat", self.run_id), &beat)
            .await
        {
            Ok(answer) => {
                self.state().succeeded();
                Ok(Some(answer.map_or(RunState::Executing, |a| a.state)))
            }
            // Taken over, ended, or the agent's key replaced: this copy of the run stops.
            Err(Failure::Status(401 | 404 | 409, _)) => Ok(None),
            // Seltzer unreachable: the scan goes on; a lapsed lease is told by a later beat.
            Err(e) => {
                tracing::warn!(run_id = self.run_id, "heartbeat not heard: {e}");
                self.state().failed();
                Ok(Some(RunState::Executing))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seltzers_address_is_split_as_soda_cloud_takes_it() {
        let https = soda_cloud("https://seltzer.example.com").unwrap();
        assert_eq!(
            https,
            SodaCloud {
                scheme: "https".to_owned(),
                host: "seltzer.example.com".to_owned(),
                port: 443
            }
        );
        assert_eq!(soda_cloud("http://10.0.0.5:8080/").unwrap().port, 8080);
        for bad in [
            "seltzer.example.com",
            "ftp://x",
            "https://x/seltzer",
            "https://x/?a=1",
        ] {
            assert!(soda_cloud(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn instances_are_named_as_the_protocol_accepts() {
        let name = instance_name("build box (eu)");
        assert!(name.starts_with("build-box--eu--"), "{name}");
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        );
    }
}
