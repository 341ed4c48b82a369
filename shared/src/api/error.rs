//! The one error body every `/api` endpoint answers with.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The body of every error response of Seltzer's API: a stable machine-readable `code` and a
/// message a person can act on. Internal details are logged by the server, never put here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for ApiError {}

/// Stable error codes. Clients match on these, so a variant's wire name never changes; new
/// variants may be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request is malformed or a field is invalid (HTTP 400).
    BadRequest,
    /// No or wrong credentials (HTTP 401).
    Unauthorized,
    /// Credentials are valid but the role does not allow this (HTTP 403).
    Forbidden,
    /// The path or the object does not exist (HTTP 404).
    NotFound,
    /// The method is not allowed on this path (HTTP 405).
    MethodNotAllowed,
    /// The request conflicts with stored state (HTTP 409).
    Conflict,
    /// The request body is too large (HTTP 413).
    PayloadTooLarge,
    /// The request body is not of a type the endpoint takes, e.g. not JSON (HTTP 415).
    UnsupportedMediaType,
    /// Too many attempts; try again later (HTTP 429).
    TooManyRequests,
    /// Something failed inside Seltzer; details are in its log (HTTP 500).
    Internal,
    /// The database is unreachable (HTTP 503).
    Unavailable,
}

impl ErrorCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict => "conflict",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::TooManyRequests => "too_many_requests",
            Self::Internal => "internal",
            Self::Unavailable => "unavailable",
        }
    }

    /// The HTTP status that goes with the code.
    pub const fn http_status(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict => 409,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::TooManyRequests => 429,
            Self::Internal => 500,
            Self::Unavailable => 503,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [ErrorCode; 11] = [
        ErrorCode::BadRequest,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::Conflict,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::TooManyRequests,
        ErrorCode::Internal,
        ErrorCode::Unavailable,
    ];

    #[test]
    fn wire_name_matches_as_str_for_every_code() {
        for code in ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn error_body_round_trips() {
        let body = r#"{"code":"not_found","message":"no route for GET /api/nope"}"#;
        let err: ApiError = serde_json::from_str(body).unwrap();
        assert_eq!(err.code, ErrorCode::NotFound);
        assert_eq!(err.code.http_status(), 404);
        assert_eq!(serde_json::to_string(&err).unwrap(), body);
    }
}
