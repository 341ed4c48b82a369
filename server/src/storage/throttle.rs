//! Throttling of secret checks (dashboard sign-ins, API key secrets), kept in the database so
//! that several Seltzer processes on one PostgreSQL count together.
//!
//! An attempt is counted *before* its secret is verified: its rows go in first, then the
//! counts are read, so of any number of concurrent attempts at most the limit see a count
//! within it (each sees at least its own position). Rows of attempts still in flight carry an
//! `attempt` id: a success removes its own rows, a failure keeps them as failures.

use super::{Database, StorageError};
use crate::credentials;
use crate::timestamp::{self, EpochMillis};

/// Attempts are counted over this window.
pub const THROTTLE_WINDOW_MS: EpochMillis = 15 * 60 * 1000;

/// An attempt that passed the throttle; end it with [`Database::attempt_succeeded`] or
/// [`Database::attempt_failed`].
#[derive(Debug)]
#[must_use]
pub struct Attempt {
    id: String,
}

impl Database {
    /// Counts an attempt under each `(key, limit)`; `None` (nothing recorded) when any key
    /// already had `limit` failures or attempts in flight within the window.
    pub async fn begin_attempt(
        &self,
        keys: &[(String, i64)],
    ) -> Result<Option<Attempt>, StorageError> {
        let id = credentials::random_hex(16);
        let now = timestamp::now();
        for (key, _) in keys {
            sqlx::query(
                "INSERT INTO login_failures (throttle_key, failed_at, attempt) VALUES ($1, $2, $3)",
            )
            .bind(key)
            .bind(now)
            .bind(&id)
            .execute(&self.pool)
            .await?;
        }
        let since = now - THROTTLE_WINDOW_MS;
        for (key, limit) in keys {
            let counted: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM login_failures WHERE throttle_key = $1 AND failed_at >= $2",
            )
            .bind(key)
            .bind(since)
            .fetch_one(&self.pool)
            .await?;
            if counted > *limit {
                self.forget_attempt(&id).await?;
                return Ok(None);
            }
        }
        Ok(Some(Attempt { id }))
    }

    /// The secret was right: the attempt is forgotten, and so are the failures under `clear`.
    pub async fn attempt_succeeded(
        &self,
        attempt: Attempt,
        clear: &[String],
    ) -> Result<(), StorageError> {
        self.forget_attempt(&attempt.id).await?;
        for key in clear {
            sqlx::query("DELETE FROM login_failures WHERE throttle_key = $1 AND attempt IS NULL")
                .bind(key)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// The secret was wrong: the attempt stays counted as a failure. Failures older than the
    /// window are dropped at the same time, so the table stays small.
    pub async fn attempt_failed(&self, attempt: Attempt) -> Result<(), StorageError> {
        sqlx::query("UPDATE login_failures SET attempt = NULL WHERE attempt = $1")
            .bind(&attempt.id)
            .execute(&self.pool)
            .await?;
        sqlx::query("DELETE FROM login_failures WHERE failed_at < $1")
            .bind(timestamp::now() - THROTTLE_WINDOW_MS)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The attempt could not be judged (the server was busy): it does not count.
    pub async fn attempt_abandoned(&self, attempt: Attempt) -> Result<(), StorageError> {
        self.forget_attempt(&attempt.id).await
    }

    async fn forget_attempt(&self, id: &str) -> Result<(), StorageError> {
        sqlx::query("DELETE FROM login_failures WHERE attempt = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
