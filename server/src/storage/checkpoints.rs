//! SQLite's WAL checkpoints, moved off the scan write path.
//!
//! A committed transaction lives in the write-ahead log until a checkpoint copies its pages
//! into the database file. By default SQLite checkpoints inside the commit that takes the log
//! past 1,000 pages, and a 1,000-check scan writes about 4.5 MB of log: every scan's commit
//! copied the log back (measured: commit 45–70 ms instead of 4–6 ms). Scans are written one
//! at a time on SQLite, so that copying held up every scan queued behind it.
//!
//! Here the pool's connections never checkpoint on commit (`wal_autocheckpoint = 0`); this
//! task does, after each scan and every few seconds, with a `PASSIVE` checkpoint that runs on
//! another core while the next scan writes. A passive checkpoint cannot reset the log while
//! scans keep arriving, so once the log passes [`RESTART_FRAMES`] the task takes the write gate
//! and resets it (`RESTART`): little is left to copy by then, and the log stays bounded.

use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyPool;
use tokio::sync::{Mutex, Notify};

/// Log size (in pages, 4 KiB each) past which the log is reset under the write gate: 16 MiB,
/// about four 1,000-check scans.
const RESTART_FRAMES: i64 = 4_096;

/// How often the log is checkpointed when no scan asks for it (other writes: sessions, keys).
const IDLE_INTERVAL: Duration = Duration::from_secs(5);

/// Starts the checkpoint task for this pool; notify the returned handle after a large write.
/// The task ends when the pool is closed.
pub(super) fn spawn(pool: AnyPool, write_gate: Arc<Mutex<()>>) -> Arc<Notify> {
    let wake = Arc::new(Notify::new());
    let notified = wake.clone();
    tokio::spawn(async move {
        let mut last_restart = None;
        loop {
            tokio::select! {
                () = notified.notified() => {}
                () = tokio::time::sleep(IDLE_INTERVAL) => {}
            }
            if pool.is_closed() {
                break;
            }
            if let Err(error) = checkpoint(&pool, &write_gate, &mut last_restart).await {
                if pool.is_closed() {
                    break;
                }
                // Not fatal: the log only grows until the next checkpoint succeeds.
                tracing::warn!(%error, "SQLite checkpoint failed");
            }
        }
    });
    wake
}

/// `last_restart`: the log's size at the last reset. The log keeps reporting that size until
/// the next write starts it over, and resetting it again would only wait for the gate.
async fn checkpoint(
    pool: &AnyPool,
    write_gate: &Mutex<()>,
    last_restart: &mut Option<i64>,
) -> Result<(), sqlx::Error> {
    // (busy, pages in the log, pages copied to the database file)
    let (_, log_frames, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(pool)
        .await?;
    if log_frames > RESTART_FRAMES && *last_restart != Some(log_frames) {
        let _gate = write_gate.lock().await;
        let (_, log_frames, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(RESTART)")
            .fetch_one(pool)
            .await?;
        *last_restart = Some(log_frames);
    }
    Ok(())
}
