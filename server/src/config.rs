//! What `seltzer serve` is configured with (the command line and `SELTZER_*` variables fill
//! these; see `cli.rs`).

use std::net::SocketAddr;
use std::path::PathBuf;

/// Everything `seltzer serve` needs to start.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub bind: SocketAddr,
    pub database_url: String,
    /// Serve the dashboard from this folder instead of the copy embedded in the binary.
    pub dist: Option<PathBuf>,
    pub ingest: IngestConfig,
    pub notify: NotifyConfig,
    pub runner: RunnerConfig,
}

/// Where Docker and Kubernetes mount secret files.
pub const DEFAULT_SECRET_FILES_DIR: &str = "/run/secrets";

/// Settings of the scans Seltzer runs.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Soda Core 3.5.6's `soda` command (in a virtualenv with the data source packages); runs
    /// of `v3` definitions fail, saying so, without it.
    pub soda_v3: Option<PathBuf>,
    /// Soda Core 4's `soda` command.
    pub soda_v4: Option<PathBuf>,
    /// Scans this process runs at once.
    pub workers: usize,
    /// How often the runner looks for due schedules and queued runs when nothing woke it.
    pub tick_ms: u64,
    /// How long an executing run stays its process's without a heartbeat (renewed every
    /// third of it); after that, another process takes the run over.
    pub lease_ms: i64,
    /// Where each run gets its working folder (removed when the run ends).
    pub work_dir: PathBuf,
    /// `SELTZER_SECRET_KEY`: without it, secrets can be neither stored nor used.
    pub secret_key: Option<String>,
    /// The folder `${file:PATH}` references may read from (mounted secrets): a Seltzer admin
    /// names files there, never elsewhere on the host.
    pub secret_files_dir: PathBuf,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            soda_v3: None,
            soda_v4: None,
            workers: 2,
            tick_ms: 1_000,
            lease_ms: 60_000,
            work_dir: std::env::temp_dir().join("seltzer-runs"),
            secret_key: None,
            secret_files_dir: PathBuf::from(DEFAULT_SECRET_FILES_DIR),
        }
    }
}

/// Settings of notifications.
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// The address people open Seltzer at (`https://seltzer.example.com`): every link in a
    /// message is built from it. Without it, notification rules cannot be created, as their
    /// links would lead nowhere.
    pub public_url: Option<String>,
    /// The first retry's delay after a timeout, a 5xx or a 429 without `Retry-After`; each next
    /// one waits four times longer (30 s, 2 min, 8 min, 32 min, ~2 h by default).
    pub retry_base_ms: i64,
    /// How often the sender looks for due deliveries when nothing woke it.
    pub poll_ms: u64,
    /// How often the sender looks for datasets without a scan for a rule's `noScanHours`.
    pub overdue_check_ms: u64,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            public_url: None,
            retry_base_ms: 30_000,
            poll_ms: 1_000,
            overdue_check_ms: 60_000,
        }
    }
}

/// Settings of the ingest protocol.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// How long a login token lives; Soda Core logs in again after a 401.
    pub token_ttl_secs: u64,
    /// Whether Soda Core may send failed-row samples (`disableCollectingWarehouseData`).
    pub collect_samples: bool,
    /// The largest request body accepted (scan results documents and sample files).
    pub max_body_bytes: usize,
}

impl IngestConfig {
    /// Scan-results bodies held at once, all requests together, in KiB: twice the largest
    /// body, at least 128 MiB. A body's permits are taken as its bytes arrive, before anything
    /// (its token included) can be read from it, so clients sending many large bodies at once,
    /// with or without credentials, wait for each other instead of filling the memory.
    pub fn body_budget_kib(&self) -> usize {
        (self.max_body_bytes.saturating_mul(2) / 1024).max(128 * 1024)
    }
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            token_ttl_secs: 24 * 60 * 60,
            collect_samples: true,
            max_body_bytes: 64 * 1024 * 1024,
        }
    }
}
