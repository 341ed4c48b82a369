//! Test helpers, one harness for every module:
//! - `db`: a fresh database per test on either engine (`TestDb`, `on_both_engines!`);
//! - `app`: Seltzer in-process (`Seltzer`: the router over a test database, with an API key)
//!   and `send` for one request through it;
//! - `replay`: Soda Core's captured traffic, replayed in order;
//! - `serve`: a real `seltzer serve` process;
//! - `http`: the one HTTP client, for that process;
//! - `receiver`: a real HTTP server that records what notifications send it;
//! - `smtp`: a real SMTP server (aiosmtpd) that records the emails they send.

use std::path::{Path, PathBuf};

mod app;
mod db;
mod http;
mod receiver;
mod replay;
mod serve;
mod smtp;

pub use app::{Answer, Seltzer, define_fixture_attributes, get, good_orders_scan, send};
pub use db::TestDb;
pub(crate) use db::on_both_engines;
pub use http::{RawResponse, http_post_json, http_request, http_send};
pub use receiver::{Received, Receiver};
pub use replay::{ServedSeltzer, SodaCoreLink, fixture_dir, replay, replay_v4, v4_fixture_dir};
pub use serve::{RunningServer, SodaCoreTarget};
pub use smtp::{SmtpServer, free_port};

/// Waits until `seen()` holds `n` things (10 s at most), then a moment more to catch any that
/// should not come; all that it then holds. For the receivers of notifications.
pub async fn wait_for_count<T: std::fmt::Debug>(n: usize, seen: impl Fn() -> Vec<T>) -> Vec<T> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while seen().len() < n {
        assert!(
            std::time::Instant::now() < deadline,
            "{} of {n} arrived: {:#?}",
            seen().len(),
            seen()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    seen()
}

/// A virtualenv `scripts/setup.sh --soda` caches: `$<env_var>`, else
/// `$XDG_CACHE_HOME/seltzer/<name>` (`~/.cache/…`), when `bin/<program>` is in it; `None`
/// after a printed skip (a failure under CI) when it is not.
pub fn cached_venv(env_var: &str, name: &str, program: &str) -> Option<PathBuf> {
    let venv = std::env::var_os(env_var).map_or_else(
        || {
            let cache = std::env::var_os("XDG_CACHE_HOME").map_or_else(
                || Path::new(&std::env::var_os("HOME").unwrap_or_default()).join(".cache"),
                PathBuf::from,
            );
            cache.join("seltzer").join(name)
        },
        PathBuf::from,
    );
    if venv.join("bin").join(program).is_file() {
        Some(venv)
    } else {
        skip_or_fail(&format!(
            "no {program} in the virtualenv {} (scripts/setup.sh --soda creates it)",
            venv.display()
        ));
        None
    }
}

/// True under CI (`CI=true`), where nothing may be skipped: a missing PostgreSQL or browser is a
/// failure there, and only a printed skip on a newcomer's machine.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Skips the calling test with a printed reason, or fails it under CI.
pub fn skip_or_fail(reason: &str) {
    assert!(!in_ci(), "CI=true, so this cannot be skipped: {reason}");
    eprintln!("SKIPPED: {reason}");
}

/// The workspace's `target/` folder, where tests leave artefacts (screenshots) for people.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    )
}

/// Every summary Seltzer keeps equals its recomputation from the stored rows (`seltzer verify`).
pub async fn assert_consistent(db: &server::Database) {
    let report = db.verify().await.expect("verify runs");
    assert!(report.is_ok(), "{:#?}", report.problems);
}

/// One value a query answers (a count, a pragma), read straight from the database.
pub async fn scalar<T>(db: &server::Database, sql: &'static str) -> T
where
    T: Send + Unpin + for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    sqlx::query_scalar(sql)
        .fetch_one(db.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Whether this email and password open a session.
pub async fn signs_in(db: &server::Database, email: &str, password: &str) -> bool {
    let session = db.sign_in(email, password, 60_000).await.unwrap();
    session.is_some()
}

/// An `Authorization` header value for HTTP Basic `id:secret`, as Soda Cloud's API v1 takes it.
pub fn basic(id: &str, secret: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}
