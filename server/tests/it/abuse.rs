//! What an attacker or a careless client can try, on both engines: concurrent guessing,
//! bodies sent without credentials, scans that would replace other teams' scans, samples
//! taken by file id, formulas in CSV exports, logs that would flood every viewer.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use server::IngestConfig;
use shared::api::Role;

use crate::support::{
    Answer, Seltzer, TestDb, basic, good_orders_scan, on_both_engines, send, signs_in,
};

const PASSWORD: &str = "correct horse battery staple";

/// How many of `statuses` are `status`.
fn tally(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

/// Sixty wrong passwords sent at once, then the right one: each attempt is counted before its
/// password is checked, so at most the account's limit (5) are verified, and the account is
/// locked for the right password too. (They were all verified, and the right one got in.)
async fn concurrent_wrong_passwords_cannot_outrun_the_throttle(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    seltzer
        .db
        .create_user("ada@example.com", Role::Admin, PASSWORD)
        .await
        .unwrap();
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..60 {
        let seltzer = seltzer.clone();
        guesses.spawn(async move {
            let body = json!({"email": "ada@example.com", "password": format!("guess {i}")});
            let client = seltzer.anonymous();
            client.post("/api/auth/login", body).await.status
        });
    }
    let statuses = guesses.join_all().await;
    let verified = tally(&statuses, StatusCode::UNAUTHORIZED);
    let throttled = tally(&statuses, StatusCode::TOO_MANY_REQUESTS);
    assert!(verified <= 5, "{verified} wrong passwords were verified");
    assert_eq!(verified + throttled, 60, "{statuses:?}");
    // Attempts refused unverified do not count as failures; the verified ones do. Five more
    // wrong passwords, one at a time, and the account is locked whatever the burst did.
    for _ in 0..5 {
        let wrong = seltzer.sign_in("ada@example.com", "one more guess").await;
        assert!([StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS].contains(&wrong.status));
    }
    let right = seltzer.sign_in("ada@example.com", PASSWORD).await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);

    // The count lives in the database: another Seltzer on it sees the same lock.
    let other = Seltzer::reopen(&seltzer, IngestConfig::default());
    let right = other.sign_in("ADA@example.com", PASSWORD).await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
}

/// Wrong API key secrets are throttled per key (HTTP Basic and Soda Core's login alike), while
/// a secret verified before keeps working, so a pipeline is not locked out by someone who
/// knows its key id.
async fn wrong_api_key_secrets_are_throttled_per_key(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let key_id = seltzer.key_id.clone();
    // Verified once: remembered.
    let ok = seltzer
        .authorized(&basic(&key_id, &seltzer.secret))
        .get("/api/auth/me")
        .await;
    assert_eq!(ok.status, StatusCode::OK);

    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..30 {
        let seltzer = seltzer.clone();
        let auth = basic(&key_id, &format!("wrong {i}"));
        guesses.spawn(async move {
            let client = seltzer.authorized(&auth);
            client.get("/api/auth/me").await.status
        });
    }
    let statuses = guesses.join_all().await;
    let verified = tally(&statuses, StatusCode::UNAUTHORIZED);
    assert!(verified <= 10, "{verified} wrong secrets were verified");
    assert!(
        statuses
            .iter()
            .all(|s| [StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS].contains(s)),
        "{statuses:?}"
    );
    for _ in 0..10 {
        seltzer
            .authorized(&basic(&key_id, "one more guess"))
            .get("/api/auth/me")
            .await;
    }
    let login = |secret: &str| json!({"type": "login", "apiKeyId": key_id, "apiKeySecret": secret});
    let refused = seltzer.post("/api/command", &login("wrong again")).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.json()["code"], "too_many_requests");
    // The right secret, already verified, still works on both paths.
    let ok = seltzer
        .authorized(&basic(&key_id, &seltzer.secret))
        .get("/api/auth/me")
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let ok = seltzer.post("/api/command", &login(&seltzer.secret)).await;
    assert_eq!(ok.status, StatusCode::OK);
    // Other keys are not affected.
    let other = seltzer
        .db
        .create_api_key("other", Role::Viewer)
        .await
        .unwrap();
    let ok = seltzer
        .authorized(&basic(&other.id, &other.secret))
        .get("/api/auth/me")
        .await;
    assert_eq!(ok.status, StatusCode::OK);
}

/// Credentials are checked before a body is read or parsed: an anonymous client cannot make
/// Seltzer hold its megabytes. Queries have a limit that fits them.
async fn bodies_wait_for_credentials_and_fit_their_endpoint(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    // A query body far over the query limit: 413 before anything is parsed.
    let big = format!(
        "{{\"type\":\"sodaCoreHistoricMeasurements\",\"filter\":[{}]}}",
        "[1,2,3,4,5,6,7,8,9],".repeat(100_000) + "1"
    );
    let answer = send(
        &seltzer.app,
        Request::post("/api/query")
            .header("content-type", "application/json")
            .body(Body::from(big))
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.json()["code"], "payload_too_large");
    // Without a token, a query is refused before its filter is read (a malformed one too).
    let answer = seltzer
        .post(
            "/api/query",
            &json!({"type": "sodaCoreHistoricMeasurements", "filter": {"nonsense": true}}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    // A sample upload without a token: 401 without reading the body, even one over the limit.
    let config = IngestConfig {
        max_body_bytes: 1024,
        ..IngestConfig::default()
    };
    let small = Seltzer::reopen(&seltzer, config);
    let answer = send(
        &small.app,
        Request::post("/api/scan/upload")
            .header("Authorization", "not-a-token")
            .body(Body::from("[1]\n".repeat(10_000)))
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.json()["code"], "unauthorized");
}

async fn insert(seltzer: &Seltzer, token: &str, doc: &Value) -> Answer {
    let mut doc = doc.clone();
    doc["token"] = json!(token);
    seltzer.post("/api/command", &doc).await
}

/// A token of a new API key acting as `role`.
async fn new_key_token(seltzer: &Seltzer, name: &str, role: Role) -> String {
    let key = seltzer.db.create_api_key(name, role).await.unwrap();
    seltzer.login_as(&key.id, &key.secret).await
}

/// A re-send replaces only the same data source's scan, and only when the sender sent it or
/// may replace others' (editor, admin). Keys may be limited to data sources. Implausible data
/// timestamps are refused.
async fn scans_are_replaced_only_by_who_may(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let team_a = seltzer.login().await;
    let when = "2026-11-20T00:00:00+00:00";
    let scan = good_orders_scan("", "daily", when);
    assert_eq!(
        insert(&seltzer, &team_a, &scan).await.status,
        StatusCode::OK
    );

    // Another team, another data source, the same `-s daily -t …`: both scans are kept.
    let team_b = new_key_token(&seltzer, "team b", Role::Viewer).await;
    let mut other_source = scan.clone();
    other_source["defaultDataSource"] = json!("warehouse_b");
    let answer = insert(&seltzer, &team_b, &other_source).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(seltzer.count("SELECT COUNT(*) FROM scans").await, 2);

    // Team b's viewer key may not replace (or empty) team a's scan.
    let mut emptied = scan.clone();
    emptied["checks"] = json!([]);
    let answer = insert(&seltzer, &team_b, &emptied).await;
    assert_eq!(
        answer.status,
        StatusCode::CONFLICT,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(answer.json()["code"], "conflict");
    assert!(
        answer.json()["message"]
            .as_str()
            .unwrap()
            .contains("another API key")
    );
    assert_eq!(seltzer.count("SELECT COUNT(*) FROM check_results").await, 2);
    // Team a may re-send its own; an editor key may replace anyone's.
    assert_eq!(
        insert(&seltzer, &team_a, &scan).await.status,
        StatusCode::OK
    );
    let ops = new_key_token(&seltzer, "ops", Role::Editor).await;
    assert_eq!(
        insert(&seltzer, &ops, &emptied).await.status,
        StatusCode::OK
    );
    assert_eq!(seltzer.count("SELECT COUNT(*) FROM scans").await, 2);
    assert_eq!(seltzer.count("SELECT COUNT(*) FROM check_results").await, 1);
    crate::support::assert_consistent(&seltzer.db).await;

    // A key limited to a data source sends that one only.
    let limited = seltzer
        .db
        .create_api_key_for("shop only", Role::Viewer, Some(&["shop".to_owned()]))
        .await
        .unwrap();
    let shop_only = seltzer.login_as(&limited.id, &limited.secret).await;
    let mut later = good_orders_scan("", "hourly", "2026-11-21T00:00:00+00:00");
    assert_eq!(
        insert(&seltzer, &shop_only, &later).await.status,
        StatusCode::OK
    );
    later["defaultDataSource"] = json!("warehouse_b");
    let answer = insert(&seltzer, &shop_only, &later).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(
        answer.json()["message"]
            .as_str()
            .unwrap()
            .contains("'warehouse_b'")
    );

    // Year 9999 is a mistake, not a data timestamp.
    let future = good_orders_scan("", "daily", "9999-01-01T00:00:00+00:00");
    let answer = insert(&seltzer, &team_a, &future).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer.json()["message"]
            .as_str()
            .unwrap()
            .contains("dataTimestamp")
    );
}

async fn upload_sample(seltzer: &Seltzer, token: &str) -> String {
    let request = Request::post("/api/scan/upload")
        .header("Authorization", token)
        .header("File-Path", "x/orders_failed_rows.jsonl")
        .body(Body::from("{\"id\": 1, \"email\": \"a@example.com\"}\n"))
        .unwrap();
    let answer = send(&seltzer.app, request).await;
    assert_eq!(answer.status, StatusCode::OK);
    answer.json()["fileId"].as_str().unwrap().to_owned()
}

fn with_sample(mut scan: Value, file_id: &str) -> Value {
    scan["checks"][0]["outcome"] = json!("fail");
    scan["checks"][0]["diagnostics"]["blocks"] = json!([{
        "type": "file", "title": "Failed rows",
        "file": {"reference": {"type": "sodaCloudStorage", "fileId": file_id}, "columns": [{"name": "id"}], "totalRowCount": 1, "storedRowCount": 1}
    }]);
    scan
}

/// Failed rows (rows of the customer's warehouse) go with their scan, and a file id links
/// only a sample its own key uploaded.
async fn samples_go_with_their_scan_and_stay_with_their_key(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let token = seltzer.login().await;
    let file_id = upload_sample(&seltzer, &token).await;
    let scan = with_sample(
        good_orders_scan("", "daily", "2026-11-20T00:00:00+00:00"),
        &file_id,
    );
    let answer = insert(&seltzer, &token, &scan).await;
    assert_eq!(answer.status, StatusCode::OK);
    let scan_id = answer.json()["scanId"].as_str().unwrap().to_owned();
    let linked = || seltzer.count("SELECT COUNT(*) FROM samples WHERE check_result_id IS NOT NULL");
    assert_eq!(linked().await, 1);

    // Another key that learnt the file id cannot move the sample to its own result.
    let other_token = new_key_token(&seltzer, "other", Role::Viewer).await;
    let stolen = with_sample(
        good_orders_scan("", "thief", "2026-11-21T00:00:00+00:00"),
        &file_id,
    );
    assert_eq!(
        insert(&seltzer, &other_token, &stolen).await.status,
        StatusCode::OK
    );
    let owner: i64 = seltzer
        .count("SELECT r.scan_id FROM samples s JOIN check_results r ON r.id = s.check_result_id")
        .await;
    assert_eq!(owner.to_string(), scan_id, "the sample stays with its scan");

    // A re-send of the same document keeps the sample; deleting the scan deletes it.
    let answer = insert(&seltzer, &token, &scan).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(linked().await, 1);
    let new_id: i64 = answer.json()["scanId"].as_str().unwrap().parse().unwrap();
    assert!(seltzer.db.delete_scan(new_id).await.unwrap());
    assert_eq!(seltzer.count("SELECT COUNT(*) FROM samples").await, 0);
}

/// Exports hold what Soda Core sent, but never a formula a spreadsheet would run; numbers stay
/// numbers. A check's history export holds every result, beyond 10,000.
async fn csv_exports_are_safe_and_complete(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let auth = seltzer.basic_auth(Role::Admin).await;
    let token = seltzer.login().await;
    let mut scan = good_orders_scan("", "daily", "2026-11-20T00:00:00+00:00");
    scan["checks"][0]["name"] = json!("=HYPERLINK(\"http://evil.example\",\"open\")");
    scan["checks"][0]["diagnostics"]["value"] = json!(-5);
    assert_eq!(insert(&seltzer, &token, &scan).await.status, StatusCode::OK);
    let csv = seltzer.authorized(&auth).get("/api/checks.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    let text = String::from_utf8(csv.body.clone()).unwrap();
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"open\"\")\""),
        "{text}"
    );
    assert!(text.contains(",-5,"), "{text}");

    // 10,001 results of one check, stored straight into the database (the ingest path would
    // take minutes): the export holds them all.
    let check_id: i64 = seltzer.count("SELECT id FROM checks").await;
    let scan_id: i64 = seltzer.count("SELECT id FROM scans").await;
    let mut tx = seltzer.db.pool().begin().await.unwrap();
    for i in 0..10_001i64 {
        sqlx::query(
            "INSERT INTO check_results (check_id, scan_id, data_timestamp, outcome, value, \
             diagnostics, metric_identity, name, definition) \
             VALUES ($1, $2, $3, 'pass', 1.0, '{}', NULL, 'n', 'd')",
        )
        .bind(check_id)
        .bind(scan_id)
        .bind(1_600_000_000_000i64 + i * 60_000)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let csv = seltzer
        .authorized(&auth)
        .get(&format!("/api/checks/{check_id}/history.csv"))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    let lines = String::from_utf8(csv.body).unwrap().lines().count();
    assert_eq!(lines, 1 + 10_002, "a header and every result");
}

/// A scan's log is bounded when stored (and says so), and read a page at a time.
async fn scan_logs_are_bounded_and_paged(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let auth = seltzer.basic_auth(Role::Admin).await;
    let token = seltzer.login().await;
    let mut scan = good_orders_scan("", "daily", "2026-11-20T00:00:00+00:00");
    let logs: Vec<Value> = (0..8_000)
        .map(|i| json!({"level": "info", "message": format!("{i} {}", "x".repeat(1_000)), "index": i}))
        .collect();
    scan["logs"] = Value::Array(logs);
    let answer = insert(&seltzer, &token, &scan).await;
    assert_eq!(answer.status, StatusCode::OK);
    let id = answer.json()["scanId"].as_str().unwrap().to_owned();
    let first = seltzer
        .authorized(&auth)
        .get(&format!("/api/scans/{id}"))
        .await;
    assert_eq!(first.status, StatusCode::OK);
    let first = first.json();
    let total = first["logsTotal"].as_i64().unwrap();
    assert!(total < 8_000 && total > 1_000, "{total}");
    assert_eq!(first["logs"].as_array().unwrap().len(), 1_000);
    let last_page = seltzer
        .authorized(&auth)
        .get(&format!("/api/scans/{id}?logOffset={}", total - 1))
        .await
        .json();
    let note = last_page["logs"][0]["message"].as_str().unwrap();
    assert!(note.starts_with("Seltzer kept "), "{note}");
    assert!(note.contains("of the 8000 log lines"), "{note}");
}

/// Sign-in takes JSON only, from Seltzer's own origin (login CSRF); errors answered before a
/// handler runs still have the JSON error shape; every response carries the security headers.
async fn sign_in_and_errors_are_hardened(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    seltzer
        .db
        .create_user("ada@example.com", Role::Admin, PASSWORD)
        .await
        .unwrap();
    let form = Request::post("/api/auth/login")
        .header("host", "localhost")
        .header("content-type", "text/plain")
        .body(Body::from(
            json!({"email": "ada@example.com", "password": PASSWORD}).to_string(),
        ))
        .unwrap();
    let answer = send(&seltzer.app, form).await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(answer.header(&header::SET_COOKIE).is_empty());
    for (origin, status) in [
        ("https://evil.example", StatusCode::FORBIDDEN),
        ("http://localhost", StatusCode::OK),
    ] {
        let credentials = json!({"email": "ada@example.com", "password": PASSWORD});
        let client = seltzer.anonymous().with("origin", origin);
        let answer = client.post("/api/auth/login", credentials).await;
        assert_eq!(answer.status, status, "{origin}");
    }

    // A management body over axum's default limit, and a path parameter of the wrong type.
    let auth = seltzer.basic_auth(Role::Admin).await;
    let huge = Request::post("/api/api-keys")
        .header("authorization", &auth)
        .header("content-type", "application/json")
        .body(Body::from(format!(
            "{{\"name\":\"{}\"}}",
            "x".repeat(3_000_000)
        )))
        .unwrap();
    let answer = send(&seltzer.app, huge).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.json()["code"], "payload_too_large");
    for path in ["/api/v1/scans/not-a-number", "/api/datasets/x%00y"] {
        let answer = seltzer.authorized(&auth).get(path).await;
        assert!(answer.status.is_client_error(), "{path}: {}", answer.status);
        assert!(answer.json()["code"].is_string(), "{path}");
    }
    for path in ["/", "/api/health", "/checks/1"] {
        let answer = send(
            &seltzer.app,
            Request::get(path).body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!(
            answer.header(&header::X_CONTENT_TYPE_OPTIONS),
            "nosniff",
            "{path}"
        );
        assert_eq!(answer.header(&header::X_FRAME_OPTIONS), "DENY", "{path}");
        assert_eq!(
            answer.header(&header::REFERRER_POLICY),
            "same-origin",
            "{path}"
        );
        let csp = answer.header(&header::CONTENT_SECURITY_POLICY);
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    }
}

/// `user disable` and `set-password` find the user whatever the case of the email given.
async fn user_emails_match_in_any_case(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let db = &seltzer.db;
    assert!(
        db.create_user("Ben@Example.com", Role::Viewer, PASSWORD)
            .await
            .unwrap()
    );
    assert!(
        db.set_password("BEN@example.COM ", "a new password")
            .await
            .unwrap()
    );
    assert!(signs_in(db, "ben@example.com", "a new password").await);
    assert!(db.disable_user("ben@EXAMPLE.com").await.unwrap());
    assert!(!signs_in(db, "ben@example.com", "a new password").await);
}

on_both_engines!(
    concurrent_wrong_passwords_cannot_outrun_the_throttle,
    wrong_api_key_secrets_are_throttled_per_key,
    bodies_wait_for_credentials_and_fit_their_endpoint,
    scans_are_replaced_only_by_who_may,
    samples_go_with_their_scan_and_stay_with_their_key,
    csv_exports_are_safe_and_complete,
    scan_logs_are_bounded_and_paged,
    sign_in_and_errors_are_hardened,
    user_emails_match_in_any_case,
    csv_exports_end_properly_over_http,
);

/// Inputs the fuzzer (`scripts/fuzz.sh`) found for the scan results document and the history
/// filter: read without a panic, for good. (The SodaCL ones are replayed by the shared crate.)
#[test]
fn fuzz_regressions_stay_fixed() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions");
    for target in ["scan_document", "history_filter"] {
        let Ok(entries) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        for entry in entries {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            match target {
                "scan_document" => {
                    if let Ok(doc) = server::soda::document::parse_slice(&bytes) {
                        let _ = (doc.named_tables(), doc.failed());
                    }
                }
                _ => {
                    if let Ok(body) = serde_json::from_slice::<Value>(&bytes) {
                        let _ = server::soda::history_filter::parse(&body, "metric.identity");
                    }
                }
            }
        }
    }
}

/// A CSV export streamed by the real server ends properly, empty or not (its stream was once
/// polled after its end and the body was cut: "invalid chunk", found by schemathesis).
async fn csv_exports_end_properly_over_http(test_db: TestDb) {
    use std::io::{Read as _, Write as _};
    let db = server::Database::connect(&test_db.url).await.unwrap();
    db.migrate().await.unwrap();
    let key = db.create_api_key("admin", Role::Admin).await.unwrap();
    db.close().await;
    let running = crate::support::RunningServer::start(&test_db.url, &[]);
    let auth = basic(&key.id, &key.secret);
    for path in [
        "/api/checks.csv",
        "/api/checks.csv?search=nothing",
        "/api/checks.csv?outcome=fail",
    ] {
        for encoding in ["identity", "gzip"] {
            let mut stream = std::net::TcpStream::connect(&running.addr).unwrap();
            write!(
                stream,
                "GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\
                 Accept-Encoding: {encoding}\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            let mut raw = Vec::new();
            stream.read_to_end(&mut raw).unwrap();
            let text = String::from_utf8_lossy(&raw);
            assert!(text.starts_with("HTTP/1.1 200"), "{path}: {text}");
            assert!(
                text.ends_with("0\r\n\r\n"),
                "{path} ({encoding}) ended early: {text:?}"
            );
        }
    }
}
