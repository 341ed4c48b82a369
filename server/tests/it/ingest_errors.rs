//! Bad input to the Soda Cloud protocol: a 4xx JSON error that names the field or the problem,
//! and nothing written. Also expiry and revocation of tokens, the samples switch, and many
//! scans arriving at once.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use server::IngestConfig;

use crate::support::{Answer, Seltzer, TestDb, good_orders_scan, on_both_engines, scalar, send};

async fn nothing_written(seltzer: &Seltzer) {
    for sql in [
        "SELECT COUNT(*) FROM scans",
        "SELECT COUNT(*) FROM check_results",
        "SELECT COUNT(*) FROM measurements",
        "SELECT COUNT(*) FROM samples",
        "SELECT COUNT(*) FROM datasets",
    ] {
        assert_eq!(seltzer.count(sql).await, 0, "{sql}");
    }
}

fn assert_error(answer: &Answer, status: StatusCode, code: &str, message: &str) {
    assert_eq!(
        answer.status,
        status,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let body = answer.json();
    assert_eq!(body["code"], code, "{body}");
    let text = body["message"].as_str().unwrap();
    assert!(
        text.contains(message),
        "{text:?} should contain {message:?}"
    );
}

async fn raw(seltzer: &Seltzer, path: &str, body: &'static str) -> Answer {
    let request = Request::post(path)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    send(&seltzer.app, request).await
}

async fn upload(seltzer: &Seltzer, token: Option<&str>, body: &str) -> Answer {
    let mut request =
        Request::post("/api/scan/upload").header("File-Path", "x/orders_failed_rows.jsonl");
    if let Some(token) = token {
        request = request.header("Authorization", token);
    }
    send(
        &seltzer.app,
        request.body(Body::from(body.to_owned())).unwrap(),
    )
    .await
}

async fn malformed_requests_get_a_clear_4xx_and_write_nothing(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let bad = StatusCode::BAD_REQUEST;
    assert_error(
        &raw(&seltzer, "/api/command", "not json").await,
        bad,
        "bad_request",
        "not valid JSON",
    );
    assert_error(
        &raw(&seltzer, "/api/command", "[1, 2]").await,
        bad,
        "bad_request",
        "must be a JSON object",
    );
    assert_error(
        &raw(&seltzer, "/api/command", "{}").await,
        bad,
        "bad_request",
        "missing field `type`",
    );
    assert_error(
        &raw(&seltzer, "/api/query", r#"{"type": 5}"#).await,
        bad,
        "bad_request",
        "field `type` must be a string",
    );
    assert_error(
        &raw(&seltzer, "/api/command", r#"{"type": "frobnicate"}"#).await,
        bad,
        "bad_request",
        "unknown command type 'frobnicate'",
    );
    assert_error(
        &raw(&seltzer, "/api/query", r#"{"type": "sodaCoreEverything"}"#).await,
        bad,
        "bad_request",
        "unknown query type 'sodaCoreEverything'",
    );
    assert_error(
        &raw(
            &seltzer,
            "/api/command",
            r#"{"type": "login", "apiKeyId": "x"}"#,
        )
        .await,
        bad,
        "bad_request",
        "missing field `apiKeySecret`",
    );

    let login = json!({"type": "login", "apiKeyId": seltzer.key_id, "apiKeySecret": "wrong"});
    assert_error(
        &seltzer.post("/api/command", &login).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "wrong secret",
    );

    let token = seltzer.login().await;
    let good = good_orders_scan(&token, "daily", "2026-11-23T00:00:00+00:00");
    let mut no_token = good.clone();
    no_token.as_object_mut().unwrap().remove("token");
    assert_error(
        &seltzer.post("/api/command", &no_token).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "missing token",
    );
    let mut bogus = good.clone();
    bogus["token"] = json!("0000");
    assert_error(
        &seltzer.post("/api/command", &bogus).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "log in again",
    );

    let cases: [(&str, Value, &str); 6] = [
        (
            "definitionName",
            Value::Null,
            "missing field `definitionName`",
        ),
        (
            "dataTimestamp",
            json!("yesterday"),
            "dataTimestamp: 'yesterday' is not a timestamp",
        ),
        (
            "scanStartTimestamp",
            json!("2026-11-23 04:00:00"),
            "scanStartTimestamp: '2026-11-23 04:00:00' is not a timestamp",
        ),
        (
            "checks",
            json!("many"),
            "checks: invalid type: string \"many\", expected a sequence",
        ),
        (
            "metrics",
            json!([{"identity": "", "metricName": "row_count", "value": 1}]),
            "metrics[0].identity: must not be empty",
        ),
        ("hasErrors", json!("no"), "hasErrors: invalid type"),
    ];
    for (field, value, message) in cases {
        let mut doc = good.clone();
        if value.is_null() {
            doc.as_object_mut().unwrap().remove(field);
        } else {
            doc[field] = value;
        }
        assert_error(
            &seltzer.post("/api/command", &doc).await,
            bad,
            "bad_request",
            message,
        );
    }
    let mut doc = good.clone();
    doc["checks"][0]["outcome"] = json!("maybe");
    assert_error(
        &seltzer.post("/api/command", &doc).await,
        bad,
        "bad_request",
        "checks[0].outcome: unknown variant `maybe`",
    );

    let history = |filter: Value| json!({"type": "sodaCoreHistoricMeasurements", "token": token, "filter": filter});
    let mut no_filter = history(Value::Null);
    no_filter.as_object_mut().unwrap().remove("filter");
    assert_error(
        &seltzer.post("/api/query", &no_filter).await,
        bad,
        "bad_request",
        "missing field `filter`",
    );
    assert_error(
        &seltzer
            .post("/api/query", &history(json!({"type": "or"})))
            .await,
        bad,
        "bad_request",
        "filter.type: unsupported filter 'or'",
    );

    assert_error(
        &upload(&seltzer, None, "[1]\n").await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "missing token",
    );
    assert_error(
        &upload(&seltzer, Some(&token), "[1]\nnot json\n").await,
        bad,
        "bad_request",
        "line 2 of the sample file is not JSON",
    );

    nothing_written(&seltzer).await;
    // And the good document itself is accepted.
    assert_eq!(
        seltzer.post("/api/command", &good).await.status,
        StatusCode::OK
    );
}

async fn oversized_bodies_get_413(test_db: TestDb) {
    let config = IngestConfig {
        max_body_bytes: 1024,
        ..IngestConfig::default()
    };
    let seltzer = Seltzer::start(&test_db, config).await;
    let token = seltzer.login().await;
    let mut doc = good_orders_scan(&token, "daily", "2026-11-23T00:00:00+00:00");
    doc["logs"] = json!([{"level": "info", "message": "x".repeat(2000)}]);
    assert_error(
        &seltzer.post("/api/command", &doc).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "larger than 1024 bytes",
    );
    assert_error(
        &upload(&seltzer, Some(&token), &"[1]\n".repeat(1000)).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "SELTZER_MAX_BODY_BYTES",
    );
    nothing_written(&seltzer).await;
}

async fn expired_and_revoked_tokens_are_refused_at_once(test_db: TestDb) {
    let config = IngestConfig {
        token_ttl_secs: 0,
        ..IngestConfig::default()
    };
    let seltzer = Seltzer::start(&test_db, config).await;
    let expired = seltzer.login().await;
    let query = |token: &str| json!({"type": "sodaCoreCloudConfiguration", "token": token});
    // A 401 with a JSON body is what makes Soda Core log in again.
    assert_error(
        &seltzer.post("/api/query", &query(&expired)).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "expired",
    );

    // The same database, now with tokens that live a day.
    let seltzer = Seltzer::reopen(&seltzer, IngestConfig::default());
    let token = seltzer.login().await;
    assert_eq!(
        seltzer.post("/api/query", &query(&token)).await.status,
        StatusCode::OK
    );
    assert!(seltzer.db.revoke_api_key(&seltzer.key_id).await.unwrap());
    assert_error(
        &seltzer.post("/api/query", &query(&token)).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "revoked",
    );
    let login =
        json!({"type": "login", "apiKeyId": seltzer.key_id, "apiKeySecret": seltzer.secret});
    assert_eq!(
        seltzer.post("/api/command", &login).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn samples_can_be_switched_off(test_db: TestDb) {
    let config = IngestConfig {
        collect_samples: false,
        ..IngestConfig::default()
    };
    let seltzer = Seltzer::start(&test_db, config).await;
    let token = seltzer.login().await;
    let answer = seltzer
        .post(
            "/api/query",
            &json!({"type": "sodaCoreCloudConfiguration", "token": token}),
        )
        .await;
    assert_eq!(
        answer.json(),
        json!({"disableCollectingWarehouseData": true})
    );
    assert_error(
        &upload(&seltzer, Some(&token), "[1]\n").await,
        StatusCode::FORBIDDEN,
        "forbidden",
        "switched off",
    );
    nothing_written(&seltzer).await;
}

/// Many clients at once: every scan stored, no "database is locked", no lost write.
async fn concurrent_scans_are_all_stored(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let token = seltzer.login().await;
    let mut clients = tokio::task::JoinSet::new();
    for i in 0..16 {
        let doc = good_orders_scan(
            &token,
            &format!("client{}", i % 4),
            &format!("2026-11-{:02}T00:00:00+00:00", i + 1),
        );
        let app = seltzer.app.clone();
        clients.spawn(async move {
            let request = Request::post("/api/command")
                .header("content-type", "application/json")
                .body(Body::from(doc.to_string()))
                .unwrap();
            send(&app, request).await.status
        });
    }
    let statuses = clients.join_all().await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(seltzer.count("SELECT COUNT(*) FROM scans").await, 16);
    assert_eq!(
        seltzer.count("SELECT COUNT(*) FROM check_results").await,
        16
    );
    assert_eq!(seltzer.count("SELECT COUNT(*) FROM checks").await, 1);
    let latest: i64 = scalar(&seltzer.db, "SELECT latest_data_timestamp FROM checks").await;
    assert_eq!(
        latest,
        server::timestamp::parse("2026-11-16T00:00:00Z").unwrap()
    );
    crate::support::assert_consistent(&seltzer.db).await;
}

on_both_engines!(
    malformed_requests_get_a_clear_4xx_and_write_nothing,
    oversized_bodies_get_413,
    expired_and_revoked_tokens_are_refused_at_once,
    samples_can_be_switched_off,
    concurrent_scans_are_all_stored,
);
