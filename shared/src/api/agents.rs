//! Agents: `seltzer agent` processes that run scans near the data (on another network, as Soda
//! Agent does). A data source that names an agent has its runs claimed by that agent only; the
//! agent polls Seltzer over HTTPS with its key and follows the same claim → heartbeat → log →
//! finish protocol as the runner inside every `seltzer serve`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Engine, RunState};

/// `POST /api/agents`: registers an agent; the answer holds its key, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAgent {
    /// Letters, digits, `_` and `-`, at most 100.
    pub name: String,
}

/// An agent's key, as `seltzer agent` takes it in `SELTZER_AGENT_KEY`. Shown once: Seltzer
/// keeps only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AgentKey {
    pub name: String,
    pub key: String,
}

/// A registered agent, as `GET /api/agents` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AgentInfo {
    pub name: String,
    pub created_at: String,
    pub created_by: String,
    /// When it last polled or reported; `None`: never connected.
    pub last_seen_at: Option<String>,
    /// Seen within the last minute.
    pub online: bool,
    /// The host name it reported.
    pub host: Option<String>,
    /// What it reported running: its version and the Soda Cores it has.
    pub version: Option<String>,
    /// The configured data sources whose scans it runs.
    pub data_sources: Vec<String>,
    /// Runs it holds now.
    pub executing: i64,
}

/// What an agent says of itself when it asks for work (`POST /api/agent/claim`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentHello {
    /// This agent process (several may share a key): 1 to 64 letters, digits, `-`, `_`, `.`.
    pub instance: String,
    /// Its host name, shown in the dashboard (at most 200 characters).
    #[serde(default)]
    pub host: Option<String>,
    /// Its version and Soda Cores, shown in the dashboard (at most 200 characters).
    #[serde(default)]
    pub version: Option<String>,
}

/// A run handed to an agent: what to run, and the key Soda Core sends its results with (it
/// can send this run's one scan only, and dies with the attempt). `${env:NAME}` and
/// `${file:PATH}` references in `configuration` are the agent's to resolve from its own
/// environment and files; the values of `${secret:NAME}` ones come in `secrets`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AgentJob {
    pub run_id: i64,
    pub attempt: i64,
    /// The scan definition (`soda scan -s NAME`).
    pub definition: String,
    pub version: i64,
    pub engine: Engine,
    pub data_source: String,
    pub data_source_type: String,
    /// The data source's configuration for the engine, references as written.
    pub configuration: String,
    /// The values of the stored secrets the configuration refers to, by name.
    pub secrets: BTreeMap<String, String>,
    /// The checks file or contract.
    pub checks: String,
    pub variables: BTreeMap<String, String>,
    pub timeout_seconds: i64,
    /// Soda Core's `-t`, with its offset.
    pub data_timestamp: String,
    pub api_key_id: String,
    pub api_key_secret: String,
    /// How long the run stays the agent's without a heartbeat (send one every third of it).
    pub lease_ms: i64,
}

/// `POST /api/agent/runs/{id}/heartbeat`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentHeartbeat {
    pub instance: String,
    /// The job's attempt: a later attempt of the run is not this one's, even on this instance.
    pub attempt: i64,
}

/// The run's state after a heartbeat or a finish: `cancelationRequested` tells the agent to
/// end the scan's processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AgentRunState {
    pub state: RunState,
}

/// One line of a run's output as the agent saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentLogLine {
    /// Milliseconds since 1970 (the agent's clock).
    pub at: i64,
    /// `stdout`, `stderr` or `seltzer` (what the agent itself says).
    pub stream: String,
    /// At most 8 KiB (longer lines are cut).
    pub line: String,
}

/// `POST /api/agent/runs/{id}/logs`: at most 1,000 lines and 2 MiB, secret values already
/// masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentLogs {
    pub instance: String,
    /// The job's attempt.
    pub attempt: i64,
    pub lines: Vec<AgentLogLine>,
}

/// `POST /api/agent/runs/{id}/finish`: how the scan's process ended. The run's state comes from
/// the results Soda Core stored; `state` says what the agent saw: `completed` (the process
/// exited), `failed` (it could not start; `error` says why), `timedOut` or `canceled`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentFinish {
    pub instance: String,
    /// The job's attempt.
    pub attempt: i64,
    pub state: RunState,
    #[serde(default)]
    pub exit_code: Option<i64>,
    #[serde(default)]
    pub error: Option<String>,
    /// The run key of the job (revoked now: it dies with the attempt).
    pub api_key_id: String,
}
