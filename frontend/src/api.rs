//! The one place that talks to the server. Every call decodes the shared API types, and every
//! failure becomes an `ApiError` whose message can be shown to the user as it is.

use gloo_net::http::Request;
use serde::de::DeserializeOwned;
use shared::api::{ApiError, ErrorCode, Health};

pub async fn health() -> Result<Health, ApiError> {
    get_json("/api/health").await
}

async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let response = Request::get(path)
        .send()
        .await
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, format!("cannot reach Seltzer: {e}")))?;
    if response.ok() {
        return response.json::<T>().await.map_err(|e| {
            ApiError::new(
                ErrorCode::Internal,
                format!("unexpected answer from {path}: {e}"),
            )
        });
    }
    let status = response.status();
    Err(response.json::<ApiError>().await.unwrap_or_else(|_| {
        ApiError::new(
            ErrorCode::Internal,
            format!("{path} answered HTTP {status}"),
        )
    }))
}
