//! What handlers take from a request besides credentials:
//! - query parameters, read one by one so that a bad one gets a 400 naming it and the accepted
//!   values (never a 500, never a silent default);
//! - JSON bodies (`JsonBody`): axum's `Json`, with its rejections in Seltzer's error shape.

use std::collections::HashMap;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, Query, Request};
use axum::http::StatusCode;
use axum::{Json, RequestExt};
use serde::de::DeserializeOwned;
use shared::api::ErrorCode;

use super::HttpError;
use crate::timestamp::{self, EpochMillis};

/// What handlers take: the query string, or why it could not be read.
pub(super) type RawQuery = Result<Query<HashMap<String, String>>, QueryRejection>;

#[derive(Debug, Clone, Default)]
pub(super) struct Params(HashMap<String, String>);

impl Params {
    pub fn from(query: RawQuery) -> Result<Self, HttpError> {
        query
            .map(|Query(q)| Self(q))
            .map_err(|e| HttpError::bad_request(format!("invalid query string: {e}")))
    }

    /// The value, when present and not empty.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// An integer in `min..=max`, or `default` when absent.
    pub fn int(&self, name: &str, default: i64, min: i64, max: i64) -> Result<i64, HttpError> {
        match self.text(name) {
            None => Ok(default),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| {
                    HttpError::bad_request(format!("{name} must be an integer from {min} to {max}"))
                }),
        }
    }

    /// An RFC 3339 time.
    pub fn time(&self, name: &str) -> Result<Option<EpochMillis>, HttpError> {
        self.text(name)
            .map(|t| {
                timestamp::parse(t).map_err(|e| HttpError::bad_request(format!("{name}: {e}")))
            })
            .transpose()
    }

    /// An object id (`datasetId` …): a 400 that says what was expected.
    pub fn id(&self, name: &str, what: &str) -> Result<Option<i64>, HttpError> {
        self.text(name)
            .map(|v| {
                v.parse()
                    .map_err(|_| HttpError::bad_request(format!("{name} must be {what}")))
            })
            .transpose()
    }

    /// `page` from 0 and `size` in `1..=max_size` (default `default_size`).
    pub fn paging(
        &self,
        default_size: i64,
        min_size: i64,
        max_size: i64,
    ) -> Result<(i64, i64), HttpError> {
        let size = self.int("size", default_size, min_size, max_size)?;
        let page = self.int("page", 0, 0, i64::from(i32::MAX))?;
        Ok((page, size))
    }

    /// The search text, at most 200 characters.
    pub fn search(&self) -> Result<Option<String>, HttpError> {
        match self.text("search") {
            Some(s) if s.chars().count() > 200 => Err(HttpError::bad_request(
                "search is limited to 200 characters",
            )),
            other => Ok(other.map(str::to_owned)),
        }
    }
}

/// A JSON body of type `T`: 415 without `Content-Type: application/json`, 400 naming the field
/// or position when it does not parse, 413 over the route's body limit.
pub(super) struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = HttpError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, HttpError> {
        match request.extract::<Json<T>, _>().await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(HttpError::new(
                ErrorCode::UnsupportedMediaType,
                "send the body as JSON (Content-Type: application/json)",
            )),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(HttpError::new(
                ErrorCode::PayloadTooLarge,
                format!("the body is too large: {}", e.body_text()),
            )),
            Err(e) => Err(HttpError::bad_request(e.body_text())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn bad_values_are_named() {
        let p = params(&[
            ("size", "5000"),
            ("from", "soon"),
            ("datasetId", "x"),
            ("empty", ""),
        ]);
        let message = |e: HttpError| format!("{e:?}");
        assert!(
            message(p.int("size", 10, 1, 500).unwrap_err())
                .contains("size must be an integer from 1 to 500")
        );
        assert!(message(p.time("from").unwrap_err()).contains("from: 'soon'"));
        assert!(
            message(p.id("datasetId", "a dataset id").unwrap_err())
                .contains("datasetId must be a dataset id")
        );
        assert_eq!(p.text("empty"), None);
        assert_eq!(p.int("page", 0, 0, 9).unwrap(), 0);
    }
}
