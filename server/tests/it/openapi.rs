//! The OpenAPI document: served, snapshot-reviewed, and walked route by route for
//! authentication (401 without credentials) and authorization (each role allowed or refused).

use axum::http::StatusCode;
use base64::Engine as _;
use serde_json::{Value, json};
use server::IngestConfig;
use shared::api::Role;

use crate::support::{Seltzer, TestDb, get, send};

const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/openapi.json");

/// The least role each operation needs. Every operation of the document must be listed: a new
/// endpoint cannot slip in without a decision here.
const REQUIRED: &[(&str, &str, Option<Role>)] = &[
    ("get", "/api/health", None),
    ("post", "/api/auth/login", None),
    ("post", "/api/auth/logout", Some(Role::Viewer)),
    ("get", "/api/auth/me", Some(Role::Viewer)),
    ("get", "/api/v1/test-login", Some(Role::Viewer)),
    ("get", "/api/v1/checks", Some(Role::Viewer)),
    ("get", "/api/v1/datasets", Some(Role::Viewer)),
    ("get", "/api/v1/scans/{scanId}", Some(Role::Viewer)),
    ("delete", "/api/v1/scans/{scanId}", Some(Role::Editor)),
    ("post", "/api/v1/scans", Some(Role::Editor)),
    ("delete", "/api/scans/{scanId}", Some(Role::Editor)),
    ("get", "/api/v1/scans/{scanId}/logs", Some(Role::Viewer)),
    ("get", "/api/checks", Some(Role::Viewer)),
    ("get", "/api/checks.csv", Some(Role::Viewer)),
    ("get", "/api/checks/{checkId}", Some(Role::Viewer)),
    ("get", "/api/checks/{checkId}/history", Some(Role::Viewer)),
    (
        "get",
        "/api/checks/{checkId}/history.csv",
        Some(Role::Viewer),
    ),
    ("get", "/api/datasets", Some(Role::Viewer)),
    ("get", "/api/datasets/{datasetId}", Some(Role::Viewer)),
    ("get", "/api/check-results/{resultId}", Some(Role::Viewer)),
    (
        "get",
        "/api/check-results/{resultId}/samples",
        Some(Role::Viewer),
    ),
    ("get", "/api/scans", Some(Role::Viewer)),
    ("get", "/api/scans/{scanId}", Some(Role::Viewer)),
    ("get", "/api/attributes", Some(Role::Viewer)),
    ("post", "/api/attributes", Some(Role::Editor)),
    ("delete", "/api/attributes/{name}", Some(Role::Editor)),
    ("get", "/api/api-keys", Some(Role::Admin)),
    ("post", "/api/api-keys", Some(Role::Admin)),
    ("delete", "/api/api-keys/{id}", Some(Role::Admin)),
    ("get", "/api/users", Some(Role::Admin)),
    ("post", "/api/users", Some(Role::Admin)),
    ("post", "/api/users/{email}/disable", Some(Role::Admin)),
    ("get", "/api/notification-channels", Some(Role::Editor)),
    ("post", "/api/notification-channels", Some(Role::Admin)),
    (
        "delete",
        "/api/notification-channels/{id}",
        Some(Role::Admin),
    ),
    (
        "post",
        "/api/notification-channels/{id}/test",
        Some(Role::Editor),
    ),
    ("get", "/api/notification-rules", Some(Role::Viewer)),
    ("post", "/api/notification-rules", Some(Role::Editor)),
    (
        "post",
        "/api/notification-rules/simulate",
        Some(Role::Editor),
    ),
    ("put", "/api/notification-rules/{id}", Some(Role::Editor)),
    ("delete", "/api/notification-rules/{id}", Some(Role::Editor)),
    ("get", "/api/notification-deliveries", Some(Role::Editor)),
    (
        "post",
        "/api/notification-deliveries/{id}/redeliver",
        Some(Role::Editor),
    ),
    ("get", "/api/incidents", Some(Role::Viewer)),
    ("post", "/api/incidents", Some(Role::Editor)),
    ("get", "/api/incidents/{id}", Some(Role::Viewer)),
    ("patch", "/api/incidents/{id}", Some(Role::Editor)),
    (
        "post",
        "/api/incidents/{id}/check-results",
        Some(Role::Editor),
    ),
    ("post", "/api/incidents/{id}/comments", Some(Role::Editor)),
    ("get", "/api/secrets", Some(Role::Admin)),
    ("post", "/api/secrets", Some(Role::Admin)),
    ("delete", "/api/secrets/{name}", Some(Role::Admin)),
    ("get", "/api/data-sources", Some(Role::Viewer)),
    ("post", "/api/data-sources", Some(Role::Admin)),
    ("get", "/api/data-sources/{name}", Some(Role::Viewer)),
    ("put", "/api/data-sources/{name}", Some(Role::Admin)),
    ("delete", "/api/data-sources/{name}", Some(Role::Admin)),
    ("get", "/api/scan-definitions", Some(Role::Viewer)),
    ("post", "/api/scan-definitions", Some(Role::Editor)),
    ("get", "/api/scan-definitions/{name}", Some(Role::Viewer)),
    ("put", "/api/scan-definitions/{name}", Some(Role::Editor)),
    ("delete", "/api/scan-definitions/{name}", Some(Role::Editor)),
    (
        "get",
        "/api/scan-definitions/{name}/versions",
        Some(Role::Viewer),
    ),
    (
        "get",
        "/api/scan-definitions/{name}/runs",
        Some(Role::Viewer),
    ),
    (
        "post",
        "/api/scan-definitions/{name}/runs",
        Some(Role::Editor),
    ),
    (
        "post",
        "/api/scan-definitions/{name}/dry-run",
        Some(Role::Editor),
    ),
    // Any signed-in stakeholder; API keys are refused after the definition is found.
    (
        "post",
        "/api/scan-definitions/{name}/approvals",
        Some(Role::Viewer),
    ),
    ("get", "/api/scan-runs/{id}", Some(Role::Viewer)),
    ("get", "/api/scan-runs/{id}/logs", Some(Role::Viewer)),
    ("get", "/api/scan-runs/{id}/compare", Some(Role::Viewer)),
    ("post", "/api/scan-runs/{id}/cancel", Some(Role::Editor)),
    ("post", "/api/v1/incidents/{incidentId}", Some(Role::Editor)),
    // A ticketing system calls back with the secret its event gave it.
    ("post", "/api/incidents/{id}/links/{token}", None),
    // Soda Core's protocol authenticates in the body (token) or a bare Authorization header.
    ("post", "/api/command", None),
    ("post", "/api/query", None),
    ("post", "/api/scan/upload", None),
    ("post", "/api/logs/{scanId}/{batch}", None),
    ("get", "/api/agents", Some(Role::Viewer)),
    ("post", "/api/agents", Some(Role::Admin)),
    ("delete", "/api/agents/{name}", Some(Role::Admin)),
    ("post", "/api/agents/{name}/key", Some(Role::Admin)),
    // An agent's key, not a role's.
    ("post", "/api/agent/claim", None),
    ("post", "/api/agent/runs/{id}/heartbeat", None),
    ("post", "/api/agent/runs/{id}/logs", None),
    ("post", "/api/agent/runs/{id}/finish", None),
];

async fn document(seltzer: &Seltzer) -> Value {
    let answer = send(&seltzer.app, get("/api/v1/openapi.json")).await;
    assert_eq!(answer.status, StatusCode::OK);
    answer.json()
}

#[tokio::test]
async fn the_openapi_document_matches_its_reviewed_snapshot() {
    let test_db = TestDb::sqlite();
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let doc = document(&seltzer).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let pretty = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    if std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::write(SNAPSHOT, &pretty).unwrap();
    }
    let reviewed = std::fs::read_to_string(SNAPSHOT).unwrap_or_default();
    assert!(
        reviewed == pretty,
        "the API changed: review it, then run `UPDATE_SNAPSHOTS=1 cargo test --test it openapi` \
         and commit tests/snapshots/openapi.json"
    );
}

fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            ops.push((method.clone(), path.clone()));
        }
    }
    ops.sort();
    ops
}

/// A concrete URL for a templated path (ids that need not exist: a 404 is an allowed answer).
fn concrete(path: &str) -> String {
    path.replace("{email}", "nobody@example.com")
        .replace("{name}", "nothing")
        .replace("{id}", "0000")
        .replace(['{', '}'], "")
        .replace("scanId", "424242")
        .replace("checkId", "424242")
        .replace("datasetId", "424242")
        .replace("resultId", "424242")
}

async fn call(
    seltzer: &Seltzer,
    method: &str,
    path: &str,
    auth: Option<&str>,
) -> (StatusCode, Value) {
    let headers: Vec<(&str, &str)> = auth.map(|a| ("authorization", a)).into_iter().collect();
    let method = method.to_uppercase();
    let answer = seltzer
        .request(&method, &concrete(path), &headers, Some(json!({})))
        .await;
    let body = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
    (answer.status, body)
}

#[tokio::test]
async fn every_route_needs_credentials_and_the_right_role() {
    let test_db = TestDb::sqlite();
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let doc = document(&seltzer).await;
    let listed: Vec<(String, String)> = {
        let mut l: Vec<_> = REQUIRED
            .iter()
            .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
            .collect();
        l.sort();
        l
    };
    assert_eq!(
        operations(&doc),
        listed,
        "REQUIRED lists exactly the document's operations"
    );

    let mut keys = Vec::new();
    for role in [Role::Viewer, Role::Editor, Role::Admin] {
        let key = seltzer
            .db
            .create_api_key(role.as_str(), role)
            .await
            .unwrap();
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", key.id, key.secret));
        keys.push((role, format!("Basic {basic}")));
    }
    for (method, path, required) in REQUIRED {
        let (status, body) = call(&seltzer, method, path, None).await;
        assert!(
            body.is_object(),
            "{method} {path}: JSON even without credentials"
        );
        let Some(required) = required else {
            assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{method} {path}");
            continue;
        };
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} without credentials"
        );
        assert_eq!(body["code"], "unauthorized");
        for (role, auth) in &keys {
            let (status, body) = call(&seltzer, method, path, Some(auth)).await;
            if role < required {
                assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path} as {role:?}");
            } else {
                assert!(
                    ![
                        StatusCode::UNAUTHORIZED,
                        StatusCode::FORBIDDEN,
                        StatusCode::INTERNAL_SERVER_ERROR
                    ]
                    .contains(&status),
                    "{method} {path} as {role:?}: {status} {body}"
                );
            }
            let text = body.to_string();
            for leak in ["SELECT", "sqlx", "argon2", "panicked", "stack backtrace"] {
                assert!(!text.contains(leak), "{method} {path} leaks {leak}: {text}");
            }
        }
    }
}
