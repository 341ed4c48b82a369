//! Soda Core's protocol, replayed from the captured traffic of real Soda Core 3.5.6 runs
//! (`tests/data/soda-core-3.5.6/`), on both engines: what is stored must match the payloads.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use server::IngestConfig;
use sqlx::Row;

use crate::support::{
    Seltzer, TestDb, fixture_dir, good_orders_scan, on_both_engines, replay, send,
};

/// Asserts that what Seltzer stored for a scan is what the payload said.
async fn assert_stored(seltzer: &Seltzer, payload: &Value, scan_id: i64) {
    let pool = seltzer.db.pool();
    let checks: Vec<&Value> = payload["checks"]
        .as_array()
        .unwrap()
        .iter()
        .chain(
            payload["automatedMonitoringChecks"]
                .as_array()
                .into_iter()
                .flatten(),
        )
        .collect();
    let rows = sqlx::query(
        "SELECT c.identity, cr.outcome, cr.value, cr.name, cr.diagnostics FROM check_results cr \
         JOIN checks c ON c.id = cr.check_id WHERE cr.scan_id = $1",
    )
    .bind(scan_id)
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(
        rows.len(),
        checks.len(),
        "one result per check of the payload"
    );
    type Stored = (Option<String>, Option<f64>, String, String);
    let stored: HashMap<String, Stored> = rows
        .iter()
        .map(|r| {
            (
                r.try_get::<String, _>(0).unwrap(),
                (
                    r.try_get(1).unwrap(),
                    r.try_get(2).unwrap(),
                    r.try_get(3).unwrap(),
                    r.try_get(4).unwrap(),
                ),
            )
        })
        .collect();
    for check in &checks {
        let identity = check["identities"]["v4"]
            .as_str()
            .unwrap_or_else(|| check["identity"].as_str().unwrap());
        let (outcome, value, name, diagnostics) = stored
            .get(identity)
            .unwrap_or_else(|| panic!("{identity} stored"));
        let diagnostics: Value = serde_json::from_str(diagnostics).unwrap();
        let sent = check.get("diagnostics").cloned().unwrap_or(json!({}));
        assert_eq!(diagnostics, sent, "{identity} diagnostics");
        assert_eq!(
            outcome.as_deref(),
            check["outcome"].as_str(),
            "{identity} outcome"
        );
        assert_eq!(
            *value,
            check["diagnostics"]["value"].as_f64(),
            "{identity} value"
        );
        assert_eq!(name, check["name"].as_str().unwrap());
    }

    let measurements: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM measurements WHERE scan_id = $1")
            .bind(scan_id)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(
        measurements as usize,
        payload["metrics"].as_array().unwrap().len()
    );

    let references: Vec<&str> = checks
        .iter()
        .flat_map(|c| c["diagnostics"]["blocks"].as_array().into_iter().flatten())
        .filter_map(|b| b["file"]["reference"]["fileId"].as_str())
        .filter(|id| !id.is_empty())
        .collect();
    for file_id in &references {
        let linked: Option<i64> = sqlx::query_scalar(
            "SELECT s.check_result_id FROM samples s JOIN check_results cr ON cr.id = s.check_result_id \
             WHERE s.file_id = $1 AND cr.scan_id = $2",
        )
        .bind(*file_id)
        .bind(scan_id)
        .fetch_optional(pool)
        .await
        .unwrap();
        assert!(
            linked.is_some(),
            "sample {file_id} is linked to its check result"
        );
    }

    let errors = payload["logs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["level"] == "error");
    let (has_errors, logs, stored_payload): (i64, String, String) =
        sqlx::query_as("SELECT has_errors, logs, payload FROM scans WHERE id = $1")
            .bind(scan_id)
            .fetch_one(pool)
            .await
            .unwrap();
    let has_errors = has_errors != 0;
    assert_eq!(
        has_errors,
        payload["hasErrors"].as_bool().unwrap() || errors
    );
    assert_eq!(
        serde_json::from_str::<Value>(&logs).unwrap(),
        payload["logs"]
    );
    let mut expected = payload.clone();
    expected.as_object_mut().unwrap().remove("token");
    assert_eq!(
        serde_json::from_str::<Value>(&stored_payload).unwrap(),
        expected,
        "payload kept, token dropped"
    );
    if has_errors {
        let healthy: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM datasets d JOIN scan_datasets sd ON sd.dataset_id = d.id \
             WHERE sd.scan_id = $1 AND d.last_scan_id = $1 AND d.last_scan_failed = 0",
        )
        .bind(scan_id)
        .fetch_one(pool)
        .await
        .unwrap();
        assert_eq!(healthy, 0, "datasets whose last scan failed say so");
    }
}

/// Every captured scenario, replayed into one database in turn, stores what it sent.
async fn every_captured_scenario_is_stored_as_sent(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let mut scenarios: Vec<String> = std::fs::read_dir(fixture_dir(""))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().join("requests").is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    scenarios.sort();
    let mut inserts = 0;
    for scenario in &scenarios {
        let replayed = replay(&seltzer, scenario).await;
        for (payload, scan_id) in &replayed.inserts {
            assert_stored(&seltzer, payload, *scan_id).await;
            inserts += 1;
        }
    }
    assert!(inserts >= 30, "{inserts} inserts replayed");
    assert_eq!(seltzer.count("SELECT COUNT(*) FROM scans").await, inserts);
    crate::support::assert_consistent(&seltzer.db).await;
}

/// s12 builds 14 days of history with `-t`; Soda Core then reads it newest first.
async fn history_comes_back_newest_first(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let replayed = replay(&seltzer, "s12_history_backfill").await;
    assert_eq!(replayed.inserts.len(), 14);
    let identity = replayed.inserts[0].0["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metricName"] == "row_count")
        .unwrap()["identity"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = seltzer.login().await;
    let answer = seltzer
        .post(
            "/api/query",
            &json!({"type": "sodaCoreHistoricMeasurements", "token": token, "filter": {"type": "and",
                "andExpressions": [{"type": "equals", "left": {"type": "columnValue", "columnName": "metric.identity"},
                "right": {"type": "string", "value": identity}}]}}),
        )
        .await;
    let results = answer.json()["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), 14);
    let times: Vec<&str> = results
        .iter()
        .map(|r| r["dataTime"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted, "newest data time first");
    for r in &results {
        assert_eq!(r["identity"], identity.as_str());
        assert!(r["value"].is_number());
        assert!(r["id"].is_string());
    }
    // The anomaly check's results come back by its v1 identity, joined to their measurement.
    let anomaly = replayed.inserts.last().unwrap().0["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "anomalyDetection")
        .cloned();
    if let Some(check) = anomaly {
        let v1 = check["identities"]["v1"].as_str().unwrap();
        let answer = seltzer
            .post(
                "/api/query",
                &json!({"type": "sodaCoreHistoricCheckResults", "token": token, "limit": 1000, "filter": {"type": "and",
                    "andExpressions": [{"type": "equals", "left": {"type": "columnValue", "columnName": "check.identity"},
                    "right": {"type": "string", "value": v1}}]}}),
            )
            .await;
        let results = answer.json()["results"].as_array().unwrap().clone();
        assert!(!results.is_empty(), "check results found by v1 identity");
        assert!(results.iter().all(|r| r["measurementId"].is_string()));
    }
}

/// The same definition and data timestamp sent twice: the second replaces the first, and the
/// audit table remembers what was replaced.
async fn a_resent_scan_overwrites_and_is_audited(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let first = replay(&seltzer, "s01_first_scan").await;
    let results_before = seltzer.count("SELECT COUNT(*) FROM check_results").await;
    let second = replay(&seltzer, "s01_first_scan").await;
    let (old_id, new_id) = (first.inserts[0].1, second.inserts[0].1);
    assert_ne!(old_id, new_id);
    assert_eq!(seltzer.count("SELECT COUNT(*) FROM scans").await, 1);
    assert_eq!(
        seltzer.count("SELECT COUNT(*) FROM check_results").await,
        results_before
    );
    let (old, new, old_results): (i64, i64, String) =
        sqlx::query_as("SELECT old_scan_id, new_scan_id, old_results FROM scan_overwrites")
            .fetch_one(seltzer.db.pool())
            .await
            .unwrap();
    assert_eq!((old, new), (old_id, new_id));
    let old_results: Value = serde_json::from_str(&old_results).unwrap();
    assert_eq!(old_results.as_array().unwrap().len() as i64, results_before);
    let stale: i64 = seltzer
        .count("SELECT COUNT(*) FROM checks WHERE latest_scan_id IS NOT NULL AND latest_scan_id NOT IN (SELECT id FROM scans)")
        .await;
    assert_eq!(stale, 0, "latest results point at the surviving scan");
    assert_stored(&seltzer, &second.inserts[0].0, new_id).await;
    crate::support::assert_consistent(&seltzer.db).await;
}

/// A backfill (s03, data timestamp in 2021) arrives after today's scan (s01): it joins the
/// history but the latest result of each check stays today's.
async fn a_backfill_never_displaces_the_latest_result(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let today = replay(&seltzer, "s01_first_scan").await.inserts[0].1;
    let backfill = replay(&seltzer, "s03_data_timestamp_backfill")
        .await
        .inserts[0]
        .1;
    let displaced: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM checks c WHERE c.latest_scan_id = $1 \
         AND EXISTS (SELECT 1 FROM check_results r WHERE r.check_id = c.id AND r.scan_id = $2)",
    )
    .bind(backfill)
    .bind(today)
    .fetch_one(seltzer.db.pool())
    .await
    .unwrap();
    let in_both: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM checks c \
         WHERE EXISTS (SELECT 1 FROM check_results r WHERE r.check_id = c.id AND r.scan_id = $1) \
         AND EXISTS (SELECT 1 FROM check_results r WHERE r.check_id = c.id AND r.scan_id = $2)",
    )
    .bind(today)
    .bind(backfill)
    .fetch_one(seltzer.db.pool())
    .await
    .unwrap();
    assert!(in_both > 20, "the two scans share most checks ({in_both})");
    assert_eq!(
        displaced, 0,
        "no check reported today has the backfill as its latest result"
    );
    let status: Vec<i64> = sqlx::query_scalar(
        "SELECT d.last_scan_id FROM datasets d JOIN scan_datasets sd ON sd.dataset_id = d.id \
         WHERE sd.scan_id = $1",
    )
    .bind(today)
    .fetch_all(seltzer.db.pool())
    .await
    .unwrap();
    assert!(!status.is_empty() && status.iter().all(|scan| *scan == today));
}

/// A check re-sent unchanged is not rewritten; one whose description or identities changed is,
/// unless the scan is a backfill, whose identities are indexed all the same. One changed in the
/// database by someone else is rewritten too: the comparison is with the database, never with
/// a copy kept in memory.
async fn checks_are_rewritten_only_when_they_change(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let token = seltzer.login().await;
    async fn send(seltzer: &Seltzer, body: Value) {
        let answer = seltzer.post("/api/command", &body).await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
    }
    async fn check(seltzer: &Seltzer) -> (String, Option<String>, i64) {
        sqlx::query_as("SELECT name, digest, (SELECT COUNT(*) FROM check_identities) FROM checks")
            .fetch_one(seltzer.db.pool())
            .await
            .unwrap()
    }
    send(
        &seltzer,
        good_orders_scan(&token, "d", "2026-11-10T00:00:00+00:00"),
    )
    .await;
    let (name, first_digest, identities) = check(&seltzer).await;
    assert_eq!((name.as_str(), identities), ("row_count > 0", 3));
    assert!(first_digest.is_some());

    send(
        &seltzer,
        good_orders_scan(&token, "d", "2026-11-11T00:00:00+00:00"),
    )
    .await;
    assert_eq!(check(&seltzer).await.1, first_digest, "unchanged");

    // Changed behind this Seltzer's back (another process on the same file, a hand-made fix):
    // the next scan rewrites it.
    sqlx::query("UPDATE checks SET digest = NULL")
        .execute(seltzer.db.pool())
        .await
        .unwrap();
    send(
        &seltzer,
        good_orders_scan(&token, "d", "2026-11-11T12:00:00+00:00"),
    )
    .await;
    assert_eq!(check(&seltzer).await.1, first_digest, "rewritten");

    let mut renamed = good_orders_scan(&token, "d", "2026-11-12T00:00:00+00:00");
    renamed["checks"][0]["name"] = json!("orders are not empty");
    renamed["checks"][0]["identities"]["v1"] = json!("1b");
    send(&seltzer, renamed).await;
    let (name, digest, identities) = check(&seltzer).await;
    assert_eq!((name.as_str(), identities), ("orders are not empty", 4));
    assert_ne!(digest, first_digest);

    let mut backfill = good_orders_scan(&token, "d", "2026-10-01T00:00:00+00:00");
    backfill["checks"][0]["name"] = json!("an old name");
    backfill["checks"][0]["identities"]["v1"] = json!("1-old");
    send(&seltzer, backfill).await;
    let (name, _, identities) = check(&seltzer).await;
    assert_eq!(
        name, "orders are not empty",
        "a backfill keeps the newer description"
    );
    assert_eq!(identities, 5, "but its identity is indexed");
}

async fn orders_status(seltzer: &Seltzer) -> (i64, bool) {
    let (scan, failed): (i64, i64) =
        sqlx::query_as("SELECT last_scan_id, last_scan_failed FROM datasets WHERE name = 'orders'")
            .fetch_one(seltzer.db.pool())
            .await
            .unwrap();
    (scan, failed != 0)
}

/// A scan that aborted (s04) marks its datasets "scan failed" until a later successful scan.
async fn a_failed_scan_marks_its_datasets_until_a_later_success(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let failed = replay(&seltzer, "s04_unknown_column_scan_abort")
        .await
        .inserts[0]
        .1;
    assert_eq!(orders_status(&seltzer).await, (failed, true));
    // s05, a later scan, could not evaluate one check: still a failed scan.
    let failed_again = replay(&seltzer, "s05_check_evaluation_error").await.inserts[0].1;
    assert_eq!(orders_status(&seltzer).await, (failed_again, true));
    // An older successful scan (a backfill) does not clear it; a newer one does.
    let token = seltzer.login().await;
    let older = good_orders_scan(&token, "shop_errors", "2026-11-01T00:00:00+00:00");
    assert_eq!(
        seltzer.post("/api/command", &older).await.status,
        StatusCode::OK
    );
    assert_eq!(orders_status(&seltzer).await, (failed_again, true));
    let newer = good_orders_scan(&token, "shop_errors", "2026-11-24T00:00:00+00:00");
    let answer = seltzer.post("/api/command", &newer).await;
    let ok: i64 = answer.json()["scanId"].as_str().unwrap().parse().unwrap();
    assert_eq!(orders_status(&seltzer).await, (ok, false));
}

/// A data source that cannot be reached names no table; the datasets the same scan definition
/// covered last time are marked instead.
async fn an_unreachable_data_source_marks_the_definitions_datasets(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let token = seltzer.login().await;
    let good = good_orders_scan(&token, "shop_broken", "2026-11-22T04:00:00+00:00");
    assert_eq!(
        seltzer.post("/api/command", &good).await.status,
        StatusCode::OK
    );
    let broken = replay(&seltzer, "s07_broken_data_source").await.inserts[0].1;
    assert_eq!(orders_status(&seltzer).await, (broken, true));
}

/// Behind a TLS proxy that says so (`X-Forwarded-Proto: https`), the scan's link is https.
async fn scan_links_follow_the_proxy_scheme(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let token = seltzer.login().await;
    for (proto, scheme) in [(None, "http://"), (Some("https"), "https://")] {
        let scan = good_orders_scan(&token, "daily", "2026-11-20T00:00:00+00:00");
        let mut request = Request::post("/api/command")
            .header("content-type", "application/json")
            .header("host", "seltzer.example");
        if let Some(proto) = proto {
            request = request.header("x-forwarded-proto", proto);
        }
        let answer = send(
            &seltzer.app,
            request.body(Body::from(scan.to_string())).unwrap(),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK);
        let url = answer.json()["cloudUrl"].as_str().unwrap().to_owned();
        assert!(
            url.starts_with(&format!("{scheme}seltzer.example/scans/")),
            "{url}"
        );
    }
}

on_both_engines!(
    scan_links_follow_the_proxy_scheme,
    every_captured_scenario_is_stored_as_sent,
    history_comes_back_newest_first,
    a_resent_scan_overwrites_and_is_audited,
    a_backfill_never_displaces_the_latest_result,
    a_failed_scan_marks_its_datasets_until_a_later_success,
    an_unreachable_data_source_marks_the_definitions_datasets,
    checks_are_rewritten_only_when_they_change,
);
