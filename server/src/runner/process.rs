//! One run: Soda Core 3.5.6 as a child process in its own process group, with a clean
//! environment (a few variables, the configuration's references resolved, telemetry off, `HOME`
//! its own folder), a checks file named after the definition (Soda Core puts the file's name in
//! check identities, so a stable name keeps a check's history), and a configuration whose
//! `soda_cloud` section points at this Seltzer with a key that may send this run's scan only.
//!
//! Its output goes to the run's log as it comes, known secret values masked. The lease is
//! renewed every third of its length; a cancel seen then, or the timeout, ends the whole process
//! group (SIGTERM, then SIGKILL after a grace period). The final state comes from the results
//! Soda Core stored (errors, failures, warnings); its exit code only says what happened when it
//! stored none.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use shared::api::{CheckOutcome, DryRunCheck, Engine, NewScanDefinition, RunState};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;

use super::Runner;
use crate::secrets::{self, Reference, Sealed};
use crate::storage::{RunRow, StorageError};
use crate::timestamp;

/// Lines kept in memory before they are written to the run's log.
const LOG_BATCH: usize = 100;
/// How long a process group has between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_secs(5);
/// A longer output line is cut (Soda Core prints whole queries).
const MAX_LINE: usize = 8 * 1024;

/// How a run ended.
struct Ended {
    state: RunState,
    exit_code: Option<i64>,
    error: Option<String>,
}

impl Ended {
    fn failed(error: impl Into<String>) -> Self {
        Self {
            state: RunState::Failed,
            exit_code: None,
            error: Some(error.into()),
        }
    }
}

/// The run's log: lines buffered, then written in batches, secret values masked.
struct RunLog<'r> {
    runner: &'r Runner,
    run_id: i64,
    masked: Vec<String>,
    pending: Vec<(i64, String, String)>,
}

impl<'r> RunLog<'r> {
    fn push(&mut self, stream: &str, line: &str) {
        let mut line: String = line.chars().take(MAX_LINE).collect();
        for value in &self.masked {
            line = line.replace(value.as_str(), "***");
        }
        self.pending
            .push((timestamp::now(), stream.to_owned(), line));
    }

    /// What Seltzer itself says about the run.
    fn say(&mut self, line: &str) {
        self.push("seltzer", line);
    }

    async fn flush(&mut self) -> Result<(), StorageError> {
        let lines = std::mem::take(&mut self.pending);
        self.runner.db.append_run_logs(self.run_id, &lines).await
    }
}

pub(super) async fn execute(runner: &Runner, run: RunRow) -> Result<(), StorageError> {
    let mut log = RunLog {
        runner,
        run_id: run.id,
        masked: Vec::new(),
        pending: Vec::new(),
    };
    log.say(&format!(
        "attempt {} of '{}' (version {}), data timestamp {}",
        run.attempt,
        run.definition,
        run.version,
        timestamp::format(run.data_timestamp)
    ));
    // Unique per attempt and process: several Seltzers (or databases) may share the folder.
    let folder = runner
        .config
        .work_dir
        .join(format!("run-{}-{}-{}", run.id, run.attempt, runner.worker));
    // The key this attempt makes for Soda Core, revoked when it ends.
    let mut key_id: Option<String> = None;
    let ended = match prepare(runner, &run, &folder, &mut log, &mut key_id).await {
        Ok(Ok((child, timeout))) => watch(runner, &run, child, timeout, &mut log).await?,
        Ok(Err(refused)) => Ended::failed(refused),
        Err(e) => Ended::failed(format!("Seltzer could not prepare the run: {e}")),
    };
    if let Some(key_id) = &key_id {
        runner.db.revoke_run_key(key_id).await?;
    }
    let ended = judge(runner, run.id, ended).await?;
    if let Some(error) = &ended.error {
        log.say(error);
    }
    log.say(&format!("ended: {}", ended.state.as_str()));
    log.flush().await?;
    if let Err(e) = tokio::fs::remove_dir_all(&folder).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(run_id = run.id, "cannot remove {}: {e}", folder.display());
    }
    runner
        .db
        .finish_run(
            run.id,
            &runner.worker,
            ended.state,
            ended.exit_code,
            ended.error.as_deref(),
        )
        .await?;
    Ok(())
}

/// The state from the results Soda Core stored: they win over its exit code, which only
/// speaks when it stored none (or the run was timed out or canceled).
async fn judge(runner: &Runner, run_id: i64, ended: Ended) -> Result<Ended, StorageError> {
    if matches!(ended.state, RunState::TimedOut | RunState::Canceled) {
        return Ok(ended);
    }
    let flags = match runner.db.run(run_id).await? {
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
            Some(scan_id) => runner.db.scan_flags(scan_id).await?,
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

/// The child process started with the timeout of the version it runs, or why the run cannot
/// start (`Ok(Err)`).
async fn prepare(
    runner: &Runner,
    run: &RunRow,
    folder: &Path,
    log: &mut RunLog<'_>,
    key_id: &mut Option<String>,
) -> Result<Result<(tokio::process::Child, i64), String>, Box<dyn std::error::Error + Send + Sync>>
{
    let Some((_, _, body)) = runner
        .db
        .definition_version(run.definition_id, run.version)
        .await?
    else {
        return Ok(Err(format!(
            "version {} of the definition is gone",
            run.version
        )));
    };
    let definition: NewScanDefinition = serde_json::from_str(&body)?;
    let Some(data_source) = runner
        .db
        .configured_data_source(&definition.data_source)
        .await?
    else {
        return Ok(Err(format!(
            "the data source '{}' has no configuration",
            definition.data_source
        )));
    };
    let (soda, configuration) = match definition.engine {
        Engine::V3 => (
            runner.config.soda_v3.clone(),
            Some(data_source.configuration.clone()).filter(|c| !c.trim().is_empty()),
        ),
        Engine::V4 => (
            runner.config.soda_v4.clone(),
            data_source.configuration_v4.clone(),
        ),
    };
    let Some(soda) = soda else {
        return Ok(Err(match definition.engine {
            Engine::V3 => {
                "no Soda Core 3.5.6 to run: start Seltzer with --soda-v3 PATH (the \
                           `soda` command of a virtualenv with soda-core and the data source's \
                           package)"
            }
            Engine::V4 => {
                "no Soda Core 4 to run: start Seltzer with --soda-v4 PATH (the `soda` \
                           command of a virtualenv with soda-core 4 and the data source's \
                           package)"
            }
        }
        .to_owned()));
    };
    let Some(mut configuration) = configuration else {
        return Ok(Err(format!(
            "the data source '{}' has no configuration for Soda Core {}",
            data_source.name,
            match definition.engine {
                Engine::V3 => "3 (configuration)",
                Engine::V4 => "4 (configurationV4)",
            }
        )));
    };
    // The checks of a dry run, else the version's.
    let checks = run.checks.clone().unwrap_or(definition.checks);
    // The configuration's references, resolved now, handed over in the environment.
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    let references = secrets::references(&configuration)?;
    for (i, (range, reference)) in references.iter().enumerate().rev() {
        let value = match reference {
            Reference::Env(name) => match std::env::var(name) {
                Ok(v) => v,
                Err(_) => {
                    return Ok(Err(format!(
                        "the data source refers to ${{env:{name}}}, which is not set in \
                         Seltzer's environment"
                    )));
                }
            },
            Reference::File(path) => {
                match read_reference_file(path, &runner.config.secret_files_dir).await {
                    Ok(v) => v,
                    Err(e) => {
                        return Ok(Err(format!(
                            "the data source refers to ${{file:{path}}}, which cannot be read: {e}"
                        )));
                    }
                }
            }
            Reference::Secret(name) => {
                let Some(key) = &runner.key else {
                    return Ok(Err(format!(
                        "the data source refers to ${{secret:{name}}}, and SELTZER_SECRET_KEY \
                         is not set: secrets cannot be read"
                    )));
                };
                let Some((nonce, ciphertext)) = runner.db.secret(name).await? else {
                    return Ok(Err(format!(
                        "the data source refers to ${{secret:{name}}}, which is not stored"
                    )));
                };
                match key.open(name, &Sealed { nonce, ciphertext }) {
                    Ok(v) => v,
                    Err(e) => return Ok(Err(e)),
                }
            }
        };
        let variable = format!("SELTZER_REFERENCE_{i}");
        // How each Soda Core reads an environment variable in its configuration.
        let read = match definition.engine {
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

    tokio::fs::create_dir_all(&runner.config.work_dir).await?;
    tokio::fs::create_dir(folder).await?;
    tokio::fs::create_dir(folder.join(".soda")).await?;
    // Soda Core 3 reports usage to collect.soda.io unless told not to (4 reads the
    // environment, below).
    tokio::fs::write(
        folder.join(".soda/config.yml"),
        "send_anonymous_usage_stats: false\n",
    )
    .await?;
    // Results go to this Seltzer with a key for this run only (a dry run's are told, not
    // stored: the ingest sees whose key it is).
    let key = runner.db.create_run_key(run.id, &data_source.name).await?;
    *key_id = Some(key.id.clone());
    log.masked.push(key.secret.clone());
    // Hashing the key's secret takes a core for a while: the lease is renewed after it, so a
    // slow start on a busy machine is not taken for a dead process.
    let lease_until = timestamp::now() + runner.config.lease_ms;
    if runner
        .db
        .renew_lease(run.id, &runner.worker, lease_until)
        .await?
        .is_none()
    {
        return Ok(Err("its lease was lost before it started".to_owned()));
    }
    let soda_cloud = format!(
        "soda_cloud:\n  host: {}\n  port: '{}'\n  scheme: http\n  api_key_id: {}\n  \
         api_key_secret: {}\n",
        runner.seltzer.ip(),
        runner.seltzer.port(),
        key.id,
        key.secret
    );
    // Soda Core puts the checks file's name in check identities: a stable name keeps each
    // check's history across runs.
    let checks_path = folder.join(format!("{}.yml", file_stem(&run.definition)));
    tokio::fs::write(&checks_path, &checks).await?;
    let indented: String = configuration.lines().map(|l| format!("  {l}\n")).collect();
    let mut command = tokio::process::Command::new(&soda);
    // First: what is set below stays.
    command.env_clear();
    let shown = match definition.engine {
        Engine::V3 => {
            let config_text = format!(
                "data_source {}:\n  type: {}\n{indented}{soda_cloud}",
                data_source.name, data_source.source_type,
            );
            let config_path = folder.join("configuration.yml");
            write_private(&config_path, &config_text).await?;
            command
                .arg("scan")
                .args(["-d", &data_source.name])
                .arg("-c")
                .arg(&config_path)
                .args(["-s", &run.definition])
                .args(["-t", &timestamp::format_offset(run.data_timestamp)]);
            for (name, value) in &definition.variables {
                command.args(["-v", &format!("{name}={value}")]);
            }
            command.arg(&checks_path);
            format!(
                "scan -d {} -s {} -t {}",
                data_source.name,
                run.definition,
                timestamp::format_offset(run.data_timestamp)
            )
        }
        Engine::V4 => {
            let data_source_text = format!(
                "type: {}\nname: {}\n{configuration}\n",
                data_source.source_type, data_source.name
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
                .env("SODA_SCAN_ID", shared::api::run_scan_id(run.id))
                .env("SODA_SCAN_DEFINITION", &run.definition)
                // Soda Core 4 reports usage unless told not to.
                .env("SODA_CORE_TELEMETRY_ENABLED", "false");
            for (name, value) in &definition.variables {
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
        Ok(child) => Ok(Ok((
            child,
            definition
                .timeout_seconds
                .unwrap_or(NewScanDefinition::DEFAULT_TIMEOUT_SECONDS),
        ))),
        Err(e) => Ok(Err(format!("cannot start {}: {e}", soda.display()))),
    }
}

/// Follows the child until it exits, is canceled or times out.
async fn watch(
    runner: &Runner,
    run: &RunRow,
    mut child: tokio::process::Child,
    timeout: i64,
    log: &mut RunLog<'_>,
) -> Result<Ended, StorageError> {
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
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout.max(1).unsigned_abs());
    let renew_every = Duration::from_millis((runner.config.lease_ms / 3).max(10).unsigned_abs());
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
                let lease_until = timestamp::now() + runner.config.lease_ms;
                match runner.db.renew_lease(run.id, &runner.worker, lease_until).await? {
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
    if let Some(group) = group {
        // Whatever the scan left behind in its group goes with it.
        let _ = killpg(group, Signal::SIGKILL);
    }
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
