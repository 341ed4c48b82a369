//! The `seltzer` command line. Every subcommand that touches the database takes the same
//! `--database-url` (or `SELTZER_DATABASE_URL`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use shared::api::Role;

use crate::config::{IngestConfig, NotifyConfig, RunnerConfig};
use crate::storage::AttributeDefinition;
use crate::{Database, ServeConfig};

/// The SQLite file in the working directory, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://seltzer.db";

#[derive(Debug, Parser)]
#[command(
    name = "seltzer",
    version,
    about = "Seltzer: the self-hosted home for Soda Core data-quality scan results"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the Soda Cloud-compatible ingest API, Seltzer's API and the dashboard.
    Serve(ServeArgs),
    /// Apply the database migrations and exit.
    Migrate(DatabaseArgs),
    /// Manage the API keys Soda Core logs in with (`api_key_id` / `api_key_secret`).
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// Manage the check attributes Soda Core accepts (it skips scans using unknown ones).
    #[command(subcommand)]
    Attribute(AttributeCommand),
    /// Manage the people who sign in to the dashboard.
    #[command(subcommand)]
    User(UserCommand),
    /// Fill the database with generated scan results through the real ingest path (demos, the
    /// load benchmark): by default 1,000 checks × 1,000 scans over 50 datasets.
    Seed(SeedArgs),
    /// Validate SodaCL checks files as Soda Core reads them, and more strictly: exit 0 when no
    /// file has an error, 1 when one has, 2 on usage or I/O errors.
    Validate(ValidateArgs),
    /// Judge every stored result of the files' checks with the files' thresholds, fetching
    /// the history from a running Seltzer: how many would be judged differently. Exit 0, or 1
    /// with --fail-on-change when any would; 2 on usage or connection errors.
    Backtest(BacktestArgs),
    /// Copy a live SQLite database to PATH, consistent as of one moment, while Seltzer keeps
    /// serving and ingesting (for PostgreSQL, use pg_dump).
    Backup(BackupArgs),
    /// Check that every summary Seltzer keeps (each check's latest result, each dataset's
    /// counts and last scan, each scan's counts) equals a recomputation from the stored
    /// results: exit 0 when all do, 1 (listing what differs) when one does not. Read-only.
    Verify(ReadArgs),
    /// Create the virtualenvs Seltzer runs Soda Core from, from PyPI: one per Soda Core the
    /// configured scan definitions use, with the packages of the configured data sources'
    /// types (or those named with --engine and --type); then print the `seltzer serve` options
    /// that use them.
    SodaInstall(SodaInstallArgs),
    /// Run scans near the data: ask a Seltzer for the runs of the data sources that name this
    /// agent, run Soda Core here, send the logs back (Soda Core sends its results). The key
    /// (from `POST /api/agents`) is read from SELTZER_AGENT_KEY only, never a flag.
    Agent(AgentArgs),
}

#[derive(Debug, Args)]
struct AgentArgs {
    /// Seltzer's address as this machine reaches it (`https://seltzer.example.com`).
    #[arg(long, env = "SELTZER_SERVER")]
    server: String,
    /// Soda Core 3.5.6's `soda` command here (a virtualenv with the data source's package).
    #[arg(long, env = "SELTZER_SODA_V3")]
    soda_v3: Option<PathBuf>,
    /// Soda Core 4's `soda` command here.
    #[arg(long, env = "SELTZER_SODA_V4")]
    soda_v4: Option<PathBuf>,
    /// Scans this agent runs at once.
    #[arg(long, env = "SELTZER_RUN_WORKERS", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    workers: u16,
    /// How often it asks for work when it has none, in milliseconds.
    #[arg(long, env = "SELTZER_AGENT_POLL_MS", default_value_t = 2_000)]
    poll_ms: u64,
    /// Where runs get their working folders.
    #[arg(long, env = "SELTZER_RUN_DIR")]
    run_dir: Option<PathBuf>,
    /// The only folder `${file:PATH}` references may read from, on this machine.
    #[arg(long, env = "SELTZER_SECRET_FILES_DIR", default_value = crate::config::DEFAULT_SECRET_FILES_DIR)]
    secret_files_dir: PathBuf,
}

#[derive(Debug, Args)]
struct SodaInstallArgs {
    /// The folder that holds the virtualenvs (`soda-core-3.5.6`, `soda-core-4.28.0`).
    #[arg(long, default_value = "soda")]
    dir: PathBuf,
    /// `v3` (Soda Core 3.5.6) or `v4` (Soda Core 4), repeatable; default: what the configured
    /// scan definitions use, else what the data sources are configured for.
    #[arg(long = "engine")]
    engines: Vec<String>,
    /// A data source type (`duckdb`, `postgres`, `snowflake`…), repeatable; default: the
    /// configured data sources' types.
    #[arg(long = "type")]
    types: Vec<String>,
    /// The Python that makes the virtualenvs (Soda Core 3.5.6 needs 3.8 to 3.12).
    #[arg(long, default_value = "python3")]
    python: String,
    /// Print the commands instead of running them.
    #[arg(long)]
    print: bool,
    #[command(flatten)]
    database: DatabaseArgs,
}

#[derive(Debug, Args)]
struct BacktestArgs {
    /// Seltzer's address, as the browser reaches it (`https://seltzer.example.com`).
    #[arg(long, env = "SELTZER_URL")]
    url: String,
    /// An API key's id (any role reads history).
    #[arg(long, env = "SELTZER_API_KEY_ID")]
    api_key_id: String,
    /// That key's secret.
    #[arg(long, env = "SELTZER_API_KEY_SECRET", hide_env_values = true)]
    api_key_secret: String,
    /// The data source the checks run on, as `soda scan -d NAME` (part of the identities).
    #[arg(short = 'd', long, value_name = "NAME")]
    data_source: String,
    /// A scan variable, as `soda scan -v NAME=VALUE` sets it (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// The checks file as deployed (say `git show main:checks.yml`): a changed threshold changes
    /// a check's identity, so the edited file's checks are judged against the history of the
    /// deployed file's checks at the same positions. Without it, by identity.
    #[arg(long, value_name = "FILE")]
    against: Option<PathBuf>,
    /// `text` or `json` (`{"checks":[{"file","line","name","identity","results","changed",…}]}`).
    #[arg(long, value_enum, default_value = "text")]
    format: crate::validate::OutputFormat,
    /// Exit 1 when any stored result would be judged differently.
    #[arg(long)]
    fail_on_change: bool,
    /// The checks files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// What a command that only reads the database takes: where it is and how to print.
#[derive(Debug, Args)]
struct ReadArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    database: DatabaseArgs,
}

#[derive(Debug, Args)]
struct BackupArgs {
    /// Where the copy goes: a new file (an existing one is never overwritten).
    path: PathBuf,
    #[command(flatten)]
    database: DatabaseArgs,
}

#[derive(Debug, Args)]
struct SeedArgs {
    /// Checks per scan.
    #[arg(long, default_value_t = 1_000)]
    checks: usize,
    /// Scans, one every 3 hours, the last one now.
    #[arg(long, default_value_t = 1_000)]
    scans: usize,
    /// Datasets the checks are spread over.
    #[arg(long, default_value_t = 50)]
    datasets: usize,
    #[command(flatten)]
    database: DatabaseArgs,
}

#[derive(Debug, Args)]
struct ValidateArgs {
    /// `text` (compiler-style `file:line:col: error: message`) or `json` (see the README).
    #[arg(long, value_enum, default_value = "text")]
    format: crate::validate::OutputFormat,
    /// A scan variable, as `soda scan -v NAME=VALUE` sets it (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// The data source the checks run on, as `soda scan -d NAME`: part of the check
    /// identities, which are left out without it.
    #[arg(short = 'd', long, value_name = "NAME")]
    data_source: Option<String>,
    /// Soda Core's configuration file, as `soda scan -c FILE`: without `-d`, its only data
    /// source is the one.
    #[arg(short = 'c', long, value_name = "FILE")]
    configuration: Option<PathBuf>,
    /// The checks files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from standard input (never from an argument).
    Create {
        #[arg(long)]
        email: String,
        /// viewer (reads everything), editor (also deletes scans, manages attributes) or admin
        /// (also manages users and API keys).
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    List(ReadArgs),
    /// Disable a user: their sessions end at once.
    Disable {
        email: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Set a new password (read from standard input); the user's sessions end.
    SetPassword {
        email: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| format!("'{text}' is not a role: use viewer, editor or admin"))
}

#[derive(Debug, Subcommand)]
enum ApiKeyCommand {
    /// Create a key and print its id and secret (the secret is shown only this once).
    Create {
        /// What the key is for, e.g. "airflow production".
        #[arg(long)]
        name: String,
        /// What the key may do in Seltzer's API; sending scans needs no more than viewer.
        /// Editor and admin keys may also replace scans that other keys sent.
        #[arg(long, value_parser = parse_role, default_value = "viewer")]
        role: Role,
        /// Limit the key to sending scans of this data source (repeat for several); by
        /// default it may send any.
        #[arg(long = "data-source", value_name = "NAME")]
        data_sources: Vec<String>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List the keys (never their secrets).
    List(ReadArgs),
    /// Revoke a key: its tokens stop working at once.
    Revoke {
        id: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
enum AttributeCommand {
    /// Define an attribute checks may set under `attributes:`.
    Create {
        #[arg(long)]
        name: String,
        /// text, number, checkbox, datetime, singleSelect or multiSelect.
        #[arg(long = "type")]
        attribute_type: String,
        /// Shown in the dashboard (default: the name).
        #[arg(long)]
        label: Option<String>,
        /// An allowed value (singleSelect and multiSelect need at least one); repeat it.
        #[arg(long = "allowed-value")]
        allowed_values: Vec<String>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    List(ReadArgs),
    Delete {
        name: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
struct DatabaseArgs {
    /// `sqlite://PATH` (the file is created if missing) or `postgres://USER@HOST:PORT/DB`.
    #[arg(long, env = "SELTZER_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    database_url: String,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "SELTZER_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    #[command(flatten)]
    database: DatabaseArgs,
    /// Serve the dashboard from this folder (Trunk's dist/) instead of the embedded copy; for
    /// frontend development.
    #[arg(long, env = "SELTZER_DIST")]
    dist: Option<PathBuf>,
    /// How long a Soda Core login token stays valid, in seconds.
    #[arg(long, env = "SELTZER_TOKEN_TTL_SECS", default_value_t = 86_400)]
    token_ttl_secs: u64,
    /// Let Soda Core send failed-row samples; `false` keeps warehouse data out of Seltzer.
    #[arg(long, env = "SELTZER_COLLECT_SAMPLES", default_value_t = true, action = clap::ArgAction::Set)]
    collect_samples: bool,
    /// The largest request body accepted (scan results, sample files), in bytes.
    #[arg(long, env = "SELTZER_MAX_BODY_BYTES", default_value_t = 64 * 1024 * 1024)]
    max_body_bytes: usize,
    /// The address people open Seltzer at (`https://seltzer.example.com`): the links in
    /// notifications are built from it, and notification rules need it.
    #[arg(long, env = "SELTZER_PUBLIC_URL", value_parser = parse_public_url)]
    public_url: Option<String>,
    /// How long a notification that could not be delivered (timeout, 5xx, 429 without
    /// Retry-After) waits before its first retry, in milliseconds; each next retry waits four
    /// times longer, five retries in all.
    #[arg(long, env = "SELTZER_NOTIFY_RETRY_MS", default_value_t = 30_000)]
    notify_retry_ms: i64,
    /// How often Seltzer looks for datasets that have gone without a scan for a rule's
    /// `noScanHours`, in milliseconds.
    #[arg(
        long,
        env = "SELTZER_NOTIFY_OVERDUE_CHECK_MS",
        default_value_t = 60_000
    )]
    notify_overdue_check_ms: u64,
    /// Soda Core 3.5.6's `soda` command, for running scan definitions (the `soda` of a
    /// virtualenv with `soda-core-duckdb`, `soda-core-postgres`… installed).
    #[arg(long, env = "SELTZER_SODA_V3")]
    soda_v3: Option<PathBuf>,
    /// Soda Core 4's `soda` command, for running contracts (`v4` definitions): the `soda` of a
    /// virtualenv with `soda-core` and `soda-duckdb`, `soda-postgres`… installed.
    #[arg(long, env = "SELTZER_SODA_V4")]
    soda_v4: Option<PathBuf>,
    /// Scans this process runs at once.
    #[arg(long, env = "SELTZER_RUN_WORKERS", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    run_workers: u16,
    /// How often the runner looks for due schedules and queued runs, in milliseconds.
    #[arg(long, env = "SELTZER_RUN_TICK_MS", default_value_t = 1_000)]
    run_tick_ms: u64,
    /// How long a run stays its process's without a heartbeat, in milliseconds: after that
    /// (the process died), another Seltzer takes it over.
    #[arg(long, env = "SELTZER_RUN_LEASE_MS", default_value_t = 60_000, value_parser = clap::value_parser!(i64).range(300..))]
    run_lease_ms: i64,
    /// Where runs get their working folders.
    #[arg(long, env = "SELTZER_RUN_DIR")]
    run_dir: Option<PathBuf>,
    /// The key secrets are encrypted with: 32 random bytes in base64 (`openssl rand -base64
    /// 32`). Only from the environment, never a flag.
    #[arg(skip = std::env::var("SELTZER_SECRET_KEY").ok())]
    secret_key: Option<String>,
    /// The only folder data source configurations may read `${file:PATH}` references from.
    #[arg(long, env = "SELTZER_SECRET_FILES_DIR", default_value = crate::config::DEFAULT_SECRET_FILES_DIR)]
    secret_files_dir: PathBuf,
}

fn parse_public_url(url: &str) -> Result<String, String> {
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(url.to_owned())
    } else {
        Err("give the full address, e.g. https://seltzer.example.com".to_owned())
    }
}

/// Why a command failed: said on standard error, with exit code 1.
#[derive(Debug, thiserror::Error)]
enum CliError {
    /// The command cannot do what was asked (no such key, a name taken, a bad value…).
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Storage(#[from] crate::StorageError),
    #[error(transparent)]
    Serve(#[from] crate::RunError),
    #[error(transparent)]
    Seed(#[from] crate::seed::SeedError),
    #[error("cannot read the password from standard input: {0}")]
    Password(std::io::Error),
}

impl From<String> for CliError {
    fn from(message: String) -> Self {
        Self::Refused(message)
    }
}

/// Parses the command line, runs the command, and turns its outcome into the exit code: 0 on
/// success, 1 when the command failed, 2 for usage errors (clap's convention).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Validate(args) = &cli.command {
        // No database, no runtime, no logging: a pure function of the files.
        return crate::validate::run(
            &args.files,
            args.format,
            &args.vars,
            args.data_source.as_deref(),
            args.configuration.as_deref(),
        );
    }
    if let Command::Backtest(args) = &cli.command {
        // A client of a running Seltzer: no database, no runtime.
        let variables = match crate::validate::scan_variables(&args.vars) {
            Ok(variables) => variables,
            Err(message) => {
                eprintln!("error: {message}");
                return ExitCode::from(2);
            }
        };
        return crate::backtest::main(
            &args.files,
            &crate::backtest::Backtest {
                url: &args.url,
                api_key_id: &args.api_key_id,
                api_key_secret: &args.api_key_secret,
                data_source: &args.data_source,
                against: args.against.as_deref(),
                variables,
                format: args.format,
                fail_on_change: args.fail_on_change,
            },
        );
    }
    init_tracing();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => crate::run(ServeConfig {
                bind: args.bind,
                database_url: args.database.database_url,
                dist: args.dist,
                ingest: IngestConfig {
                    token_ttl_secs: args.token_ttl_secs,
                    collect_samples: args.collect_samples,
                    max_body_bytes: args.max_body_bytes,
                },
                notify: NotifyConfig {
                    public_url: args.public_url.map(|u| u.trim_end_matches('/').to_owned()),
                    retry_base_ms: args.notify_retry_ms.max(0),
                    overdue_check_ms: args.notify_overdue_check_ms,
                    ..NotifyConfig::default()
                },
                runner: RunnerConfig {
                    soda_v3: args.soda_v3,
                    soda_v4: args.soda_v4,
                    workers: usize::from(args.run_workers),
                    tick_ms: args.run_tick_ms,
                    lease_ms: args.run_lease_ms,
                    work_dir: args
                        .run_dir
                        .unwrap_or_else(|| RunnerConfig::default().work_dir),
                    secret_key: args.secret_key,
                    secret_files_dir: args.secret_files_dir,
                },
            })
            .await
            .map_err(CliError::from),
            Command::Migrate(args) => migrate(&args.database_url).await.map_err(CliError::from),
            Command::ApiKey(command) => api_key(command).await,
            Command::Attribute(command) => attribute(command).await,
            Command::User(command) => user(command).await,
            Command::Seed(args) => seed(args).await,
            Command::Validate(_) | Command::Backtest(_) => Ok(()),
            Command::Backup(args) => backup(args).await,
            Command::Verify(args) => verify(args).await,
            Command::SodaInstall(args) => soda_install(args).await,
            Command::Agent(args) => agent(args).await,
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn seed(args: SeedArgs) -> Result<(), CliError> {
    let db = open(&args.database).await?;
    let plan = crate::seed::SeedPlan::new(
        args.checks,
        args.scans,
        args.datasets,
        crate::timestamp::now(),
    );
    let every = (plan.scans / 20).max(1);
    let summary = crate::seed::seed(&db, &plan, |index, results| {
        if (index + 1) % every == 0 {
            eprintln!(
                "  {} / {} scans, {results} check results",
                index + 1,
                plan.scans
            );
        }
    })
    .await?;
    println!(
        "seeded {} scans, {} check results in {:.1} s ({:.0} results/s)",
        summary.scans,
        summary.results,
        summary.seconds,
        summary.results as f64 / summary.seconds.max(1e-9)
    );
    db.close().await;
    Ok(())
}

async fn verify(args: ReadArgs) -> Result<(), CliError> {
    let db = open(&args.database).await?;
    let report = db.verify().await;
    db.close().await;
    let report = report?;
    match args.format {
        Format::Json => println!("{}", to_json(&report)),
        Format::Text => {
            println!(
                "{} scans, {} checks, {} check results, {} datasets",
                report.scans, report.checks, report.check_results, report.datasets
            );
            for p in &report.problems {
                println!(
                    "PROBLEM: {} ({} rows, e.g. {:?})",
                    p.what, p.count, p.examples
                );
            }
            if report.is_ok() {
                println!("every summary equals its recomputation");
            }
        }
    }
    if report.is_ok() {
        Ok(())
    } else {
        Err(CliError::Refused(format!(
            "{} kinds of problem found",
            report.problems.len()
        )))
    }
}

async fn backup(args: BackupArgs) -> Result<(), CliError> {
    let db = Database::connect(&args.database.database_url).await?;
    let started = std::time::Instant::now();
    let outcome = db.backup_to(&args.path).await;
    db.close().await;
    outcome?;
    let bytes = std::fs::metadata(&args.path).map_or(0, |m| m.len());
    println!(
        "backed up to {} ({bytes} bytes in {:.1} s)",
        args.path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn agent(args: AgentArgs) -> Result<(), CliError> {
    let key = std::env::var("SELTZER_AGENT_KEY").map_err(|_| {
        "set SELTZER_AGENT_KEY to the agent's key (POST /api/agents, or Settings → Agents)"
            .to_owned()
    })?;
    let config = crate::agent::AgentConfig {
        server: args.server,
        key: key.trim().to_owned(),
        runner: RunnerConfig {
            soda_v3: args.soda_v3,
            soda_v4: args.soda_v4,
            workers: usize::from(args.workers),
            tick_ms: args.poll_ms,
            work_dir: args
                .run_dir
                .unwrap_or_else(|| RunnerConfig::default().work_dir),
            secret_files_dir: args.secret_files_dir,
            ..RunnerConfig::default()
        },
    };
    crate::agent::run(
        config,
        crate::shutdown_signal("its running scans are taken over once their lease lapses"),
    )
    .await
    .map_err(|e| CliError::Refused(e.to_string()))
}

async fn soda_install(args: SodaInstallArgs) -> Result<(), CliError> {
    use shared::api::Engine;
    use std::collections::BTreeSet;
    let mut engines: BTreeSet<Engine> = BTreeSet::new();
    for e in &args.engines {
        engines.insert(
            Engine::parse(e).ok_or_else(|| format!("--engine: '{e}' is neither v3 nor v4"))?,
        );
    }
    let mut types: BTreeSet<String> = BTreeSet::new();
    for t in &args.types {
        types.insert(
            crate::venvs::package_type(t)
                .ok_or_else(|| format!("--type: '{t}' is not a Soda data source type"))?,
        );
    }
    // What this Seltzer is configured to run, where not named.
    if engines.is_empty() || types.is_empty() {
        let db = open(&args.database).await?;
        let sources = db.configured_data_sources().await?;
        let used: BTreeSet<Engine> = db
            .definitions()
            .await?
            .iter()
            .filter_map(|d| Engine::parse(&d.engine))
            .collect();
        db.close().await;
        if engines.is_empty() {
            engines = if used.is_empty() {
                sources
                    .iter()
                    .flat_map(|s| {
                        [
                            (!s.configuration.trim().is_empty()).then_some(Engine::V3),
                            s.configuration_v4.as_ref().map(|_| Engine::V4),
                        ]
                    })
                    .flatten()
                    .collect()
            } else {
                used
            };
        }
        if types.is_empty() {
            types = sources
                .iter()
                .filter_map(|s| crate::venvs::package_type(&s.source_type))
                .collect();
        }
    }
    if engines.is_empty() || types.is_empty() {
        return Err(CliError::from(
            "nothing to install: no data source is configured for runs; name what to install \
             with --engine v3|v4 and --type duckdb|postgres|…"
                .to_owned(),
        ));
    }
    let mut serve = vec!["seltzer serve".to_owned()];
    for engine in engines {
        let venv = crate::venvs::Venv::plan(&args.dir, engine, &types);
        if args.print {
            for command in venv.commands(&args.python) {
                println!("{}", command.join(" "));
            }
        } else {
            println!(
                "Soda Core {} into {}: {}",
                engine.as_str(),
                venv.dir.display(),
                venv.packages.join(" ")
            );
            // pip runs for minutes: off the async runtime's threads.
            let (venv, python) = (venv.clone(), args.python.clone());
            tokio::task::spawn_blocking(move || venv.install(&python))
                .await
                .map_err(|e| CliError::Refused(format!("the install stopped: {e}")))?
                .map_err(CliError::from)?;
        }
        serve.push(format!(
            "--soda-{} {}",
            engine.as_str(),
            venv.soda().display()
        ));
    }
    println!("{}", serve.join(" "));
    Ok(())
}

async fn migrate(database_url: &str) -> Result<(), crate::StorageError> {
    let db = Database::connect(database_url).await?;
    db.migrate().await?;
    tracing::info!(database = db.engine().as_str(), "migrations applied");
    db.close().await;
    Ok(())
}

/// Opens and migrates the database for a management command.
async fn open(args: &DatabaseArgs) -> Result<Database, CliError> {
    let db = Database::connect(&args.database_url).await?;
    db.migrate().await?;
    Ok(db)
}

fn to_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// `Ok` when a change was made; refused with `message` when there was nothing to change (no
/// such object, or one of that name exists already).
fn done_or_refused(done: bool, message: impl FnOnce() -> String) -> Result<(), CliError> {
    if done {
        Ok(())
    } else {
        Err(CliError::Refused(message()))
    }
}

/// A listing as one JSON document, or a line per item.
fn print_list<T: serde::Serialize>(format: Format, items: &[T], line: impl Fn(&T) -> String) {
    match format {
        Format::Json => println!("{}", to_json(&items)),
        Format::Text => items.iter().for_each(|item| println!("{}", line(item))),
    }
}

async fn api_key(command: ApiKeyCommand) -> Result<(), CliError> {
    match command {
        ApiKeyCommand::Create {
            name,
            role,
            data_sources,
            format,
            database,
        } => {
            if name.trim().is_empty() {
                return Err(CliError::Refused("--name must not be empty".to_owned()));
            }
            if data_sources.iter().any(|d| d.trim().is_empty()) {
                return Err(CliError::Refused(
                    "--data-source must not be empty".to_owned(),
                ));
            }
            let data_sources = (!data_sources.is_empty()).then_some(data_sources);
            let db = open(&database).await?;
            let key = db
                .create_api_key_for(&name, role, data_sources.as_deref())
                .await?;
            match format {
                Format::Json => println!(
                    "{}",
                    serde_json::json!({"id": key.id, "secret": key.secret})
                ),
                Format::Text => println!(
                    "API key created. The secret is shown only now; put both in Soda Core's \
                     soda_cloud: configuration.\n  api_key_id: {}\n  api_key_secret: {}",
                    key.id, key.secret
                ),
            }
            db.close().await;
        }
        ApiKeyCommand::List(ReadArgs { format, database }) => {
            let db = open(&database).await?;
            let keys = db.list_api_keys().await?;
            db.close().await;
            print_list(format, &keys, |key| {
                let state = key
                    .revoked_at
                    .as_ref()
                    .map_or("active".to_owned(), |t| format!("revoked {t}"));
                let scope = key.data_sources.as_ref().map_or(String::new(), |d| {
                    format!("  data sources {}", d.join(", "))
                });
                format!(
                    "{}  {}  {}  created {}  {state}{scope}",
                    key.id, key.name, key.role, key.created_at
                )
            });
        }
        ApiKeyCommand::Revoke { id, database } => {
            let db = open(&database).await?;
            let revoked = db.revoke_api_key(&id).await?;
            db.close().await;
            done_or_refused(revoked, || format!("no active API key with id '{id}'"))?;
            println!("API key {id} revoked; its tokens no longer work");
        }
    }
    Ok(())
}

async fn attribute(command: AttributeCommand) -> Result<(), CliError> {
    match command {
        AttributeCommand::Create {
            name,
            attribute_type,
            label,
            allowed_values,
            database,
        } => {
            let definition =
                AttributeDefinition::checked(name, &attribute_type, label, allowed_values)?;
            let db = open(&database).await?;
            let created = db.create_attribute(&definition).await?;
            db.close().await;
            done_or_refused(created, || {
                format!("an attribute named '{}' exists already", definition.name)
            })?;
            println!(
                "attribute '{}' ({}) created",
                definition.name, definition.attribute_type
            );
        }
        AttributeCommand::List(ReadArgs { format, database }) => {
            let db = open(&database).await?;
            let list = db.list_attributes().await?;
            db.close().await;
            print_list(format, &list, |a| {
                let allowed = a
                    .allowed_values
                    .as_ref()
                    .map(|v| format!("  allowed: {}", serde_json::Value::Array(v.clone())))
                    .unwrap_or_default();
                format!("{}  {}  \"{}\"{allowed}", a.name, a.attribute_type, a.label)
            });
        }
        AttributeCommand::Delete { name, database } => {
            let db = open(&database).await?;
            let deleted = db.delete_attribute(&name).await?;
            db.close().await;
            done_or_refused(deleted, || format!("no attribute named '{name}'"))?;
            println!("attribute '{name}' deleted");
        }
    }
    Ok(())
}

/// Reads a password from standard input: the first line, without its line end. On a terminal
/// it asks first.
fn read_password() -> Result<String, CliError> {
    use std::io::{BufRead, IsTerminal};
    if std::io::stdin().is_terminal() {
        eprint!("Password: ");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(CliError::Password)?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.chars().count() < 12 {
        return Err(CliError::Refused(
            "the password must have at least 12 characters".to_owned(),
        ));
    }
    Ok(password)
}

async fn user(command: UserCommand) -> Result<(), CliError> {
    match command {
        UserCommand::Create {
            email,
            role,
            database,
        } => {
            let email = email.trim().to_lowercase();
            if !email.contains('@') {
                return Err(CliError::Refused(format!(
                    "'{email}' is not an email address"
                )));
            }
            let password = read_password()?;
            let db = open(&database).await?;
            let created = db.create_user(&email, role, &password).await?;
            db.close().await;
            done_or_refused(created, || {
                format!("a user with the email '{email}' exists already")
            })?;
            println!("user {email} ({}) created", role.as_str());
        }
        UserCommand::List(ReadArgs { format, database }) => {
            let db = open(&database).await?;
            let users = db.list_users().await?;
            db.close().await;
            print_list(format, &users, |u| {
                let state = if u.disabled { "disabled" } else { "active" };
                format!(
                    "{}  {}  {state}  created {}",
                    u.email,
                    u.role.as_str(),
                    u.created_at
                )
            });
        }
        UserCommand::Disable { email, database } => {
            let db = open(&database).await?;
            let done = db.disable_user(&email).await?;
            db.close().await;
            done_or_refused(done, || format!("no user with the email '{email}'"))?;
            println!("user {email} disabled; their sessions have ended");
        }
        UserCommand::SetPassword { email, database } => {
            let password = read_password()?;
            let db = open(&database).await?;
            let done = db.set_password(&email, &password).await?;
            db.close().await;
            done_or_refused(done, || format!("no user with the email '{email}'"))?;
            println!("password of {email} changed; their sessions have ended");
        }
    }
    Ok(())
}

/// Logs to stdout; `RUST_LOG` overrides the default level (info for Seltzer, warn for the rest).
fn init_tracing() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("warn,server=info,tower_http=info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
}
