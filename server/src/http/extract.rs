//! What handlers take from a request besides credentials:
//! - query parameters, read one by one so that a bad one gets a 400 naming it and the accepted
//!   values (never a 500, never a silent default);
//! - JSON bodies (`JsonBody`): axum's `Json`, with its rejections in Seltzer's error shape.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::{Json, RequestExt};
use serde::de::DeserializeOwned;
use shared::api::{ErrorCode, PageQuery};

use super::HttpError;
use crate::timestamp::{self, EpochMillis};

/// The query string as `T` (one of `shared::api`'s query types: what the OpenAPI document
/// lists is what the handler reads). A malformed query string is a 400.
pub(super) struct TypedQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for TypedQuery<T> {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, HttpError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| Self(q))
            .map_err(|e| HttpError::bad_request(format!("invalid query string: {}", e.body_text())))
    }
}

/// One query parameter's value, with its name for the messages.
#[derive(Debug, Clone, Copy)]
pub(super) struct Param<'a> {
    name: &'static str,
    value: Option<&'a str>,
}

/// The parameter `name` with `value` (empty counts as absent).
pub(super) fn param<'a>(name: &'static str, value: &'a Option<String>) -> Param<'a> {
    Param {
        name,
        value: value.as_deref().filter(|v| !v.is_empty()),
    }
}

impl<'a> Param<'a> {
    /// The value, when present and not empty.
    pub fn text(self) -> Option<&'a str> {
        self.value
    }

    /// An integer in `min..=max`, or `default` when absent.
    pub fn int(self, default: i64, min: i64, max: i64) -> Result<i64, HttpError> {
        let name = self.name;
        match self.value {
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
    pub fn time(self) -> Result<Option<EpochMillis>, HttpError> {
        let name = self.name;
        self.value
            .map(|t| {
                timestamp::parse(t).map_err(|e| HttpError::bad_request(format!("{name}: {e}")))
            })
            .transpose()
    }

    /// An object id (`datasetId` …): a 400 that says what was expected.
    pub fn id(self, what: &str) -> Result<Option<i64>, HttpError> {
        let name = self.name;
        self.value
            .map(|v| {
                v.parse()
                    .map_err(|_| HttpError::bad_request(format!("{name} must be {what}")))
            })
            .transpose()
    }

    /// Search text, at most 200 characters.
    pub fn search(self) -> Result<Option<String>, HttpError> {
        match self.value {
            Some(s) if s.chars().count() > 200 => Err(HttpError::bad_request(format!(
                "{} is limited to 200 characters",
                self.name
            ))),
            other => Ok(other.map(str::to_owned)),
        }
    }
}

/// A page of one of Seltzer's lists: `size` in `min_size..=max_size` (default `default_size`).
pub(super) fn paging(
    p: &PageQuery,
    default_size: i64,
    min_size: i64,
    max_size: i64,
) -> Result<(i64, i64), HttpError> {
    page_and_size(&p.page, &p.size, default_size, min_size, max_size)
}

/// `page` from 0 and `size` in `min_size..=max_size` (default `default_size`).
pub(super) fn page_and_size(
    page: &Option<String>,
    size: &Option<String>,
    default_size: i64,
    min_size: i64,
    max_size: i64,
) -> Result<(i64, i64), HttpError> {
    let size = param("size", size).int(default_size, min_size, max_size)?;
    let page = param("page", page).int(0, 0, i64::from(i32::MAX))?;
    Ok((page, size))
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

    #[test]
    fn bad_values_are_named() {
        let message = |e: HttpError| format!("{e:?}");
        let size = Some("5000".to_owned());
        assert!(
            message(param("size", &size).int(10, 1, 500).unwrap_err())
                .contains("size must be an integer from 1 to 500")
        );
        let soon = Some("soon".to_owned());
        assert!(message(param("from", &soon).time().unwrap_err()).contains("from: 'soon'"));
        let x = Some("x".to_owned());
        assert!(
            message(param("datasetId", &x).id("a dataset id").unwrap_err())
                .contains("datasetId must be a dataset id")
        );
        assert_eq!(param("empty", &Some(String::new())).text(), None);
        assert_eq!(param("page", &None).int(0, 0, 9).unwrap(), 0);
    }
}
