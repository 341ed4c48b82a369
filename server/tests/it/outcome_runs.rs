//! Since when a check's outcome holds, on both engines: the run its latest result ends, the
//! latest pass, how often it changed lately; kept exact through backfills, overwrites and
//! deleted scans; and what an overwritten result replaced.

use axum::http::StatusCode;
use serde_json::{Value, json};
use server::IngestConfig;
use shared::api::Role;

use crate::support::{Seltzer, TestDb, assert_consistent, good_orders_scan, on_both_engines};

on_both_engines!(
    a_check_says_since_when_its_outcome_holds,
    an_overwritten_result_shows_what_it_replaced
);

/// Day `day` of November 2026 at 04:00 UTC.
fn day(day: u32) -> String {
    format!("2026-11-{day:02}T04:00:00Z")
}

/// One scan of the `orders` row-count check with this outcome.
async fn scan(seltzer: &Seltzer, token: &str, at: &str, outcome: &str, value: f64) -> Value {
    let mut doc = good_orders_scan(token, "daily", at);
    doc["checks"][0]["outcome"] = json!(outcome);
    doc["checks"][0]["diagnostics"]["value"] = json!(value);
    let answer = seltzer.post("/api/command", &doc).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    answer.json()
}

async fn the_check(seltzer: &Seltzer, auth: &str) -> Value {
    let list = seltzer.authorized(auth).get("/api/checks").await.json();
    assert_eq!(list["total"], 1, "{list}");
    list["items"][0].clone()
}

/// `(outcomeSince, streak, recentFlips, lastPassed)` of the check.
async fn run_of(seltzer: &Seltzer, auth: &str) -> (Value, i64, i64, Value) {
    let c = the_check(seltzer, auth).await;
    (
        c["outcomeSince"].clone(),
        c["streak"].as_i64().unwrap(),
        c["recentFlips"].as_i64().unwrap(),
        c["lastPassed"].clone(),
    )
}

async fn a_check_says_since_when_its_outcome_holds(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let token = seltzer.login().await;
    let auth = seltzer.basic_auth(Role::Viewer).await;

    // pass, fail, fail, pass, fail, fail, fail (days 1..7): failing since day 5, 3 in a row,
    // 3 changes, last passed on day 4.
    for (d, outcome) in ["pass", "fail", "fail", "pass", "fail", "fail", "fail"]
        .iter()
        .enumerate()
    {
        scan(&seltzer, &token, &day(d as u32 + 1), outcome, d as f64).await;
    }
    assert_eq!(
        run_of(&seltzer, &auth).await,
        (json!(day(5)), 3, 3, json!(day(4)))
    );
    assert_consistent(&seltzer.db).await;

    // A backfill older than the run (31 Oct, before everything) adds a change, not to the run.
    scan(&seltzer, &token, "2026-10-31T04:00:00Z", "fail", 0.0).await;
    assert_eq!(
        run_of(&seltzer, &auth).await,
        (json!(day(5)), 3, 4, json!(day(4)))
    );

    // Re-sending day 6 as a pass splits the run: failing since day 7, 1 result.
    scan(&seltzer, &token, &day(6), "pass", 6.0).await;
    assert_eq!(
        run_of(&seltzer, &auth).await,
        (json!(day(7)), 1, 6, json!(day(6)))
    );
    assert_consistent(&seltzer.db).await;

    // Deleting the day-7 scan makes day 6's pass the latest: passing since day 6.
    let editor = seltzer.basic_auth(Role::Editor).await;
    let scans = seltzer
        .authorized(&auth)
        .get("/api/scans?size=50")
        .await
        .json();
    let day7 = scans["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["dataTimestamp"] == day(7))
        .unwrap()["id"]
        .clone();
    let deleted = seltzer
        .authorized(&editor)
        .delete(format!("/api/scans/{day7}"))
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text());
    assert_eq!(
        run_of(&seltzer, &auth).await,
        (json!(day(6)), 1, 5, json!(day(6)))
    );
    assert_consistent(&seltzer.db).await;

    // The list sorts and filters on it; the CSV carries it.
    let viewer = seltzer.authorized(&auth);
    let flapping = viewer.get("/api/checks?minFlips=4").await.json();
    assert_eq!(flapping["total"], 1);
    assert_eq!(
        viewer.get("/api/checks?minFlips=7").await.json()["total"],
        0
    );
    for bad in ["/api/checks?minFlips=0", "/api/checks?minFlips=20"] {
        viewer
            .get(bad)
            .await
            .assert_refused(StatusCode::BAD_REQUEST, "minFlips");
    }
    let sorted = viewer.get("/api/checks?sort=since&order=desc").await;
    assert_eq!(sorted.status, StatusCode::OK);
    let csv = viewer.get("/api/checks.csv").await.text();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with(",outcome_since,streak,recent_flips,last_passed")
    );
    assert!(csv.contains(&format!("{},1,5,{}", day(6), day(6))), "{csv}");
}

async fn an_overwritten_result_shows_what_it_replaced(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let token = seltzer.login().await;
    let auth = seltzer.basic_auth(Role::Viewer).await;
    scan(&seltzer, &token, &day(1), "fail", 0.0).await;
    scan(&seltzer, &token, &day(1), "warn", 2.0).await;
    scan(&seltzer, &token, &day(1), "pass", 3.0).await;
    let check = the_check(&seltzer, &auth).await;
    let check_id = check["id"].as_i64().unwrap();
    let detail = seltzer
        .authorized(&auth)
        .get(format!("/api/checks/{check_id}"))
        .await
        .json();
    let result = seltzer
        .authorized(&auth)
        .get(format!("/api/check-results/{}", detail["latestResultId"]))
        .await
        .json();
    assert_eq!(result["outcome"], "pass");
    let replaced = result["replaced"].as_array().unwrap();
    let earlier: Vec<(&str, f64)> = replaced
        .iter()
        .map(|r| (r["outcome"].as_str().unwrap(), r["value"].as_f64().unwrap()))
        .collect();
    assert_eq!(earlier, [("warn", 2.0), ("fail", 0.0)], "newest first");
    assert!(replaced.iter().all(|r| r["replacedAt"].is_string()));
    // A result that replaced nothing says so with an empty list.
    scan(&seltzer, &token, &day(2), "pass", 3.0).await;
    let check = the_check(&seltzer, &auth).await;
    let detail = seltzer
        .authorized(&auth)
        .get(format!("/api/checks/{}", check["id"]))
        .await
        .json();
    let fresh = seltzer
        .authorized(&auth)
        .get(format!("/api/check-results/{}", detail["latestResultId"]))
        .await
        .json();
    assert_eq!(fresh["replaced"], json!([]));
}
