//! The `seltzer` command line. Every subcommand that touches the database takes the same
//! `--database-url` (or `SELTZER_DATABASE_URL`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

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
}

/// Parses the command line, runs the command, and turns its outcome into the exit code: 0 on
/// success, 1 when the command failed, 2 for usage errors (clap's convention).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
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
            })
            .await
            .map_err(|e| e.to_string()),
            Command::Migrate(args) => migrate(&args.database_url).await.map_err(|e| e.to_string()),
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

async fn migrate(database_url: &str) -> Result<(), crate::StorageError> {
    let db = Database::connect(database_url).await?;
    db.migrate().await?;
    tracing::info!(database = db.engine().as_str(), "migrations applied");
    db.close().await;
    Ok(())
}

/// Logs to stdout; `RUST_LOG` overrides the default level (info for Seltzer, warn for the rest).
fn init_tracing() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("warn,server=info,tower_http=info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
}
