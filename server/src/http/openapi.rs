//! The OpenAPI 3.1 document of Seltzer's API: its description and security schemes here, its
//! paths from the handlers' annotations as each area's router registers them (one list: a
//! route cannot be served without being documented). Served at `/api/v1/openapi.json` (no
//! credentials needed: it describes, it reveals nothing).

use std::sync::Arc;

use axum::Json;
use axum::routing::get;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Seltzer API",
        description = "Scan results from Soda Core: Seltzer's own endpoints, the subset of Soda \
                       Cloud's API v1 it answers, and the protocol Soda Core speaks. Errors are \
                       always {\"code\", \"message\"}."
    ),
    modifiers(&Security),
)]
pub struct ApiDoc;

/// The three ways in (see `auth`).
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("seltzer_session"))),
        );
    }
}

/// `GET /v1/openapi.json`, answering `document`.
pub(super) fn route(document: utoipa::openapi::OpenApi) -> axum::routing::MethodRouter<AppState> {
    let document = Arc::new(document);
    get(move || {
        let document = Arc::clone(&document);
        async move { Json(document) }
    })
}
