//! Who is calling, and sign-in. Three ways in, each resolving to a `Caller` with a role:
//! - the dashboard's session cookie (from `POST /api/auth/login`); mutating requests made with
//!   it must come from Seltzer's own origin (CSRF);
//! - HTTP Basic `api_key_id:api_key_secret`, as Soda Cloud's API v1 takes it;
//! - `Authorization: Bearer <token>` with a token from the `login` command.

use shared::api::ApiError;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::Json;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, FromRequestParts, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, HOST, ORIGIN, REFERER, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use cookie::{Cookie, SameSite};
use shared::api::{ErrorCode, LoginRequest, Me, Role, SignedOut};

use super::extract::JsonBody;
use super::{AppState, HttpError};
use crate::credentials;
use crate::storage::Token;

const SESSION_COOKIE: &str = "seltzer_session";
/// A dashboard session lasts 12 hours.
const SESSION_TTL_MS: i64 = 12 * 60 * 60 * 1000;
/// Failed sign-ins are counted over 15 minutes (`THROTTLE_WINDOW_MS`): 5 per account, 20 per
/// address; failed API key secrets: 10 per key.
const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
const MAX_FAILURES_PER_ADDRESS: i64 = 20;
const MAX_FAILURES_PER_API_KEY: i64 = 10;

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub role: Role,
    pub email: Option<String>,
    pub api_key_id: Option<String>,
}

impl Caller {
    /// Who did something, as histories and logs name them: a user's email, else the API key.
    pub fn actor(&self) -> String {
        match (&self.email, &self.api_key_id) {
            (Some(email), _) => email.clone(),
            (None, Some(key)) => format!("API key {key}"),
            (None, None) => "Seltzer".to_owned(),
        }
    }

    /// A 403 unless the caller's role is at least `needed`.
    pub fn require(&self, needed: Role) -> Result<(), HttpError> {
        if self.role >= needed {
            Ok(())
        } else {
            Err(HttpError::new(
                ErrorCode::Forbidden,
                format!(
                    "this needs the {} role; you are {}",
                    needed.as_str(),
                    self.role.as_str()
                ),
            ))
        }
    }
}

/// API key secrets already verified with argon2, by key id (the SHA-256 of the secret): argon2
/// on every API request would cost tens of milliseconds each. Revocation is still checked in
/// the database on every request.
#[derive(Debug, Default)]
pub struct VerifiedKeys(Mutex<HashMap<String, String>>);

impl VerifiedKeys {
    fn is_verified(&self, id: &str, secret_hash: &str) -> bool {
        self.0
            .lock()
            .map(|m| m.get(id).is_some_and(|h| h == secret_hash))
            .unwrap_or(false)
    }

    fn remember(&self, id: &str, secret_hash: String) {
        if let Ok(mut m) = self.0.lock() {
            if m.len() > 10_000 {
                m.clear();
            }
            m.insert(id.to_owned(), secret_hash);
        }
    }
}

fn unauthorized(message: &str) -> HttpError {
    HttpError::new(ErrorCode::Unauthorized, message)
}

fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}

/// A mutating request carried by a cookie must come from this server's own pages: its
/// `Origin` (or `Referer`) must name the host it was sent to.
fn same_origin(parts: &Parts) -> bool {
    let source = parts
        .headers
        .get(ORIGIN)
        .or_else(|| parts.headers.get(REFERER))
        .and_then(|h| h.to_str().ok());
    source.is_some_and(|s| names_this_host(&parts.headers, s))
}

/// Whether a URL (an `Origin` or `Referer` value) names the host the request was sent to.
fn names_this_host(headers: &HeaderMap, url: &str) -> bool {
    let Some(host) = headers.get(HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let without_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    without_scheme.split('/').next() == Some(host)
}

/// A caller with the editor role at least (403 otherwise), known before any body is read.
pub struct EditorCaller(pub Caller);

/// A caller with the admin role (403 otherwise), known before any body is read.
pub struct AdminCaller(pub Caller);

impl FromRequestParts<AppState> for EditorCaller {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, HttpError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require(Role::Editor)?;
        Ok(Self(caller))
    }
}

impl FromRequestParts<AppState> for AdminCaller {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, HttpError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require(Role::Admin)?;
        Ok(Self(caller))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, HttpError> {
        if let Some(auth) = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
        {
            if let Some(encoded) = auth.strip_prefix("Basic ") {
                return basic(state, encoded.trim()).await;
            }
            if let Some(token) = auth.strip_prefix("Bearer ") {
                let (id, role) = state
                    .db
                    .authenticate_token(token.trim())
                    .await?
                    .ok_or_else(|| unauthorized("the bearer token is unknown or expired"))?;
                return Ok(Caller {
                    role,
                    email: None,
                    api_key_id: Some(id),
                });
            }
            return Err(unauthorized(
                "unsupported Authorization header: use Basic (API key id:secret) or Bearer",
            ));
        }
        let token = session_token(&parts.headers).ok_or_else(|| {
            unauthorized("sign in, or send an API key (HTTP Basic api_key_id:api_key_secret)")
        })?;
        let user = state
            .db
            .session_user(&token)
            .await?
            .ok_or_else(|| unauthorized("your session has ended; sign in again"))?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe && !same_origin(parts) {
            return Err(HttpError::new(
                ErrorCode::Forbidden,
                "cross-site request refused: send it from Seltzer's own pages",
            ));
        }
        Ok(Caller {
            role: user.role,
            email: Some(user.email),
            api_key_id: None,
        })
    }
}

async fn basic(state: &AppState, encoded: &str) -> Result<Caller, HttpError> {
    let bad =
        || unauthorized("invalid Basic credentials: expected base64 of api_key_id:api_key_secret");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| bad())?;
    let text = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = text.split_once(':').ok_or_else(bad)?;
    let role = verify_api_key(state, id, secret)
        .await?
        .ok_or_else(|| unauthorized("unknown API key id or wrong secret"))?;
    Ok(Caller {
        role,
        email: None,
        api_key_id: Some(id.to_owned()),
    })
}

/// The role of the active API key `id` when `secret` is its secret, else `None`.
///
/// A secret verified before is recognised by its SHA-256 without argon2 (tens of milliseconds
/// each). Any other is verified at most `MAX_FAILURES_PER_API_KEY` times per key in the throttle
/// window (429 beyond), and never more than a few at once (see
/// `credentials::verify_secret_bounded`): guessing is hopeless with 192-bit secrets, but each
/// guess costs the server a core and ~19 MiB.
pub async fn verify_api_key(
    state: &AppState,
    id: &str,
    secret: &str,
) -> Result<Option<Role>, HttpError> {
    let Some((hash, role)) = state.db.api_key_secret(id).await? else {
        return Ok(None);
    };
    let secret_sha = credentials::hash_token(secret);
    if state.verified_keys.is_verified(id, &secret_sha) {
        return Ok(Some(role));
    }
    let key = format!("api-key:{id}");
    let Some(attempt) = state
        .db
        .begin_attempt(&[(key.clone(), MAX_FAILURES_PER_API_KEY)])
        .await?
    else {
        return Err(HttpError::new(
            ErrorCode::TooManyRequests,
            format!(
                "too many wrong secrets for API key {id}; try again in 15 minutes \
                 (a secret that worked before still works)"
            ),
        ));
    };
    match credentials::verify_secret_bounded(secret.to_owned(), hash).await {
        Ok(true) => {
            state.db.attempt_succeeded(attempt, &[key]).await?;
            state.verified_keys.remember(id, secret_sha);
            Ok(Some(role))
        }
        Ok(false) => {
            state.db.attempt_failed(attempt).await?;
            Ok(None)
        }
        Err(busy) => {
            state.db.attempt_abandoned(attempt).await?;
            Err(HttpError::new(ErrorCode::Unavailable, busy.to_string()))
        }
    }
}

/// A login token for Soda Core's `login` command, after [`verify_api_key`].
pub async fn api_key_token(
    state: &AppState,
    id: &str,
    secret: &str,
    ttl_ms: i64,
) -> Result<Option<Token>, HttpError> {
    if verify_api_key(state, id, secret).await?.is_none() {
        return Ok(None);
    }
    Ok(state.db.issue_token(id, ttl_ms).await?)
}

/// A sign-in is an email and a password: 64 KiB is plenty.
fn login_route() -> utoipa_axum::router::UtoipaMethodRouter<AppState> {
    let (schemas, paths, login) = routes!(login);
    (
        schemas,
        paths,
        login.layer(DefaultBodyLimit::max(64 * 1024)),
    )
}

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(login_route())
        .routes(routes!(logout))
        .routes(routes!(me))
}

fn cookie(value: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let cookie = Cookie::build((SESSION_COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(time::Duration::seconds(max_age_secs))
        .secure(secure)
        .build();
    HeaderValue::from_str(&cookie.to_string()).unwrap_or(HeaderValue::from_static(
        "seltzer_session=; Path=/; Max-Age=0",
    ))
}

/// Served over https (directly or behind a proxy that says so), cookies are `Secure`.
pub(super) fn over_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest, responses((status = 200, description = "Signed in; the session cookie is set", body = Me), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "Sent from another site", body = ApiError), (status = 415, description = "Not JSON", body = ApiError), (status = 429, description = "Too many failed sign-ins", body = ApiError), (status = 503, description = "Too many sign-ins at once; retry", body = ApiError)))]
async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    parts: axum::extract::Request,
) -> Result<Response, HttpError> {
    // Login CSRF: a cross-site form can post `text/plain` without a preflight and sign the
    // victim in as the attacker. JSON needs a preflight (which Seltzer never grants), and a
    // browser's `Origin` must be Seltzer's own.
    let is_json = headers
        .get(CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(HttpError::new(
            ErrorCode::UnsupportedMediaType,
            "send the sign-in as JSON (Content-Type: application/json)",
        ));
    }
    if cross_site(&headers) {
        return Err(HttpError::new(
            ErrorCode::Forbidden,
            "cross-site sign-in refused: sign in on Seltzer's own page",
        ));
    }
    let address = parts
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string());
    let JsonBody(request) = JsonBody::<LoginRequest>::from_request(parts, &state).await?;
    let email = request.email.trim().to_lowercase();
    let account_key = format!("account:{email}");
    let address_key = format!("address:{address}");
    // Counted before the password is checked: concurrent attempts cannot all get through.
    let Some(attempt) = state
        .db
        .begin_attempt(&[
            (account_key.clone(), MAX_FAILURES_PER_ACCOUNT),
            (address_key, MAX_FAILURES_PER_ADDRESS),
        ])
        .await?
    else {
        return Err(HttpError::new(
            ErrorCode::TooManyRequests,
            "too many failed sign-ins; try again in 15 minutes",
        ));
    };
    let signed_in = match state
        .db
        .sign_in(&email, &request.password, SESSION_TTL_MS)
        .await
    {
        Ok(signed_in) => signed_in,
        Err(e) => {
            state.db.attempt_abandoned(attempt).await?;
            return Err(e.into());
        }
    };
    let Some((token, user)) = signed_in else {
        state.db.attempt_failed(attempt).await?;
        return Err(unauthorized("wrong email or password"));
    };
    state.db.attempt_succeeded(attempt, &[account_key]).await?;
    let me = Me {
        email: Some(user.email),
        api_key_id: None,
        role: user.role,
    };
    let mut response = Json(me).into_response();
    response.headers_mut().insert(
        SET_COOKIE,
        cookie(&token, SESSION_TTL_MS / 1000, over_https(&headers)),
    );
    Ok(response)
}

/// A browser request from another site: its `Origin` names another host, or the browser says
/// so (`Sec-Fetch-Site: cross-site`). Programs without these headers are not browsers.
fn cross_site(headers: &HeaderMap) -> bool {
    let fetch_site = headers
        .get("sec-fetch-site")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|s| s.eq_ignore_ascii_case("cross-site"));
    let origin_elsewhere = headers
        .get(ORIGIN)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|origin| !names_this_host(headers, origin));
    fetch_site || origin_elsewhere
}

#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 200, description = "Signed out; the session cookie is cleared", body = SignedOut), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError)))]
async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    if caller.email.is_some()
        && let Some(token) = session_token(&headers)
    {
        state.db.end_session(&token).await?;
    }
    let mut response = Json(SignedOut { signed_out: true }).into_response();
    response
        .headers_mut()
        .insert(SET_COOKIE, cookie("", 0, over_https(&headers)));
    Ok(response)
}

#[utoipa::path(get, path = "/auth/me", tag = "auth", security(("basic" = []), ("bearer" = []), ("session" = [])), responses((status = 200, body = Me), (status = 401, description = "No or wrong credentials", body = ApiError)))]
async fn me(caller: Caller) -> Json<Me> {
    Json(Me {
        email: caller.email,
        api_key_id: caller.api_key_id,
        role: caller.role,
    })
}
