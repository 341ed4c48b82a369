//! Scans Seltzer runs itself: secrets (write-only), data sources with the Soda configuration of
//! their warehouse, scan definitions (checks, data source, schedule) and their runs, in Soda
//! Cloud's scan states.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `POST /api/secrets`: stored encrypted; no answer ever shows the value again. A data source's
/// configuration refers to it as `${secret:NAME}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewSecret {
    /// Letters, digits, `_` and `-`, at most 100.
    pub name: String,
    pub value: String,
}

/// A stored secret: its name and times, never its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SecretInfo {
    pub name: String,
    pub created_at: String,
    pub updated_at: String,
}

/// `POST /api/data-sources`, `PUT /api/data-sources/{name}`: how Soda Core connects to a
/// warehouse. `name` is the data source's name in scans (`soda scan -d NAME`), so results of
/// runs and of pushed scans meet on the same datasets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewDataSource {
    pub name: String,
    /// Soda's data source type: `duckdb`, `postgres`, `snowflake`…
    #[serde(rename = "type")]
    pub source_type: String,
    /// For Soda Core 3.5.6 definitions: the connection properties as YAML (what goes under
    /// `data_source NAME:` besides `type`). Secrets as `${secret:NAME}` (stored in Seltzer),
    /// `${env:NAME}` (Seltzer's environment) or `${file:/PATH}` (a mounted secret file),
    /// resolved only when a scan starts. Empty when only Soda Core 4 contracts run on it.
    #[serde(default)]
    pub configuration: String,
    /// For Soda Core 4 contracts: the data source file's properties as YAML besides `type` and
    /// `name` (e.g. `connection:` with `database:`), references as in `configuration`.
    #[serde(default)]
    pub configuration_v4: Option<String>,
    /// Scans of this data source at once, across every Seltzer process: 1 to 20 (default 1).
    #[serde(default)]
    pub max_concurrent: Option<i64>,
    /// The agent that runs its scans (`seltzer agent`, near the data); without one, the
    /// Seltzer processes run them. `${env:}` and `${file:}` references are then the agent's.
    #[serde(default)]
    pub agent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DataSourceInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub source_type: String,
    /// As written: references, never secret values.
    pub configuration: String,
    /// As written (Soda Core 4's data source file besides `type` and `name`), if any.
    pub configuration_v4: Option<String>,
    pub max_concurrent: i64,
    /// The agent that runs its scans, if any.
    pub agent: Option<String>,
    /// The secrets and environment variables it refers to.
    pub references: Vec<String>,
    pub configured_at: String,
}

/// The Soda Core a definition runs with: 3.5.6 (`soda scan` on a checks file) or 4.x (`soda
/// contract verify` on a contract).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    #[default]
    V3,
    V4,
}

impl Engine {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V3 => "v3",
            Self::V4 => "v4",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::V3, Self::V4]
            .into_iter()
            .find(|e| e.as_str() == text)
    }
}

/// When a definition runs by itself: a 5-field cron expression (minute hour day-of-month month
/// day-of-week, Vixie cron's rules) read in an IANA time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScanSchedule {
    pub cron: String,
    /// e.g. `Europe/Amsterdam`; `UTC` when left out.
    #[serde(default)]
    pub timezone: Option<String>,
}

/// `POST /api/scan-definitions`, `PUT /api/scan-definitions/{name}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewScanDefinition {
    /// Soda's scan definition name (`soda scan -s NAME`): results are filed under it.
    pub name: String,
    /// A configured data source.
    pub data_source: String,
    #[serde(default)]
    pub engine: Engine,
    /// The SodaCL checks file (v3) or the contract (v4), as YAML.
    pub checks: String,
    /// Soda variables (`-v NAME=VALUE`).
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    #[serde(default)]
    pub schedule: Option<ScanSchedule>,
    /// A run taking longer is ended as `timedOut`: 1 to 86,400 seconds (default 7,200).
    #[serde(default)]
    pub timeout_seconds: Option<i64>,
    /// Attempts of a run whose Seltzer process died under it: 1 to 10 (default 1).
    #[serde(default)]
    pub max_attempts: Option<i64>,
    /// A paused definition's schedule creates no runs; runs on demand still work.
    #[serde(default)]
    pub paused: bool,
    /// An agreement: the users (emails) who must approve each version before its schedule
    /// runs it. Until all have, scheduled runs are skipped, saying why; an edit asks again.
    #[serde(default)]
    pub stakeholders: Vec<String>,
}

impl NewScanDefinition {
    /// The timeout of a definition that names none.
    pub const DEFAULT_TIMEOUT_SECONDS: i64 = 7_200;
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScanDefinitionInfo {
    pub id: i64,
    pub definition: NewScanDefinition,
    /// Edits so far: 1 for a new definition; each run records the version it ran.
    pub version: i64,
    /// The next five fire times (RFC 3339, UTC); empty without a schedule or while paused.
    pub next_fire_times: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub last_run: Option<ScanRun>,
    /// Approvals of the current version by its stakeholders.
    pub approvals: Vec<Approval>,
    /// Stakeholders who have not approved the current version: while any are left, the
    /// schedule's runs are skipped.
    pub awaiting_approval: Vec<String>,
}

/// A stakeholder's approval of a definition's version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Approval {
    pub approver: String,
    pub version: i64,
    pub approved_at: String,
}

/// `POST /api/scan-definitions/{name}/approvals`: the signed-in stakeholder approves `version`,
/// which must be the current one (so nobody approves an edit they have not seen).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApprovalRequest {
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScanDefinitionVersion {
    pub version: i64,
    pub author: String,
    pub created_at: String,
    pub definition: NewScanDefinition,
}

/// Soda Cloud's scan states (`ScanStateDTO`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum RunState {
    /// Waiting for a runner (or for its data source's limit).
    Queuing,
    Executing,
    /// Cancel asked while executing: the process group is being ended.
    CancelationRequested,
    Canceled,
    TimedOut,
    /// Ended without results: Soda Core could not run, or its runner died.
    Failed,
    /// A fire time the schedule did not run: the definition's agreement is not approved.
    /// (Seltzer's own: Soda Cloud's API shows it as `canceled`.)
    Skipped,
    CompletedWithErrors,
    CompletedWithFailures,
    CompletedWithWarnings,
    Completed,
}

impl RunState {
    pub const ALL: [Self; 11] = [
        Self::Queuing,
        Self::Executing,
        Self::CancelationRequested,
        Self::Canceled,
        Self::TimedOut,
        Self::Failed,
        Self::Skipped,
        Self::CompletedWithErrors,
        Self::CompletedWithFailures,
        Self::CompletedWithWarnings,
        Self::Completed,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Queuing => "queuing",
            Self::Executing => "executing",
            Self::CancelationRequested => "cancelationRequested",
            Self::Canceled => "canceled",
            Self::TimedOut => "timedOut",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
            Self::CompletedWithErrors => "completedWithErrors",
            Self::CompletedWithFailures => "completedWithFailures",
            Self::CompletedWithWarnings => "completedWithWarnings",
            Self::Completed => "completed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the run is over.
    pub const fn is_final(self) -> bool {
        !matches!(
            self,
            Self::Queuing | Self::Executing | Self::CancelationRequested
        )
    }
}

/// A run's id as Soda Cloud's scan API and Soda Core 4 (`SODA_SCAN_ID`) name it: `run-N`.
pub fn run_scan_id(run_id: i64) -> String {
    format!("run-{run_id}")
}

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum RunOrigin {
    /// Its definition's schedule.
    Schedule,
    /// "Run now" on the dashboard or Seltzer's API.
    Manual,
    /// Soda Cloud's `POST /api/v1/scans`.
    Api,
    /// Unsaved checks from the editor, run against the data source: outcomes told, nothing
    /// stored.
    #[serde(rename = "dryRun")]
    DryRun,
}

impl RunOrigin {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Schedule => "schedule",
            Self::Manual => "manual",
            Self::Api => "api",
            Self::DryRun => "dryRun",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Schedule, Self::Manual, Self::Api, Self::DryRun]
            .into_iter()
            .find(|o| o.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScanRun {
    pub id: i64,
    pub definition: String,
    /// The definition's version it ran.
    pub version: i64,
    pub origin: RunOrigin,
    /// The fire time of a scheduled run.
    pub scheduled_for: Option<String>,
    /// The data timestamp Soda Core was given (`-t`): a retry overwrites its attempt's results.
    pub data_timestamp: String,
    pub state: RunState,
    pub attempt: i64,
    pub exit_code: Option<i64>,
    /// Why it failed, timed out or was canceled.
    pub error: Option<String>,
    /// The scan its results were stored as.
    pub scan_id: Option<i64>,
    pub requested_by: String,
    pub created_at: String,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    /// A dry run's checks as Soda Core reported them (a dry run stores no scan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcomes: Option<Vec<DryRunCheck>>,
    /// The agent that runs it (its data source's); none: the Seltzer processes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Who ran (or runs) its last attempt: `Seltzer process PID-…` or `agent NAME/INSTANCE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner: Option<String>,
}

/// One check of a dry run, as Soda Core reported it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DryRunCheck {
    pub name: String,
    /// The dataset (table) it is on, named as stored scans name it.
    pub dataset: Option<String>,
    pub column: Option<String>,
    /// None: Soda Core could not evaluate it (an error).
    pub outcome: Option<crate::api::CheckOutcome>,
    /// The measured value, when a number.
    pub value: Option<f64>,
    /// The line of the checks file or contract.
    pub line: Option<i64>,
}

/// `POST /api/scan-definitions/{name}/dry-run`: checks (a checks file or contract, edited and
/// not saved) run against the definition's data source now; the outcomes come back on the run,
/// nothing is stored as a scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DryRunRequest {
    pub checks: String,
}

/// `GET /api/scan-runs/{id}/compare?with=OTHER`: two runs of one definition side by side —
/// each check's outcome and value before and after, checks added and removed, and how the
/// checks file or contract changed between the versions (or dry-run checks) they ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RunComparison {
    /// The earlier run.
    pub before: ScanRun,
    pub after: ScanRun,
    /// Changed checks first (removed, added, outcome, value), then the unchanged.
    pub checks: Vec<CheckChange>,
    /// A unified diff of the checks each run ran; empty when they are the same.
    pub checks_diff: String,
}

/// One check in a [`RunComparison`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CheckChange {
    pub name: String,
    pub dataset: Option<String>,
    pub change: ChangeKind,
    pub before_outcome: Option<crate::api::CheckOutcome>,
    pub after_outcome: Option<crate::api::CheckOutcome>,
    pub before_value: Option<f64>,
    pub after_value: Option<f64>,
    /// `afterValue - beforeValue`, when both are numbers.
    pub delta: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum ChangeKind {
    /// Only in the earlier run.
    Removed,
    /// Only in the later run.
    Added,
    /// Its outcome changed.
    Outcome,
    /// Same outcome, another value.
    Value,
    Same,
}

impl ChangeKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Removed => "removed",
            Self::Added => "added",
            Self::Outcome => "outcome",
            Self::Value => "value",
            Self::Same => "same",
        }
    }
}

/// `GET /api/scan-definitions/{name}/runs`, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScanRunList {
    pub items: Vec<ScanRun>,
    pub total: i64,
    pub page: i64,
    pub size: i64,
}

/// One line Soda Core printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RunLogLine {
    pub seq: i64,
    pub at: String,
    /// `stdout`, `stderr`, or `seltzer` (what the runner itself says).
    pub stream: String,
    pub line: String,
}

/// `GET /api/scan-runs/{id}/logs?after=SEQ`: the lines after `after`, for following a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RunLogs {
    pub run_id: i64,
    pub lines: Vec<RunLogLine>,
    /// Ask again with `after` = this for the next lines.
    pub next: i64,
    /// The run is over: no line will follow.
    pub finished: bool,
}

/// `DELETE` answers: what was removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Removed {
    pub name: String,
    pub removed: bool,
}
