//! The one place that talks to the server. Every call decodes the shared API types, and every
//! failure becomes an `ApiError` whose message can be shown to the user as it is.

use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;
use shared::api::{
    ApiError, CheckList, DatasetList, ErrorCode, Health, LoginRequest, Me, ScanDetailView,
};

pub async fn health() -> Result<Health, ApiError> {
    get_json("/api/health").await
}

/// Who is signed in; `ErrorCode::Unauthorized` when nobody is (or the session expired).
pub async fn me() -> Result<Me, ApiError> {
    get_json("/api/auth/me").await
}

pub async fn login(email: String, password: String) -> Result<Me, ApiError> {
    let request = Request::post("/api/auth/login")
        .json(&LoginRequest { email, password })
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    decode("/api/auth/login", request.send().await).await
}

pub async fn logout() -> Result<(), ApiError> {
    let response = Request::post("/api/auth/logout").send().await;
    match response {
        Ok(r) if r.ok() => Ok(()),
        Ok(r) => Err(error_of("/api/auth/logout", r).await),
        Err(e) => Err(unreachable(&e)),
    }
}

/// `GET /api/checks` with the dashboard's query string (without `?`).
pub async fn checks(query: &str) -> Result<CheckList, ApiError> {
    get_json(&format!("/api/checks?{query}")).await
}

/// Every dataset with its status (the first 500).
pub async fn datasets() -> Result<DatasetList, ApiError> {
    get_json("/api/datasets?size=500").await
}

/// One scan with its checks and logs.
pub async fn scan(id: &str) -> Result<ScanDetailView, ApiError> {
    get_json(&format!("/api/scans/{}", crate::url::encode(id))).await
}

async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    decode(path, Request::get(path).send().await).await
}

fn unreachable(e: &gloo_net::Error) -> ApiError {
    ApiError::new(ErrorCode::Unavailable, format!("cannot reach Seltzer: {e}"))
}

async fn decode<T: DeserializeOwned>(
    path: &str,
    response: Result<Response, gloo_net::Error>,
) -> Result<T, ApiError> {
    let response = response.map_err(|e| unreachable(&e))?;
    if response.ok() {
        return response.json::<T>().await.map_err(|e| {
            ApiError::new(
                ErrorCode::Internal,
                format!("unexpected answer from {path}: {e}"),
            )
        });
    }
    Err(error_of(path, response).await)
}

async fn error_of(path: &str, response: Response) -> ApiError {
    let status = response.status();
    response.json::<ApiError>().await.unwrap_or_else(|_| {
        ApiError::new(
            ErrorCode::Internal,
            format!("{path} answered HTTP {status}"),
        )
    })
}
