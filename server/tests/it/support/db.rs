//! A fresh database per test, on SQLite or PostgreSQL, and `on_both_engines!` to run a test on
//! each.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::{AssertSqlSafe, Connection, PgConnection};
use tempfile::TempDir;

use super::skip_or_fail;

/// A fresh, empty database that disappears with the value.
pub struct TestDb {
    pub url: String,
    pub engine: &'static str,
    _dir: Option<TempDir>,
    postgres: Option<(String, String)>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn postgres_admin_url() -> String {
    std::env::var("SELTZER_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

impl TestDb {
    /// An SQLite file in a fresh temporary folder (the file itself does not exist yet).
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("seltzer.db").display());
        Self {
            url,
            engine: "sqlite",
            _dir: Some(dir),
            postgres: None,
        }
    }

    /// A new database on the PostgreSQL server of `SELTZER_TEST_POSTGRES_URL` (default: the
    /// local server, user postgres). `None` (after a printed reason) when none is reachable.
    pub async fn postgres() -> Option<Self> {
        let admin = postgres_admin_url();
        let mut conn = match PgConnection::connect(&admin).await {
            Ok(conn) => conn,
            Err(e) => {
                skip_or_fail(&format!("no PostgreSQL at {admin}: {e}"));
                return None;
            }
        };
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "seltzer_test_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await
            .expect("create the test database");
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        Some(Self {
            url: format!("{base}/{name}"),
            engine: "postgres",
            _dir: None,
            postgres: Some((admin.clone(), name)),
        })
    }

    pub fn sqlite_path(&self) -> Option<PathBuf> {
        self.url.strip_prefix("sqlite://").map(PathBuf::from)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot block on a future; a thread with its
        // own runtime can. FORCE ends connections a failed test left open.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let mut conn = PgConnection::connect(&admin).await?;
                sqlx::query(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await
                .map(|_| ())
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop a test database: {e}");
        }
    }
}

/// Runs each listed `async fn(TestDb)` twice, as `<name>::sqlite` and `<name>::postgres`;
/// `on_both_engines!(multi_thread: …)` on tokio's multi-threaded runtime.
macro_rules! on_both_engines {
    (multi_thread: $($name:ident),* $(,)?) => {
        $crate::support::on_both_engines!(@flavor (flavor = "multi_thread") $($name),*);
    };
    (@flavor $flavor:tt $($name:ident),*) => {$(
        mod $name {
            #[tokio::test $flavor]
            async fn sqlite() {
                super::$name($crate::support::TestDb::sqlite()).await;
            }
            #[tokio::test $flavor]
            async fn postgres() {
                if let Some(db) = $crate::support::TestDb::postgres().await {
                    super::$name(db).await;
                }
            }
        }
    )*};
    ($($name:ident),* $(,)?) => {
        $crate::support::on_both_engines!(@flavor () $($name),*);
    };
}
pub(crate) use on_both_engines;
