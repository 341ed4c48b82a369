//! The Seltzer server. Where things are:
//! - `cli`: the `seltzer` command line (serve, migrate, api-key, attribute);
//! - `config`: what `seltzer serve` is configured with;
//! - `http`: every route, one module per area (Soda Core's protocol in `http::soda`), plus the
//!   embedded dashboard;
//! - `storage`: the database (SQLite or PostgreSQL): migrations, and one module per kind of row;
//! - `soda`: what Soda Core sends and asks (the scan results document, history filters), which
//!   `http` and `storage` both use;
//! - `notify`: the sender of notifications (rendering, signing, retries);
//! - `runner`: the scans Seltzer runs (schedules, claims, Soda Core as a child process);
//! - `agent`: `seltzer agent`, which runs scans near the data through Seltzer's agent API;
//! - `schedule`, `secrets`: cron schedules in time zones; sealed secrets and references;
//! - `venvs`: the virtualenvs Seltzer runs Soda Core from (`seltzer soda-install`);
//! - `credentials`, `timestamp`: small helpers (secrets and hashes; stored times).

pub mod agent;
pub mod backtest;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod http;
pub mod notify;
pub mod runner;
pub mod schedule;
pub mod secrets;
pub mod seed;
pub mod soda;
pub mod storage;
pub mod timestamp;
pub mod validate;
pub mod venvs;

use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::net::TcpListener;

pub use config::{IngestConfig, NotifyConfig, RunnerConfig, ServeConfig};
pub use http::{AppState, router};
pub use storage::{Database, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the --dist folder {0} has no index.html (run `trunk build --release` first)")]
    Dist(PathBuf),
    #[error("server stopped with an error: {0}")]
    Serve(std::io::Error),
    #[error("{0}")]
    Config(String),
}

/// Connects to the database, runs its migrations, and serves the API and the dashboard until
/// SIGTERM or Ctrl-C, finishing the requests in flight.
pub async fn run(config: ServeConfig) -> Result<(), RunError> {
    let db = Database::connect(&config.database_url).await?;
    db.migrate().await?;
    let assets = match config.dist {
        Some(dir) if !dir.join("index.html").is_file() => return Err(RunError::Dist(dir)),
        Some(dir) => http::assets::Assets::Directory(dir),
        None => http::assets::Assets::Embedded,
    };
    if !assets.has_index() {
        tracing::warn!(
            "this binary carries no dashboard (dist/ was empty when it was built): the API works, \
             the browser gets a page saying how to build the dashboard"
        );
    }
    let secret_key = config
        .runner
        .secret_key
        .as_deref()
        .map(secrets::SecretKey::from_base64)
        .transpose()
        .map_err(RunError::Config)?;
    let state = AppState::new(db.clone(), assets, config.ingest)
        .with_notify(config.notify)
        .with_secret_key(secret_key.clone())
        .with_secret_files_dir(config.runner.secret_files_dir.clone())
        .with_run_lease_ms(config.runner.lease_ms);
    let sender = notify::spawn_sender(db.clone(), state.notify.clone(), state.wake_sender.clone());
    let wake_runner = state.wake_runner.clone();
    let app = router(state);

    let listener = TcpListener::bind(config.bind)
        .await
        .map_err(|source| RunError::Bind {
            addr: config.bind,
            source,
        })?;
    let addr = listener.local_addr().map_err(RunError::Serve)?;
    let runner = runner::Runner::new(
        db.clone(),
        std::sync::Arc::new(config.runner),
        secret_key,
        addr,
        wake_runner,
    )
    .spawn();
    tracing::info!(
        database = db.engine().as_str(),
        "listening on http://{addr}"
    );

    if db.count_users().await? == 0 {
        tracing::warn!(
            "no user can sign in yet: create the first admin with \
             `seltzer user create --email you@example.com --role admin` (password on stdin)"
        );
    }
    // The peer address feeds sign-in throttling.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal("finishing requests in flight"))
    .await
    .map_err(RunError::Serve)?;
    // What is being sent now is sent again by the next start (its claim runs out).
    sender.abort();
    // Runs in flight are taken over by the next start once their lease lapses.
    runner.abort();
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// SIGTERM or Ctrl-C, logged with what stopping does (`doing`).
pub(crate) async fn shutdown_signal(doing: &'static str) {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(e) => {
                tracing::error!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: {doing}");
}
