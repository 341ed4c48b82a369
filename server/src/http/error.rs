//! The HTTP layer's one error type: every failure becomes a status plus the shared
//! `{"code","message"}` body. Internal causes are logged here and never sent to the client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use shared::api::{ApiError, ErrorCode};

use crate::storage::StorageError;

#[derive(Debug)]
pub struct HttpError(ApiError);

impl HttpError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self(ApiError::new(code, message))
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::MethodNotAllowed, message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }
}

impl From<StorageError> for HttpError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::OverwriteRefused { .. } => {
                return Self::new(ErrorCode::Conflict, err.to_string());
            }
            StorageError::Busy(busy) => {
                return Self::new(ErrorCode::Unavailable, busy.to_string());
            }
            _ => {}
        }
        tracing::error!("storage error: {err}");
        match err {
            StorageError::Connect { .. }
            | StorageError::Query(
                sqlx::Error::PoolClosed | sqlx::Error::PoolTimedOut | sqlx::Error::Io(_),
            ) => Self::new(
                ErrorCode::Unavailable,
                "the database is unavailable; see the server log",
            ),
            _ => Self::new(
                ErrorCode::Internal,
                "internal error; see the server log for details",
            ),
        }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.0)).into_response()
    }
}
