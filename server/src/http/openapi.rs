//! The OpenAPI 3.1 document of Seltzer's API, generated from the handlers' annotations and
//! served at `/api/v1/openapi.json` (no credentials needed: it describes, it reveals nothing).

use axum::routing::get;
use axum::{Json, Router};
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
    paths(
        super::health::health,
        super::auth::login,
        super::auth::logout,
        super::auth::me,
        super::v1::test_login,
        super::v1::checks,
        super::v1::datasets,
        super::v1::scan,
        super::v1::scan_logs,
        super::v1::delete_scan,
        super::checks::list,
        super::checks::list_csv,
        super::checks::detail,
        super::checks::history,
        super::checks::history_csv,
        super::checks::result,
        super::datasets::list,
        super::datasets::dataset,
        super::datasets::samples,
        super::scans::list,
        super::scans::detail,
        super::admin::list_attributes,
        super::admin::create_attribute,
        super::admin::delete_attribute,
        super::admin::list_keys,
        super::admin::create_key,
        super::admin::revoke_key,
        super::admin::list_users,
        super::admin::create_user,
        super::admin::disable_user,
        super::soda::command,
        super::soda::query,
        super::soda::upload,
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

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/v1/openapi.json", get(document))
}

async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
