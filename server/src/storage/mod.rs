//! The database: one connection pool over SQLite (the embedded default) or PostgreSQL (for
//! several Seltzer processes sharing one database), with the same queries on both. Queries use
//! `$1`-style placeholders, which sqlx's Any driver accepts for both engines; where the SQL
//! dialects differ, each engine has its own migrations folder.

mod agents;
mod api_keys;
mod attributes;
mod batch;
mod batched_runs;
mod checkpoints;
mod checks;
mod contracts;
mod datasets;
mod error;
mod incidents;
mod integrity;
mod notifications;
mod outcome_runs;
mod samples;
mod scan_definitions;
mod scan_runs;
mod scan_writes;
mod scans;
mod soda_history;
mod throttle;
mod users;

pub use agents::{AGENT_KEY_PREFIX, AgentDeletion, AgentRow};
pub use api_keys::{ApiKey, NewApiKey, Token};
pub use attributes::{ATTRIBUTE_TYPES, AttributeDefinition};
pub use batched_runs::{BatchedRun, StreamedLog};
pub use checks::{
    CheckDefinition, CheckFilter, CheckResultRow, CheckSelection, CheckSort, CheckSummary,
    HistoryRow, ReplacedResult,
};
pub use datasets::{DatasetFilter, DatasetSummary, HealthRow};
pub use error::StorageError;
pub use incidents::{
    IncidentChangeRow, IncidentEventRow, IncidentFilter, IncidentRow, LinkedResultRow, ResultRef,
};
pub use integrity::{IntegrityProblem, IntegrityReport};
pub use notifications::{
    AttemptResult, ChannelRow, ClaimedDelivery, DeliveryRow, MAX_ATTEMPTS, RuleRow,
    parse_attributes,
};
pub use outcome_runs::RECENT_RESULTS;
pub use samples::NewSample;
pub use scan_definitions::{DataSourceRow, DefinitionInput, DefinitionRow};
pub use scan_runs::{NewRun, RunLogRow, RunRow};
pub use scan_writes::{ScanSender, StoredScan};
pub use scans::{ScanCheckRow, ScanDetail, ScanFilter, ScanRow};
pub use throttle::{Attempt, THROTTLE_WINDOW_MS};
pub use users::{SessionUser, User};

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use shared::api::DatabaseEngine;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use tokio::sync::{Mutex, MutexGuard, Notify};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A connection pool plus which engine is behind it. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Database {
    pool: AnyPool,
    engine: DatabaseEngine,
    /// The SQLite database file, when there is one (not for `:memory:`).
    sqlite_file: Option<PathBuf>,
    /// SQLite allows one writer at a time; writers that collide inside a transaction fail
    /// with "database is locked" instead of waiting. Seltzer queues its own writes here.
    write_gate: Arc<Mutex<()>>,
    /// Wakes SQLite's checkpoint task after a scan is written (see `checkpoints`).
    checkpoints: Option<Arc<Notify>>,
}

fn sqlite_connections() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    u32::try_from(cores).unwrap_or(2).saturating_add(2)
}

impl Database {
    /// Connects to `sqlite://PATH` (creating the file if missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self, StorageError> {
        let (engine, url) = normalise_url(url)?;
        sqlx::any::install_default_drivers();
        let options =
            AnyConnectOptions::from_str(&url).map_err(|source| StorageError::Connect {
                url: redact(&url),
                source,
            })?;
        let pool_options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        let pool_options = match engine {
            // SQLite runs inside this process: a query is CPU work on one of its connection
            // threads. More connections than cores only add context switches and contended
            // allocator locks (the load benchmark's p99s rose by a third with 10 on 2 cores), so
            // one per core plus one for the writer and one to spare.
            //
            // Per-connection settings: wait for the writer instead of failing with "database is
            // locked", enforce foreign keys, which SQLite leaves off by default, and leave
            // checkpoints to the checkpoint task instead of the commit that fills the log.
            DatabaseEngine::Sqlite => pool_options
                .max_connections(sqlite_connections())
                .after_connect(|conn, _meta| {
                    Box::pin(async move {
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
                        Ok(())
                    })
                }),
            DatabaseEngine::Postgres => pool_options,
        };
        let pool =
            pool_options
                .connect_with(options)
                .await
                .map_err(|source| StorageError::Connect {
                    url: redact(&url),
                    source,
                })?;
        if engine == DatabaseEngine::Sqlite {
            // WAL lets the dashboard read while a scan is being written; the mode is stored in
            // the file, so setting it once per start is enough.
            pool.execute("PRAGMA journal_mode = WAL")
                .await
                .map_err(StorageError::Query)?;
        }
        let sqlite_file = (engine == DatabaseEngine::Sqlite)
            .then(|| sqlite_path(&url))
            .flatten();
        let write_gate = Arc::new(Mutex::new(()));
        let checkpoints = (engine == DatabaseEngine::Sqlite)
            .then(|| checkpoints::spawn(pool.clone(), write_gate.clone()));
        Ok(Self {
            pool,
            engine,
            sqlite_file,
            write_gate,
            checkpoints,
        })
    }

    /// Applies the migrations that have not run yet. Safe to call on every start and from
    /// several processes at once: sqlx takes an advisory lock on PostgreSQL, but its SQLite
    /// lock is a no-op, so there we hold an exclusive `flock` on a lock file beside the
    /// database meanwhile. Never on the database file itself: SQLite locks it with POSIX
    /// `fcntl` locks, which belong to the process, and closing *any* descriptor of the file
    /// drops all of them. With its locks gone, the next program to open the file (the
    /// `sqlite3` shell, a backup script) believes it is alone, and deletes the live WAL.
    pub async fn migrate(&self) -> Result<(), StorageError> {
        match self.engine {
            DatabaseEngine::Sqlite => {
                let _guard = match &self.sqlite_file {
                    Some(path) => Some(lock_file(migration_lock_path(path)).await?),
                    None => None,
                };
                SQLITE_MIGRATIONS.run(&self.pool).await?;
            }
            DatabaseEngine::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        outcome_runs::fill_in_missing(&self.pool).await
    }

    /// Writes a consistent copy of a SQLite database to `path` (a new file) with `VACUUM INTO`:
    /// one read transaction, so writers go on meanwhile and the copy is the database as of its
    /// start, compacted. PostgreSQL is backed up with its own tools (`pg_dump`).
    pub async fn backup_to(&self, path: &std::path::Path) -> Result<(), StorageError> {
        if self.engine != DatabaseEngine::Sqlite {
            return Err(StorageError::Backup(
                "Seltzer backs up SQLite; back up PostgreSQL with pg_dump (see the README)"
                    .to_owned(),
            ));
        }
        if path.exists() {
            return Err(StorageError::Backup(format!(
                "{} exists; give a new file",
                path.display()
            )));
        }
        let target = path.to_str().ok_or_else(|| {
            StorageError::Backup(format!("{} is not a UTF-8 path", path.display()))
        })?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A round trip to the database, for the health endpoint.
    pub async fn ping(&self) -> Result<(), StorageError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(StorageError::Query)
    }

    /// A transaction that will write. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`, waiting up to the busy timeout): a transaction that reads first and writes
    /// later fails at once with "database is locked" (`SQLITE_BUSY_SNAPSHOT`) when anything
    /// else (a login's token, another program) committed in between, and waiting cannot help it.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StorageError> {
        Ok(match self.engine {
            DatabaseEngine::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            DatabaseEngine::Postgres => self.pool.begin().await?,
        })
    }

    /// Held while writing: queues writers on SQLite, a no-op on PostgreSQL.
    async fn write_gate(&self) -> Option<MutexGuard<'_, ()>> {
        match self.engine {
            DatabaseEngine::Sqlite => Some(self.write_gate.lock().await),
            DatabaseEngine::Postgres => None,
        }
    }

    /// After a large write: SQLite's log is copied back into the database file off the
    /// write path, while the next writer goes ahead.
    fn request_checkpoint(&self) {
        if let Some(wake) = &self.checkpoints {
            wake.notify_one();
        }
    }

    pub fn engine(&self) -> DatabaseEngine {
        self.engine
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Picks the engine from the URL scheme and makes `sqlite://` URLs create their file.
fn normalise_url(url: &str) -> Result<(DatabaseEngine, String), StorageError> {
    let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or("");
    match scheme {
        "sqlite" => {
            let has_mode = url
                .split_once('?')
                .is_some_and(|(_, q)| q.split('&').any(|kv| kv.starts_with("mode=")));
            let url = if has_mode || url.contains(":memory:") {
                url.to_owned()
            } else if url.contains('?') {
                format!("{url}&mode=rwc")
            } else {
                format!("{url}?mode=rwc")
            };
            Ok((DatabaseEngine::Sqlite, url))
        }
        "postgres" | "postgresql" => Ok((DatabaseEngine::Postgres, url.to_owned())),
        _ => Err(StorageError::UnsupportedUrl(redact(url))),
    }
}

/// The file behind an `sqlite://PATH?…` URL.
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:")).then(|| PathBuf::from(path))
}

/// `seltzer.db` → `seltzer.db-migrate.lock`, beside SQLite's own `-wal` and `-shm` files.
fn migration_lock_path(database: &std::path::Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push("-migrate.lock");
    PathBuf::from(name)
}

/// An exclusive advisory lock on `path` (created if missing, never removed: removing a lock
/// file races with a process that has just opened it), held until the returned file is dropped.
async fn lock_file(path: PathBuf) -> Result<std::fs::File, StorageError> {
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        file.lock()?;
        Ok(file)
    })
    .await
    .map_err(|e| StorageError::Lock(std::io::Error::other(e)))?
    .map_err(StorageError::Lock)
}

/// The URL without its password, for messages and logs: the one in its user information
/// (`postgres://u:secret@h/db`) and any `password=` query parameter (`…?password=secret`).
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (authority, tail) = match authority.find('?') {
        // `postgres://u:p@h?password=…` has no path: the query starts in the authority.
        Some(q) if !tail.starts_with('/') => (&authority[..q], &rest[q..]),
        _ => (authority, tail),
    };
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let masked = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                user.to_owned()
            };
            format!("{masked}@{host}")
        }
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((name, _)) if name.eq_ignore_ascii_case("password") => {
                        format!("{name}=***")
                    }
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_create_their_file_unless_a_mode_is_given() {
        let (engine, url) = normalise_url("sqlite://seltzer.db").unwrap();
        assert_eq!(engine, DatabaseEngine::Sqlite);
        assert_eq!(url, "sqlite://seltzer.db?mode=rwc");
        assert_eq!(
            normalise_url("sqlite://x.db?cache=shared").unwrap().1,
            "sqlite://x.db?cache=shared&mode=rwc"
        );
        assert_eq!(
            normalise_url("sqlite://x.db?mode=ro").unwrap().1,
            "sqlite://x.db?mode=ro"
        );
    }

    #[test]
    fn sqlite_paths_are_found_in_urls() {
        assert_eq!(
            sqlite_path("sqlite://data/s.db?mode=rwc"),
            Some(PathBuf::from("data/s.db"))
        );
        assert_eq!(sqlite_path("sqlite:s.db"), Some(PathBuf::from("s.db")));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
    }

    #[test]
    fn postgres_urls_select_postgres() {
        for url in ["postgres://u@h/db", "postgresql://u@h/db"] {
            assert_eq!(normalise_url(url).unwrap().0, DatabaseEngine::Postgres);
        }
    }

    #[test]
    fn other_schemes_are_refused_without_leaking_the_password() {
        let err = normalise_url("mysql://root:hunter2@db/x").unwrap_err();
        let message = err.to_string();
        assert!(message.contains("mysql://root:***@db/x"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn redact_keeps_users_without_passwords() {
        assert_eq!(
            redact("postgres://postgres@127.0.0.1:5432/x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(redact("postgres://a:b@h/x?q=1"), "postgres://a:***@h/x?q=1");
    }

    #[test]
    fn redact_hides_passwords_given_as_query_parameters() {
        assert_eq!(
            redact("postgres://u@h:5432/db?sslmode=require&password=hunter2"),
            "postgres://u@h:5432/db?sslmode=require&password=***"
        );
        assert_eq!(
            redact("postgres://u@h?Password=hunter2"),
            "postgres://u@h?Password=***"
        );
        let err = normalise_url("mysql://h/x?password=hunter2").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
