//! One run's process, wherever it runs (a Seltzer process or an agent): Soda Core as a child
//! process in its own process group, with a clean environment (a few variables, the
//! configuration's references resolved, telemetry off, `HOME` its own folder), a checks file
//! named after the definition (Soda Core puts the file's name in check identities, so a stable
//! name keeps a check's history), and a configuration whose `soda_cloud` section points at
//! Seltzer with the job's key, which may send this run's scan only.
//!
//! Its output goes to the run's log as it comes, known secret values masked, through a
//! [`RunSink`]: the database for a Seltzer process, Seltzer's agent API for an agent. The lease
//! is renewed every third of its length; a cancel seen then, or the timeout, ends the whole
//! process group (SIGTERM, then SIGKILL after a grace period). How the process ended is
//! returned: the run's state is judged by Seltzer from the results Soda Core stored.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use shared::api::{AgentJob, Engine, RunState};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;

use super::job::Ended;
use crate::config::RunnerConfig;
use crate::secrets::{self, Reference};
use crate::timestamp::{self, EpochMillis};

/// Lines kept in memory before they are written to the run's log.
const LOG_BATCH: usize = 100;
/// How long a process group has between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_secs(5);
/// A longer output line is cut (Soda Core prints whole queries).
pub const MAX_LINE: usize = 8 * 1024;

/// What a sink could not do; the run is then left to lapse and be taken over.
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// Where a run's log lines and heartbeats go.
pub trait RunSink: Send + Sync {
    /// Appends `(at, stream, line)` lines to the run's log.
    fn append(
        &self,
        lines: Vec<(EpochMillis, String, String)>,
    ) -> impl Future<Output = Result<(), SinkError>> + Send;

    /// Renews the lease for `lease_ms`; the run's state now (`None`: no longer this
    /// worker's run).
    fn renew(
        &self,
        lease_ms: i64,
    ) -> impl Future<Output = Result<Option<RunState>, SinkError>> + Send;
}

/// Where Soda Core sends its results: Seltzer, as its `soda_cloud` section names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SodaCloud {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

/// What runs scans here: its settings, where Seltzer is, and this worker's name (its runs'
/// folders carry it: several runners may share a folder).
#[derive(Debug, Clone, Copy)]
pub struct Local<'a> {
    pub config: &'a RunnerConfig,
    pub seltzer: &'a SodaCloud,
    pub worker: &'a str,
}

/// The run's log: lines buffered, then written in batches, secret values masked.
struct RunLog<'s, S> {
    sink: &'s S,
    masked: Vec<String>,
    pending: Vec<(EpochMillis, String, String)>,
}

impl<S: RunSink> RunLog<'_, S> {
    fn push(&mut self, stream: &str, line: &str) {
        let mut line: String = line.chars().take(MAX_LINE).collect();
        for value in &self.masked {
            line = line.replace(value.as_str(), "***");
        }
        self.pending
            .push((timestamp::now(), stream.to_owned(), line));
    }

    /// What the runner itself says about the run.
    fn say(&mut self, line: &str) {
        self.push("seltzer", line);
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let lines = std::mem::take(&mut self.pending);
        self.sink.append(lines).await
    }
}

/// Runs `job` here until its process ends, is canceled, loses its lease or times out; how it
/// ended. The run's folder is removed afterwards.
pub async fn run<S: RunSink>(
    local: Local<'_>,
    job: &AgentJob,
    sink: &S,
) -> Result<Ended, SinkError> {
    let mut log = RunLog {
        sink,
        masked: vec![job.api_key_secret.clone()],
        pending: Vec::new(),
    };
    // Unique per attempt and worker: several runners (or databases) may share the folder.
    let folder = local.config.work_dir.join(format!(
        "run-{}-{}-{}",
        job.run_id, job.attempt, local.worker
    ));
    let ended = match prepare(local, job, &folder, &mut log).await {
        Ok(Ok(child)) => watch(job, child, &mut log).await,
        Ok(Err(refused)) => Ok(Ended::failed(refused)),
        Err(e) => Ok(Ended::failed(format!("the run could not be prepared: {e}"))),
    };
    let flushed = log.flush().await;
    if let Err(e) = tokio::fs::remove_dir_all(&folder).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(
            run_id = job.run_id,
            "cannot remove {}: {e}",
            folder.display()
        );
    }
    let ended = ended?;
    flushed?;
    Ok(ended)
}

/// The child process started, or why the run cannot start (`Ok(Err)`).
async fn prepare<S: RunSink>(
    local: Local<'_>,
    job: &AgentJob,
    folder: &Path,
    log: &mut RunLog<'_, S>,
) -> Result<Result<tokio::process::Child, String>, SinkError> {
    let soda = match job.engine {
        Engine::V3 => local.config.soda_v3.clone(),
        Engine::V4 => local.config.soda_v4.clone(),
    };
    let Some(soda) = soda else {
        return Ok(Err(match job.engine {
            Engine::V3 => {
                "no Soda Core 3.5.6 to run: start with --soda-v3 PATH (the `soda` command of \
                 a virtualenv with soda-core and the data source's package)"
            }
            Engine::V4 => {
                "no Soda Core 4 to run: start with --soda-v4 PATH (the `soda` command of a \
                 virtualenv with soda-core 4 and the data source's package)"
            }
        }
        .to_owned()));
    };
    let mut configuration = job.configuration.clone();
    // The configuration's references, resolved now, handed over in the environment.
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    let references = secrets::references(&configuration)?;
    for (i, (range, reference)) in references.iter().enumerate().rev() {
        let value = match reference {
            Reference::Env(name) => match std::env::var(name) {
                Ok(v) => v,
                Err(_) => {
                    return Ok(Err(format!(
                        "the data source refers to ${{env:{name}}}, which is not set in the \
                         environment of the process running the scan ({})",
                        local.worker
                    )));
                }
            },
            Reference::File(path) => {
                match read_reference_file(path, &local.config.secret_files_dir).await {
                    Ok(v) => v,
                    Err(e) => {
                        return Ok(Err(format!(
                            "the data source refers to ${{file:{path}}}, which cannot be read: {e}"
                        )));
                    }
                }
            }
            Reference::Secret(name) => match job.secrets.get(name) {
                Some(v) => v.clone(),
                None => {
                    return Ok(Err(format!(
                        "the data source refers to ${{secret:{name}}}, which was not handed over"
                    )));
                }
            },
        };
        let variable = format!("SELTZER_REFERENCE_{i}");
        // How each Soda Core reads an environment variable in its configuration.
        let read = match job.engine {
            Engine::V3 => format!("${{ {variable} }}"),
            Engine::V4 => format!("${{env.{variable}}}"),
        };
        configuration.replace_range(range.clone(), &read);
        if !value.is_empty() {
            log.masked.push(value.clone());
        }
        // The log is masked line by line: each line of a multi-line value (a PEM key, a
        // service account's JSON) is masked on its own too.
        if value.contains('\n') {
            log.masked.extend(
                value
                    .lines()
                    .map(str::trim)
                    .filter(|l| l.len() >= 4)
                    .map(str::to_owned),
            );
        }
        env.insert(variable, value);
    }

    tokio::fs::create_dir_all(&local.config.work_dir).await?;
    tokio::fs::create_dir(folder).await?;
    tokio::fs::create_dir(folder.join(".soda")).await?;
    // Soda Core 3 reports usage to collect.soda.io unless told not to (4 reads the
    // environment, below).
    tokio::fs::write(
        folder.join(".soda/config.yml"),
        "send_anonymous_usage_stats: false\n",
    )
    .await?;
    let soda_cloud = format!(
        "soda_cloud:\n  host: {}\n  port: '{}'\n  scheme: {}\n  api_key_id: {}\n  \
         api_key_secret: {}\n",
        local.seltzer.host,
        local.seltzer.port,
        local.seltzer.scheme,
        job.api_key_id,
        job.api_key_secret
    );
    // Soda Core puts the checks file's name in check identities: a stable name keeps each
    // check's history across runs.
    let checks_path = folder.join(format!("{}.yml", file_stem(&job.definition)));
    tokio::fs::write(&checks_path, &job.checks).await?;
    let indented: String = configuration.lines().map(|l| format!("  {l}\n")).collect();
    let mut command = tokio::process::Command::new(&soda);
    // First: what is set below stays.
    command.env_clear();
    let shown = match job.engine {
        Engine::V3 => {
            let config_text = format!(
                "data_source {}:\n  type: {}\n{indented}{soda_cloud}",
                job.data_source, job.data_source_type,
            );
            let config_path = folder.join("configuration.yml");
            write_private(&config_path, &config_text).await?;
            command
                .arg("scan")
                .args(["-d", &job.data_source])
                .arg("-c")
                .arg(&config_path)
                .args(["-s", &job.definition])
                .args(["-t", &job.data_timestamp]);
            for (name, value) in &job.variables {
                command.args(["-v", &format!("{name}={value}")]);
            }
            command.arg(&checks_path);
            format!(
                "scan -d {} -s {} -t {}",
                job.data_source, job.definition, job.data_timestamp
            )
        }
        Engine::V4 => {
            let data_source_text = format!(
                "type: {}\nname: {}\n{configuration}\n",
                job.data_source_type, job.data_source
            );
            let data_source_path = folder.join("data_source.yml");
            write_private(&data_source_path, &data_source_text).await?;
            command
                .args(["contract", "verify", "-c"])
                .arg(&checks_path)
                .arg("-ds")
                .arg(&data_source_path);
            let soda_cloud_path = folder.join("soda_cloud.yml");
            write_private(&soda_cloud_path, &soda_cloud).await?;
            // The results carry the run's id and the definition's name (Soda Core 4 would
            // name the scan after the dataset).
            command
                .arg("-sc")
                .arg(&soda_cloud_path)
                .arg("-p")
                .env("SODA_SCAN_ID", shared::api::run_scan_id(job.run_id))
                .env("SODA_SCAN_DEFINITION", &job.definition)
                // Soda Core 4 reports usage unless told not to.
                .env("SODA_CORE_TELEMETRY_ENABLED", "false");
            for (name, value) in &job.variables {
                command.args(["--set", &format!("{name}={value}")]);
            }
            "contract verify -ds data_source.yml -sc soda_cloud.yml -p".to_owned()
        }
    };
    command
        .current_dir(folder)
        .env("PATH", search_path(&soda))
        .env("HOME", folder)
        .env("LANG", "C.UTF-8")
        .env("PYTHONUNBUFFERED", "1")
        .envs(&env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    log.say(&format!(
        "{} {shown} {}",
        soda.display(),
        checks_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    log.flush().await?;
    match command.spawn() {
        Ok(child) => Ok(Ok(child)),
        Err(e) => Ok(Err(format!("cannot start {}: {e}", soda.display()))),
    }
}

/// Follows the child until it exits, is canceled or times out.
async fn watch<S: RunSink>(
    job: &AgentJob,
    mut child: tokio::process::Child,
    log: &mut RunLog<'_, S>,
) -> Result<Ended, SinkError> {
    let timeout = job.timeout_seconds;
    let (lines_in, mut lines) = mpsc::channel::<(&'static str, String)>(LOG_BATCH * 4);
    if let Some(out) = child.stdout.take() {
        tokio::spawn(forward(out, "stdout", lines_in.clone()));
    }
    if let Some(err) = child.stderr.take() {
        tokio::spawn(forward(err, "stderr", lines_in.clone()));
    }
    drop(lines_in);
    let group = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .map(Pid::from_raw);
    // Whatever happens to this task (its runtime stopping with the process), the scan's whole
    // group goes with it, not only the child `kill_on_drop` ends.
    let _group_guard = GroupGuard(group);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout.max(1).unsigned_abs());
    let renew_every = Duration::from_millis((job.lease_ms / 3).max(10).unsigned_abs());
    let mut renew = tokio::time::interval(renew_every);
    let mut flush = tokio::time::interval(Duration::from_millis(500));
    let mut stopping: Option<(RunState, String)> = None;
    // While a group is being ended: when it gets SIGKILL (the lease is renewed meanwhile).
    let mut kill_at: Option<tokio::time::Instant> = None;
    let mut output_open = true;
    let status = loop {
        tokio::select! {
            line = lines.recv(), if output_open => match line {
                Some((stream, line)) => {
                    log.push(stream, &line);
                    if log.pending.len() >= LOG_BATCH {
                        log.flush().await?;
                    }
                }
                None => output_open = false,
            },
            status = child.wait() => break status,
            _ = flush.tick() => log.flush().await?,
            _ = renew.tick() => {
                match log.sink.renew(job.lease_ms).await? {
                    Some(RunState::CancelationRequested) if stopping.is_none() => {
                        log.say("cancel asked: ending the scan's processes");
                        kill_at = Some(terminate(group, &mut child));
                        stopping = Some((RunState::Canceled, "canceled while running".to_owned()));
                    }
                    None if stopping.is_none() => {
                        // Another process took the run over (this one was stalled past its
                        // lease): it is not this process's to finish.
                        log.say("the run's lease was lost: ending the scan's processes");
                        kill_at = Some(terminate(group, &mut child));
                        stopping = Some((RunState::Failed, "its lease was lost".to_owned()));
                    }
                    Some(_) | None => {}
                }
            }
            () = tokio::time::sleep_until(deadline), if stopping.is_none() => {
                log.say(&format!("over its timeout of {timeout} s: ending the scan's processes"));
                kill_at = Some(terminate(group, &mut child));
                stopping = Some((RunState::TimedOut, format!("timed out after {timeout} s")));
            }
            () = sleep_until_some(kill_at) => {
                log.say("still running after SIGTERM: killed");
                kill(group, &mut child);
                kill_at = None;
            }
        }
    };
    // The rest of the output (a process group member may hold the pipes: not waited for).
    while let Ok(Some((stream, line))) =
        tokio::time::timeout(Duration::from_millis(200), lines.recv()).await
    {
        log.push(stream, &line);
    }
    log.flush().await?;
    let exit_code = status.ok().and_then(|s| s.code()).map(i64::from);
    Ok(match stopping {
        Some((state, error)) => Ended {
            state,
            exit_code,
            error: Some(error),
        },
        None => Ended {
            state: RunState::Completed,
            exit_code,
            error: None,
        },
    })
}

/// Kills a process group when dropped.
struct GroupGuard(Option<Pid>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(group) = self.0 {
            let _ = killpg(group, Signal::SIGKILL);
        }
    }
}

/// SIGTERM to the whole group; when SIGKILL follows if it has not ended.
fn terminate(group: Option<Pid>, child: &mut tokio::process::Child) -> tokio::time::Instant {
    match group {
        Some(group) => {
            let _ = killpg(group, Signal::SIGTERM);
        }
        None => {
            let _ = child.start_kill();
        }
    }
    tokio::time::Instant::now() + GRACE
}

fn kill(group: Option<Pid>, child: &mut tokio::process::Child) {
    match group {
        Some(group) => {
            let _ = killpg(group, Signal::SIGKILL);
        }
        None => {
            let _ = child.start_kill();
        }
    }
}

/// Never, without a time.
async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

async fn forward(
    stream: impl tokio::io::AsyncRead + Unpin,
    name: &'static str,
    out: mpsc::Sender<(&'static str, String)>,
) {
    let mut reader = BufReader::new(stream).lines();
    while let Ok(Some(line)) = reader.next_line().await {
        if out.send((name, line)).await.is_err() {
            break;
        }
    }
}

/// A `${file:PATH}` reference's value: the file's text (at most 64 KiB) without its trailing
/// line break, as secrets are mounted.
async fn read_reference_file(path: &str, dir: &Path) -> std::io::Result<String> {
    use tokio::io::AsyncReadExt as _;
    // Where the file really is (a link may point out of the folder).
    let real = tokio::fs::canonicalize(path).await?;
    let real_dir = tokio::fs::canonicalize(dir).await?;
    if !real.starts_with(&real_dir) {
        return Err(std::io::Error::other(format!(
            "it is not under {} (the folder secret files are read from)",
            dir.display()
        )));
    }
    let mut text = String::new();
    tokio::fs::File::open(&real)
        .await?
        .take(64 * 1024)
        .read_to_string(&mut text)
        .await?;
    let trimmed = text.trim_end_matches(['\n', '\r']).len();
    text.truncate(trimmed);
    Ok(text)
}

/// A file only its owner can read: it holds the run's key.
async fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt as _;
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .await?;
    file.write_all(text.as_bytes()).await?;
    file.flush().await
}

/// The child's PATH: the folder of `soda` (its virtualenv's bin) first, then the system's.
fn search_path(soda: &Path) -> String {
    let mut parts: Vec<PathBuf> = soda.parent().map(Path::to_path_buf).into_iter().collect();
    parts.extend(["/usr/local/bin", "/usr/bin", "/bin"].map(PathBuf::from));
    std::env::join_paths(parts)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "/usr/bin:/bin".to_owned())
}

/// A definition name as a file name.
fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
