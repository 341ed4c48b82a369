//! The Soda Cloud v1-compatible API: checks, datasets, scans (read and delete).

use super::*;

on_both_engines!(v1_api_answers_like_soda_cloud, v1_scans_read_and_delete);

async fn v1_api_answers_like_soda_cloud(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    replay(&seltzer, "s01_first_scan").await;
    replay(&seltzer, "s04_unknown_column_scan_abort").await;
    let key = seltzer
        .db
        .create_api_key("script", Role::Viewer)
        .await
        .unwrap();
    let auth = basic(&key.id, &key.secret);
    let viewer = seltzer.authorized(&auth);
    let get = |path: &str| viewer.get(path.to_owned());

    assert_eq!(
        get("/api/v1/test-login").await.json(),
        json!({"organisationName": "Seltzer"})
    );
    for path in ["/api/v1/test-login", "/api/v1/checks", "/api/v1/datasets"] {
        let anonymous = seltzer.anonymous().get(path).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{path}");
        let wrong_secret = basic(&key.id, "nope");
        let wrong = seltzer.authorized(&wrong_secret).get(path).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{path}");
    }

    let total = seltzer.count("SELECT COUNT(*) FROM checks").await;
    let first = get("/api/v1/checks").await.json();
    assert_eq!(first["totalElements"], total);
    assert_eq!(first["size"], 10);
    assert_eq!(first["number"], 0);
    assert_eq!(first["first"], true);
    assert_eq!(first["totalPages"], (total + 9) / 10);
    let content = first["content"].as_array().unwrap();
    assert_eq!(content.len(), 10);
    let names: Vec<&str> = content
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "sorted by name");
    for check in content {
        assert!(
            ["pass", "warn", "fail", "notEvaluated"]
                .contains(&check["evaluationStatus"].as_str().unwrap())
        );
        assert!(
            check["cloudUrl"]
                .as_str()
                .unwrap()
                .starts_with("http://localhost/checks/")
        );
        assert!(check["createdAt"].is_string() && check["incidents"].is_array());
    }
    let attributed = get("/api/v1/checks?size=1000").await.json();
    let with_owner = attributed["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["attributes"]["owner"] == "data-team")
        .expect("a check with attributes");
    assert_eq!(with_owner["attributes"]["priority"], "2");
    let dataset_name = with_owner["datasets"][0]["name"].as_str().unwrap();
    assert!(
        ["orders", "customers"].contains(&dataset_name),
        "{dataset_name}"
    );

    let last_page = get(&format!("/api/v1/checks?page={}", (total + 9) / 10 - 1))
        .await
        .json();
    assert_eq!(last_page["last"], true);
    let beyond = get("/api/v1/checks?page=999").await.json();
    assert_eq!(beyond["content"], json!([]));
    let dataset_id = with_owner["datasets"][0]["id"].as_str().unwrap();
    let of_dataset = get(&format!("/api/v1/checks?size=1000&datasetId={dataset_id}"))
        .await
        .json();
    assert!(
        of_dataset["content"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["datasets"][0]["name"] == dataset_name)
    );
    let two: Vec<&str> = content
        .iter()
        .take(2)
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let by_ids = get(&format!("/api/v1/checks?checkIds={}", two.join(",")))
        .await
        .json();
    assert_eq!(by_ids["totalElements"], 2);

    for (path, message) in [
        (
            "/api/v1/checks?size=5",
            "size must be an integer from 10 to 1000",
        ),
        ("/api/v1/checks?size=abc", "size must be"),
        ("/api/v1/checks?page=-1", "page must be"),
        ("/api/v1/checks?checkIds=1&page=2", "cannot be combined"),
        (
            "/api/v1/checks?checkIds=1;DROP%20TABLE%20checks",
            "comma-separated list",
        ),
        ("/api/v1/datasets?from=yesterday", "from:"),
    ] {
        get(path)
            .await
            .assert_refused(StatusCode::BAD_REQUEST, message);
    }
    let long = format!("/api/v1/datasets?search={}", "x".repeat(300));
    assert_eq!(get(&long).await.status, StatusCode::BAD_REQUEST);

    let datasets = get("/api/v1/datasets?size=100").await.json();
    let orders = datasets["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "orders")
        .unwrap();
    assert_eq!(orders["datasource"]["name"], "shop");
    assert_eq!(
        orders["lastScanFailed"], true,
        "s04 aborted on orders after s01"
    );
    assert!(orders["checks"].as_i64().unwrap() > 0);
    let searched = get("/api/v1/datasets?search=ORD").await.json();
    assert!(
        searched["content"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["name"].as_str().unwrap().contains("ord"))
    );
    assert!(searched["totalElements"].as_i64().unwrap() >= 1);
    let injected = get("/api/v1/datasets?search=%25'%20OR%201%3D1%20--").await;
    assert_eq!(injected.status, StatusCode::OK);
    assert_eq!(injected.json()["totalElements"], 0);
    assert_eq!(
        get("/api/v1/datasets?datasourceName=elsewhere")
            .await
            .json()["totalElements"],
        0
    );
    assert_eq!(
        seltzer.count("SELECT COUNT(*) FROM checks").await,
        total,
        "nothing dropped"
    );
}

/// `/api/v1/scans/{id}` and its logs; deleting needs an editor and rolls checks and datasets
/// back to the scans that remain.
async fn v1_scans_read_and_delete(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let first = replay(&seltzer, "s01_first_scan").await.inserts[0].1;
    let second = replay(&seltzer, "s02_second_scan_with_history").await;
    let (payload, latest) = &second.inserts[0];
    let (as_viewer, as_editor) = (
        seltzer.basic_auth(Role::Viewer).await,
        seltzer.basic_auth(Role::Editor).await,
    );
    let (viewer, editor) = (
        seltzer.authorized(&as_viewer),
        seltzer.authorized(&as_editor),
    );

    let scan = viewer.get(format!("/api/v1/scans/{latest}")).await.json();
    assert_eq!(scan["id"], latest.to_string());
    assert_eq!(scan["scanDefinition"]["name"], "shop_daily");
    assert_eq!(scan["state"], "completedWithFailures");
    assert_eq!(
        scan["checks"].as_array().unwrap().len(),
        payload["checks"].as_array().unwrap().len()
    );
    assert_eq!(scan["scanTime"], "2026-11-23T04:23:11Z");
    assert!(scan["failures"].as_i64().unwrap() > 0);

    let log_count = payload["logs"].as_array().unwrap().len() as i64;
    let logs = viewer
        .get(format!("/api/v1/scans/{latest}/logs?size=10&page=1"))
        .await
        .json();
    assert_eq!(logs["totalElements"], log_count);
    let content = logs["content"].as_array().unwrap();
    assert_eq!(content.len() as i64, (log_count - 10).clamp(0, 10));
    assert_eq!(content[0]["message"], payload["logs"][10]["message"]);
    assert!(content[0]["level"].is_string() && content[0]["timestamp"].is_string());

    for missing in [
        "/api/v1/scans/999999",
        "/api/v1/scans/abc",
        "/api/v1/scans/abc/logs",
    ] {
        let answer = viewer.get(missing).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{missing}");
        assert_eq!(answer.json()["code"], "not_found");
    }

    // Soda Cloud's DELETE cancels a scan: a finished one answers 400 and stays.
    let v1_path = format!("/api/v1/scans/{latest}");
    let refused = editor.delete(&v1_path).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.text().contains("DELETE /api/scans/"),
        "{}",
        refused.text()
    );
    assert_eq!(seltzer.count("SELECT COUNT(*) FROM scans").await, 2);
    // Seltzer's own API deletes its results (editors).
    let path = format!("/api/scans/{latest}");
    viewer
        .delete(&path)
        .await
        .assert_refused(StatusCode::FORBIDDEN, "editor");
    assert_eq!(seltzer.count("SELECT COUNT(*) FROM scans").await, 2);
    assert_eq!(editor.delete(&path).await.status, StatusCode::OK);
    assert_eq!(viewer.get(&v1_path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(editor.delete(&path).await.status, StatusCode::NOT_FOUND);
    // Checks s01 also reported have s01's result as their latest again; nothing points at the
    // deleted scan.
    let stale = seltzer.count("SELECT COUNT(*) FROM checks WHERE latest_scan_id IS NOT NULL AND latest_scan_id NOT IN (SELECT id FROM scans)").await;
    assert_eq!(stale, 0);
    let from_first: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM checks WHERE latest_scan_id = $1")
            .bind(first)
            .fetch_one(seltzer.db.pool())
            .await
            .unwrap();
    assert_eq!(
        from_first,
        seltzer
            .count("SELECT COUNT(DISTINCT check_id) FROM check_results")
            .await
    );
    let datasets_on_first: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM datasets WHERE last_scan_id = $1")
            .bind(first)
            .fetch_one(seltzer.db.pool())
            .await
            .unwrap();
    assert!(datasets_on_first > 0);
    assert_eq!(seltzer.count("SELECT COUNT(*) FROM datasets WHERE last_scan_id IS NOT NULL AND last_scan_id NOT IN (SELECT id FROM scans)").await, 0);
}
