//! The dashboard's own read API: checks and their history, datasets and their samples,
//! scans.

use super::*;

on_both_engines!(
    dashboard_checks_and_history,
    dataset_detail_and_samples,
    datasets_have_one_health_and_a_filter_on_it,
    scans_list_and_detail
);

/// A dataset has one health, the worst that holds: a failed scan › failing checks › warning
/// checks › healthy (› not scanned). "The scan ran" is not healthy when its checks fail.
async fn datasets_have_one_health_and_a_filter_on_it(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    replay(&seltzer, "s01_first_scan").await;
    let auth = seltzer.basic_auth(Role::Viewer).await;
    let names = |list: &Value| -> Vec<String> {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                format!(
                    "{} {}",
                    d["name"].as_str().unwrap(),
                    d["health"].as_str().unwrap()
                )
            })
            .collect()
    };
    let viewer = seltzer.authorized(&auth);
    let list = |query: &'static str| viewer.get(format!("/api/datasets{query}"));
    let all = list("").await.json();
    assert_eq!(names(&all), ["customers failing", "orders failing"]);
    assert!(
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["status"] == "ok")
    );
    assert_eq!(names(&list("?health=failing").await.json()).len(), 2);
    assert_eq!(list("?health=healthy").await.json()["total"], 0);

    // A failed scan of both outranks their failing checks.
    replay(&seltzer, "s04_unknown_column_scan_abort").await;
    assert_eq!(
        names(&list("?health=scanFailed").await.json()),
        ["customers scanFailed", "orders scanFailed"]
    );
    assert_eq!(list("?health=failing").await.json()["total"], 0);
    list("?health=fine")
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "health 'fine'");
}

/// The dashboard's checks list (filters, sorting, paging, counts) and a check's history.
async fn dashboard_checks_and_history(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    replay(&seltzer, "s01_first_scan").await;
    replay(&seltzer, "s02_second_scan_with_history").await;
    let backfills = replay(&seltzer, "s12_history_backfill").await;
    seltzer
        .add_user("vic@example.com", Role::Viewer, PASSWORD)
        .await;
    let cookie = session_cookie(&seltzer.sign_in("vic@example.com", PASSWORD).await);
    let vic = seltzer.with_cookie(&cookie);
    let get = |path: String| vic.get(path);

    let total = seltzer.count("SELECT COUNT(*) FROM checks").await;
    let all = get("/api/checks?size=500".into()).await.json();
    assert_eq!(all["total"], total);
    let counts = &all["counts"];
    let sum: i64 = ["pass", "warn", "fail", "notEvaluated"]
        .iter()
        .map(|k| counts[*k].as_i64().unwrap())
        .sum();
    assert_eq!(sum, total);
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len() as i64, total);
    let names: Vec<&str> = items.iter().map(|c| c["name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);

    let failing = get("/api/checks?outcome=fail&size=500".into()).await.json();
    assert_eq!(failing["total"], counts["fail"]);
    assert!(
        failing["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["outcome"] == "fail")
    );
    assert_eq!(
        failing["counts"], *counts,
        "counts ignore the outcome filter"
    );
    let worst_first = get("/api/checks?sort=outcome".into()).await.json();
    assert_eq!(worst_first["items"][0]["outcome"], "fail");
    let paged = get("/api/checks?size=5&page=1".into()).await.json();
    assert_eq!(paged["items"].as_array().unwrap().len(), 5);
    assert_eq!(paged["items"][0]["name"], items[5]["name"]);

    let owned = get("/api/checks?attribute=owner%3Ddata-team".into())
        .await
        .json();
    assert!(owned["total"].as_i64().unwrap() >= 1);
    for c in owned["items"].as_array().unwrap() {
        assert!(
            c["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["name"] == "owner" && a["value"] == "data-team")
        );
    }
    let searched = get("/api/checks?search=CUSTOMERS&size=500".into())
        .await
        .json();
    assert!(searched["total"].as_i64().unwrap() >= 1);
    for c in searched["items"].as_array().unwrap() {
        let haystack = format!("{} {} {}", c["name"], c["dataset"], c["column"]).to_lowercase();
        assert!(haystack.contains("customers"), "{haystack}");
    }
    assert_eq!(
        get("/api/checks?dataSource=elsewhere".into()).await.json()["total"],
        0
    );
    let injected = get("/api/checks?search=%27%3B%20DELETE%20FROM%20checks%3B%20--".into()).await;
    assert_eq!(injected.status, StatusCode::OK);
    assert_eq!(seltzer.count("SELECT COUNT(*) FROM checks").await, total);
    for (path, message) in [
        ("/api/checks?outcome=maybe", "outcome 'maybe'"),
        ("/api/checks?size=0", "size must be"),
        ("/api/checks?sort=colour", "sort 'colour'"),
        ("/api/checks?order=up", "order 'up'"),
        ("/api/checks?attribute=owner", "name=value"),
    ] {
        get(path.into())
            .await
            .assert_refused(StatusCode::BAD_REQUEST, message);
    }
    assert_eq!(
        seltzer.anonymous().get("/api/checks").await.status,
        StatusCode::UNAUTHORIZED
    );

    // A check with 14 days of history (s12 backfills, one result a day).
    let identity = backfills.inserts[0].0["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["diagnostics"].get("fail").is_some())
        .expect("a check with a fail zone")["identity"]
        .as_str()
        .unwrap()
        .to_owned();
    let id: i64 = sqlx::query_scalar("SELECT id FROM checks WHERE identity = $1")
        .bind(&identity)
        .fetch_one(seltzer.db.pool())
        .await
        .unwrap();
    let history = get(format!("/api/checks/{id}/history")).await.json();
    let points = history["points"].as_array().unwrap();
    assert_eq!(points.len(), 14);
    assert_eq!(history["totalPoints"], 14);
    assert_eq!(history["downsampled"], false);
    let times: Vec<&str> = points
        .iter()
        .map(|p| p["dataTimestamp"].as_str().unwrap())
        .collect();
    let mut ordered = times.clone();
    ordered.sort_unstable();
    assert_eq!(times, ordered, "oldest first");
    assert!(
        points.iter().all(|p| p["fail"].is_object()),
        "the fail zone in force at each point"
    );
    let few = get(format!("/api/checks/{id}/history?maxPoints=3"))
        .await
        .json();
    assert!(few["points"].as_array().unwrap().len() <= 3);
    assert_eq!(few["downsampled"], true);
    let recent = get(format!(
        "/api/checks/{id}/history?from={}",
        times[10].replace(':', "%3A")
    ))
    .await
    .json();
    assert_eq!(recent["points"].as_array().unwrap().len(), 4);
    assert_eq!(
        get("/api/checks/999999/history".into()).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(format!("/api/checks/{id}/history?from=soon"))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );

    // The check itself: where it is defined and every identity it was sent with.
    let sent = backfills.inserts[0].0["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["identity"] == identity.as_str())
        .unwrap()
        .clone();
    let detail = get(format!("/api/checks/{id}")).await.json();
    assert_eq!(detail["check"]["id"], id);
    assert_eq!(detail["check"]["identity"], identity.as_str());
    assert_eq!(detail["definition"], sent["definition"]);
    assert_eq!(detail["line"], sent["location"]["line"]);
    assert_eq!(detail["filePath"], sent["location"]["filePath"]);
    let versions: Vec<&str> = detail["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["version"].as_str().unwrap())
        .collect();
    assert!(versions.contains(&"v3"), "{versions:?}");
    let latest = detail["latestResultId"].as_i64().unwrap();
    assert_eq!(latest, points.last().unwrap()["resultId"].as_i64().unwrap());
    assert_eq!(
        get("/api/checks/999999".into()).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get("/api/checks/x".into()).await.json()["code"],
        "not_found"
    );

    // One result, with the diagnostics Soda Core sent for it.
    let result = get(format!("/api/check-results/{latest}")).await.json();
    assert_eq!(result["checkId"], id);
    assert_eq!(result["dataTimestamp"], *times.last().unwrap());
    assert!(result["diagnostics"]["fail"].is_object(), "{result}");
    assert_eq!(result["sampleRows"], 0);
    assert_eq!(
        get("/api/check-results/999999".into()).await.status,
        StatusCode::NOT_FOUND
    );

    // Finding checks by identity (the checks editor's backtest): any version matches.
    let v1 = detail["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["version"] == "v1")
        .map(|i| i["identity"].as_str().unwrap().to_owned());
    let mut wanted = vec![identity.clone(), "no-such-identity".to_owned()];
    wanted.extend(v1);
    let found = get(format!("/api/checks?identity={}", wanted.join(",")))
        .await
        .json();
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["items"][0]["id"], id);
    let too_many = vec!["x"; 201].join(",");
    get(format!("/api/checks?identity={too_many}"))
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "identity");
}

/// A dataset's status says "scan failed" with the errors of the failing scan; its health is
/// counted per scan; failed rows come back as sent.
async fn dataset_detail_and_samples(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let first = replay(&seltzer, "s01_first_scan").await.inserts[0].1;
    replay(&seltzer, "s04_unknown_column_scan_abort").await;
    let auth = seltzer.basic_auth(Role::Viewer).await;
    let viewer = seltzer.authorized(&auth);
    let get = |path: String| viewer.get(path);
    let orders: i64 = scalar(&seltzer.db, "SELECT id FROM datasets WHERE name = 'orders'").await;
    let detail = get(format!("/api/datasets/{orders}")).await.json();
    assert_eq!(detail["name"], "orders");
    assert_eq!(detail["dataSource"], "shop");
    assert_eq!(detail["status"], "scanFailed");
    assert_eq!(detail["health"], "scanFailed");
    assert_eq!(detail["lastScan"]["definition"], "shop_errors");
    assert_eq!(detail["lastScan"]["hasErrors"], true);
    let errors = detail["scanErrors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e.as_str().unwrap().contains("no_such_column")),
        "{errors:?}"
    );
    let counts = &detail["counts"];
    let sum: i64 = ["pass", "warn", "fail", "notEvaluated"]
        .iter()
        .map(|k| counts[*k].as_i64().unwrap())
        .sum();
    let checks: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM checks WHERE dataset_id = $1")
        .bind(orders)
        .fetch_one(seltzer.db.pool())
        .await
        .unwrap();
    assert_eq!(sum, checks);
    let health = detail["healthByScan"].as_array().unwrap();
    assert_eq!(health.len(), 1, "only s01 had check results for orders");
    assert_eq!(health[0]["scanId"], first);
    let in_first: i64 = ["pass", "warn", "fail", "notEvaluated"]
        .iter()
        .map(|k| health[0][*k].as_i64().unwrap())
        .sum();
    assert_eq!(in_first, checks);

    // The datasets list says the same, for every dataset at once.
    let list = get("/api/datasets".into()).await.json();
    assert_eq!(list["total"], 2);
    let items = list["items"].as_array().unwrap();
    let names: Vec<_> = items.iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["customers", "orders"]);
    let listed = &items[1];
    assert_eq!(listed["id"], orders);
    assert_eq!(listed["status"], "scanFailed");
    assert_eq!(listed["counts"], detail["counts"]);
    assert_eq!(listed["lastScanId"], detail["lastScan"]["id"]);
    assert!(listed["lastScanTime"].as_str().unwrap().ends_with('Z'));
    assert!(listed.get("recentFailed").is_none(), "only when asked for");
    let trend = get("/api/datasets?trend=5".into()).await.json();
    let recent = trend["items"][1]["recentFailed"].as_array().unwrap();
    assert!(!recent.is_empty() && recent.len() <= 5, "{recent:?}");
    assert_eq!(recent[0], health[0]["fail"], "oldest first");
    assert_eq!(
        get("/api/datasets?trend=0".into()).await.status,
        StatusCode::BAD_REQUEST
    );
    let found = get("/api/datasets?search=ORD".into()).await.json();
    assert_eq!(found["total"], 1);
    assert_eq!(found["items"][0]["name"], "orders");
    assert_eq!(
        get("/api/datasets?size=0".into()).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get("/api/datasets/999999".into()).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get("/api/datasets/x".into()).await.json()["code"],
        "not_found"
    );

    let (result_id, file_id): (i64, String) = sqlx::query_as(
        "SELECT check_result_id, file_id FROM samples WHERE check_result_id IS NOT NULL ORDER BY file_id LIMIT 1",
    )
    .fetch_one(seltzer.db.pool())
    .await
    .unwrap();
    let samples = get(format!("/api/check-results/{result_id}/samples"))
        .await
        .json();
    let file = samples["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["fileId"] == file_id.as_str())
        .unwrap();
    let rows = file["rows"].as_array().unwrap();
    assert!(!rows.is_empty() && rows.iter().all(Value::is_array));
    let columns = file["columns"].as_array().unwrap();
    assert!(!columns.is_empty() && columns.iter().all(|c| c["name"].is_string()));
    assert_eq!(rows[0].as_array().unwrap().len(), columns.len());
    assert_eq!(
        get("/api/check-results/999999/samples".into()).await.status,
        StatusCode::NOT_FOUND
    );
    let with_samples = get(format!("/api/check-results/{result_id}")).await.json();
    let sampled: i64 = file["rows"].as_array().unwrap().len() as i64;
    assert!(with_samples["sampleRows"].as_i64().unwrap() >= sampled);
    assert_eq!(
        seltzer
            .anonymous()
            .get(format!("/api/datasets/{orders}"))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

/// The scans list with its filters, and one scan with its checks and log, errors first.
async fn scans_list_and_detail(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let ok = replay(&seltzer, "s01_first_scan").await.inserts[0].1;
    let aborted = replay(&seltzer, "s04_unknown_column_scan_abort")
        .await
        .inserts[0]
        .1;
    let errored = replay(&seltzer, "s05_check_evaluation_error").await;
    let (errored_payload, errored_id) = &errored.inserts[0];
    let auth = seltzer.basic_auth(Role::Viewer).await;
    let viewer = seltzer.authorized(&auth);
    let get = |path: String| viewer.get(path);
    let all = get("/api/scans".into()).await.json();
    assert_eq!(all["total"], 3);
    let ids: Vec<i64> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        [*errored_id, aborted, ok],
        "newest data timestamp first"
    );
    assert_eq!(all["items"][2]["definition"], "shop_daily");
    assert!(all["items"][2]["pass"].as_i64().unwrap() > 0);
    assert_eq!(
        get("/api/scans?failed=true".into()).await.json()["total"],
        2
    );
    assert_eq!(
        get("/api/scans?failed=false".into()).await.json()["items"][0]["id"],
        ok
    );
    assert_eq!(
        get("/api/scans?definition=shop_daily".into()).await.json()["total"],
        1
    );
    let customers: i64 = scalar(
        &seltzer.db,
        "SELECT id FROM datasets WHERE name = 'customers'",
    )
    .await;
    let of_customers = get(format!("/api/scans?datasetId={customers}"))
        .await
        .json();
    assert!(of_customers["total"].as_i64().unwrap() >= 2);
    assert_eq!(
        get("/api/scans?from=2030-01-01T00:00:00Z".into())
            .await
            .json()["total"],
        0
    );

    let detail = get(format!("/api/scans/{errored_id}")).await.json();
    assert_eq!(detail["scan"]["hasErrors"], true);
    assert_eq!(
        detail["checks"].as_array().unwrap().len(),
        errored_payload["checks"].as_array().unwrap().len()
    );
    let logs = detail["logs"].as_array().unwrap();
    assert_eq!(
        logs.len(),
        errored_payload["logs"].as_array().unwrap().len()
    );
    assert_eq!(
        logs[0]["level"], "error",
        "errors first when the scan failed"
    );
    assert_eq!(logs[0]["location"]["line"], 6);
    let only_errors = get(format!("/api/scans/{errored_id}?level=error"))
        .await
        .json();
    assert!(
        only_errors["logs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["level"] == "error")
    );
    let in_order = get(format!("/api/scans/{ok}")).await.json();
    let indexes: Vec<i64> = in_order["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["index"].as_i64().unwrap())
        .collect();
    assert!(
        indexes.windows(2).all(|w| w[0] < w[1]),
        "a good scan's log stays in order"
    );

    for (path, message) in [
        ("/api/scans?failed=maybe".to_owned(), "failed 'maybe'"),
        ("/api/scans?size=1000".to_owned(), "size must be"),
        (format!("/api/scans/{ok}?level=loud"), "level 'loud'"),
    ] {
        get(path)
            .await
            .assert_refused(StatusCode::BAD_REQUEST, message);
    }
    assert_eq!(
        get("/api/scans/424242".into()).await.status,
        StatusCode::NOT_FOUND
    );

    // Each check's value says what it measures: freshness in milliseconds, percentages.
    let first = get(format!("/api/scans/{ok}")).await.json();
    let unit_of = |name: &str| {
        first["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no check {name}"))["unit"]
            .clone()
    };
    assert_eq!(unit_of("freshness(created_at) < 1d"), "milliseconds");
    assert_eq!(unit_of("row_count > 0"), "number");
    let percents = first["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["unit"] == "percent")
        .count();
    assert!(percents > 0, "{first}");
}
