//! People who sign in to the dashboard, their sessions, and the record of failed sign-ins
//! that throttling reads.

use serde::Serialize;
use shared::api::Role;
use sqlx::Row;

use super::api_keys::hash_off_thread;
use super::{Database, StorageError};
use crate::credentials;
use crate::timestamp;

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: String,
}

/// A signed-in user, as a session resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    pub user_id: i64,
    pub email: String,
    pub role: Role,
}

/// Emails are stored and looked up trimmed and in lower case, whoever passes them in.
fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

impl Database {
    /// False when a user with that email exists.
    pub async fn create_user(
        &self,
        email: &str,
        role: Role,
        password: &str,
    ) -> Result<bool, StorageError> {
        let email = &normalise_email(email);
        let hash = hash_off_thread(password.to_owned()).await?;
        let inserted = sqlx::query(
            "INSERT INTO users (email, role, password_hash, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (email) DO NOTHING",
        )
        .bind(email)
        .bind(role.as_str())
        .bind(hash)
        .bind(timestamp::now())
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    pub async fn list_users(&self) -> Result<Vec<User>, StorageError> {
        let rows =
            sqlx::query("SELECT id, email, role, disabled, created_at FROM users ORDER BY email")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                let role: String = row.try_get(2)?;
                Ok(User {
                    id: row.try_get(0)?,
                    email: row.try_get(1)?,
                    role: Role::parse(&role).unwrap_or(Role::Viewer),
                    disabled: row.try_get::<i64, _>(3)? != 0,
                    created_at: timestamp::format(row.try_get(4)?),
                })
            })
            .collect()
    }

    /// The email, as stored, of the enabled user with this email (in any case).
    pub async fn active_user(&self, email: &str) -> Result<Option<String>, StorageError> {
        Ok(sqlx::query_scalar(
            "SELECT email FROM users WHERE LOWER(email) = LOWER($1) AND disabled = 0 \
             ORDER BY id LIMIT 1",
        )
        .bind(email)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn count_users(&self) -> Result<i64, StorageError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Disables a user and ends their sessions. False when there is no such user.
    pub async fn disable_user(&self, email: &str) -> Result<bool, StorageError> {
        let email = &normalise_email(email);
        let update = sqlx::query("UPDATE users SET disabled = 1 WHERE email = $1").bind(email);
        self.change_user(email, update).await
    }

    /// Sets a new password and ends the user's sessions. False when there is no such user.
    pub async fn set_password(&self, email: &str, password: &str) -> Result<bool, StorageError> {
        let email = &normalise_email(email);
        let hash = hash_off_thread(password.to_owned()).await?;
        let update = sqlx::query("UPDATE users SET password_hash = $1 WHERE email = $2")
            .bind(hash)
            .bind(email);
        self.change_user(email, update).await
    }

    /// One change to a user's row, and the end of their sessions, in one transaction: a
    /// password that changed or an account that was disabled leaves no session behind.
    async fn change_user(
        &self,
        email: &str,
        update: sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> Result<bool, StorageError> {
        let mut tx = self.begin_write().await?;
        let changed = update.execute(&mut *tx).await?.rows_affected();
        end_sessions_of(&mut tx, email).await?;
        tx.commit().await?;
        Ok(changed == 1)
    }

    /// Checks an email and password of an enabled user; on success opens a session for
    /// `ttl_ms` and returns its token (shown to the browser once, stored as a hash).
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        ttl_ms: i64,
    ) -> Result<Option<(String, SessionUser)>, StorageError> {
        let email = &normalise_email(email);
        let row: Option<(i64, String, String)> = sqlx::query_as(
            "SELECT id, role, password_hash FROM users WHERE email = $1 AND disabled = 0",
        )
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        // Unknown emails cost a hash too, so timing does not tell which emails exist.
        let (user_id, role, hash) = row.unwrap_or((0, String::new(), DUMMY_HASH.to_owned()));
        let valid = credentials::verify_secret_bounded(password.to_owned(), hash).await?;
        let Some(role) = Role::parse(&role).filter(|_| valid && user_id != 0) else {
            return Ok(None);
        };
        let token = credentials::random_hex(32);
        let now = timestamp::now();
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2")
            .bind(user_id)
            .bind(now)
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(credentials::hash_token(&token))
        .bind(user_id)
        .bind(now)
        .bind(now.saturating_add(ttl_ms))
        .execute(&self.pool)
        .await?;
        Ok(Some((
            token,
            SessionUser {
                user_id,
                email: email.to_owned(),
                role,
            },
        )))
    }

    /// The user behind a session token, while the session lasts and the user is enabled.
    pub async fn session_user(&self, token: &str) -> Result<Option<SessionUser>, StorageError> {
        let row: Option<(i64, String, String)> = sqlx::query_as(
            "SELECT u.id, u.email, u.role FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = 0",
        )
        .bind(credentials::hash_token(token))
        .bind(timestamp::now())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|(user_id, email, role)| {
            Some(SessionUser {
                user_id,
                email,
                role: Role::parse(&role)?,
            })
        }))
    }

    pub async fn end_session(&self, token: &str) -> Result<(), StorageError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(credentials::hash_token(token))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Ends every session of the user with this email (after a password change or disabling).
async fn end_sessions_of(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    email: &str,
) -> Result<(), StorageError> {
    sqlx::query("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE email = $1)")
        .bind(email)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// An argon2 hash of a random secret nobody knows: verified against when the email is unknown.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2VsdHplcmR1bW15c2FsdA$3V7kbt9rM4dJ0b0lA8Ytx2Ty0JbU4p6m2m3Yq7c5Y0o";
