//! Sign-in, sessions, roles, and the Soda Cloud v1-compatible read API, on both engines.

use axum::body::Body;
use axum::http::header::SET_COOKIE;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use server::IngestConfig;
use shared::api::Role;

use crate::support::{Answer, TestDb, basic, on_both_engines, send};

use super::ingest::{Seltzer, replay};

const PASSWORD: &str = "correct horse battery staple";

async fn request(
    seltzer: &Seltzer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Answer {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let body = match body {
        Some(json) => {
            builder = builder.header("content-type", "application/json");
            Body::from(json.to_string())
        }
        None => Body::empty(),
    };
    send(&seltzer.app, builder.body(body).unwrap()).await
}

async fn sign_in(seltzer: &Seltzer, email: &str, password: &str) -> Answer {
    request(
        seltzer,
        "POST",
        "/api/auth/login",
        &[],
        Some(json!({"email": email, "password": password})),
    )
    .await
}

fn session_cookie(answer: &Answer) -> String {
    let set = answer.header(&SET_COOKIE).to_owned();
    set.split(';').next().unwrap().to_owned()
}

async fn sessions_follow_sign_in_and_sign_out(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    assert!(
        seltzer
            .db
            .create_user("ada@example.com", Role::Admin, PASSWORD)
            .await
            .unwrap()
    );
    assert!(
        seltzer
            .db
            .create_user("vic@example.com", Role::Viewer, PASSWORD)
            .await
            .unwrap()
    );

    let wrong = sign_in(&seltzer, "ada@example.com", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.json()["code"], "unauthorized");
    assert!(wrong.header(&SET_COOKIE).is_empty());
    let unknown = sign_in(&seltzer, "nobody@example.com", PASSWORD).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        unknown.json()["message"],
        wrong.json()["message"],
        "no hint which emails exist"
    );

    let ok = sign_in(&seltzer, "Ada@Example.com", PASSWORD).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(
        ok.json(),
        json!({"email": "ada@example.com", "apiKeyId": null, "role": "admin"})
    );
    let set_cookie = ok.header(&SET_COOKIE).to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let cookie = session_cookie(&ok);

    let me = request(
        &seltzer,
        "GET",
        "/api/auth/me",
        &[("cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(me.json()["email"], "ada@example.com");
    assert_eq!(
        request(&seltzer, "GET", "/api/auth/me", &[], None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    // A mutating request carried by the cookie alone, from another site: refused (CSRF).
    let forged = request(
        &seltzer,
        "POST",
        "/api/auth/logout",
        &[("cookie", &cookie), ("origin", "https://evil.example")],
        None,
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let no_origin = request(
        &seltzer,
        "POST",
        "/api/auth/logout",
        &[("cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(no_origin.status, StatusCode::FORBIDDEN);
    let out = request(
        &seltzer,
        "POST",
        "/api/auth/logout",
        &[("cookie", &cookie), ("origin", "http://localhost")],
        None,
    )
    .await;
    assert_eq!(out.status, StatusCode::OK);
    assert!(out.header(&SET_COOKIE).contains("Max-Age=0"));
    let after = request(
        &seltzer,
        "GET",
        "/api/auth/me",
        &[("cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);

    // Disabling a user ends their sessions and their sign-ins.
    let vic = session_cookie(&sign_in(&seltzer, "vic@example.com", PASSWORD).await);
    assert!(seltzer.db.disable_user("vic@example.com").await.unwrap());
    assert_eq!(
        request(&seltzer, "GET", "/api/auth/me", &[("cookie", &vic)], None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sign_in(&seltzer, "vic@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let stored: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE email = 'ada@example.com'")
            .fetch_one(seltzer.db.pool())
            .await
            .unwrap();
    assert!(stored.starts_with("$argon2") && !stored.contains(PASSWORD));
}

async fn failed_sign_ins_are_throttled_per_account(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    assert!(
        seltzer
            .db
            .create_user("ada@example.com", Role::Admin, PASSWORD)
            .await
            .unwrap()
    );
    for _ in 0..5 {
        assert_eq!(
            sign_in(&seltzer, "ada@example.com", "guess").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let throttled = sign_in(&seltzer, "ada@example.com", PASSWORD).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        throttled.json()["message"]
            .as_str()
            .unwrap()
            .contains("15 minutes")
    );
}

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
    let get = |path: &str| {
        let auth = auth.clone();
        let path = path.to_owned();
        let seltzer = &seltzer;
        async move { request(seltzer, "GET", &path, &[("authorization", &auth)], None).await }
    };

    assert_eq!(
        get("/api/v1/test-login").await.json(),
        json!({"organisationName": "Seltzer"})
    );
    for path in ["/api/v1/test-login", "/api/v1/checks", "/api/v1/datasets"] {
        let anonymous = request(&seltzer, "GET", path, &[], None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{path}");
        let wrong = request(
            &seltzer,
            "GET",
            path,
            &[("authorization", &basic(&key.id, "nope"))],
            None,
        )
        .await;
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
        let answer = get(path).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path}");
        assert!(
            answer.json()["message"].as_str().unwrap().contains(message),
            "{path}: {}",
            answer.json()
        );
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
    let viewer = seltzer
        .db
        .create_api_key("reader", Role::Viewer)
        .await
        .unwrap();
    let editor = seltzer
        .db
        .create_api_key("cleaner", Role::Editor)
        .await
        .unwrap();
    let (as_viewer, as_editor) = (
        basic(&viewer.id, &viewer.secret),
        basic(&editor.id, &editor.secret),
    );

    let scan = request(
        &seltzer,
        "GET",
        &format!("/api/v1/scans/{latest}"),
        &[("authorization", &as_viewer)],
        None,
    )
    .await
    .json();
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
    let logs = request(
        &seltzer,
        "GET",
        &format!("/api/v1/scans/{latest}/logs?size=10&page=1"),
        &[("authorization", &as_viewer)],
        None,
    )
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
        let answer = request(
            &seltzer,
            "GET",
            missing,
            &[("authorization", &as_viewer)],
            None,
        )
        .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{missing}");
        assert_eq!(answer.json()["code"], "not_found");
    }

    let path = format!("/api/v1/scans/{latest}");
    let denied = request(
        &seltzer,
        "DELETE",
        &path,
        &[("authorization", &as_viewer)],
        None,
    )
    .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert!(
        denied.json()["message"]
            .as_str()
            .unwrap()
            .contains("editor")
    );
    assert_eq!(seltzer.count("SELECT COUNT(*) FROM scans").await, 2);
    let deleted = request(
        &seltzer,
        "DELETE",
        &path,
        &[("authorization", &as_editor)],
        None,
    )
    .await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(
        request(
            &seltzer,
            "GET",
            &path,
            &[("authorization", &as_viewer)],
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        request(
            &seltzer,
            "DELETE",
            &path,
            &[("authorization", &as_editor)],
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
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

/// The dashboard's checks list (filters, sorting, paging, counts) and a check's history.
async fn dashboard_checks_and_history(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    replay(&seltzer, "s01_first_scan").await;
    replay(&seltzer, "s02_second_scan_with_history").await;
    let backfills = replay(&seltzer, "s12_history_backfill").await;
    assert!(
        seltzer
            .db
            .create_user("vic@example.com", Role::Viewer, PASSWORD)
            .await
            .unwrap()
    );
    let cookie = session_cookie(&sign_in(&seltzer, "vic@example.com", PASSWORD).await);
    let get = |path: String| {
        let cookie = cookie.clone();
        let seltzer = &seltzer;
        async move { request(seltzer, "GET", &path, &[("cookie", &cookie)], None).await }
    };

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
        let answer = get(path.into()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path}");
        assert!(
            answer.json()["message"].as_str().unwrap().contains(message),
            "{path}"
        );
    }
    assert_eq!(
        request(&seltzer, "GET", "/api/checks", &[], None)
            .await
            .status,
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
    let answer = get(format!("/api/checks?identity={too_many}")).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer.json()["message"]
            .as_str()
            .unwrap()
            .contains("identity")
    );
}

/// A dataset's status says "scan failed" with the errors of the failing scan; its health is
/// counted per scan; failed rows come back as sent.
async fn dataset_detail_and_samples(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let first = replay(&seltzer, "s01_first_scan").await.inserts[0].1;
    replay(&seltzer, "s04_unknown_column_scan_abort").await;
    let key = seltzer
        .db
        .create_api_key("reader", Role::Viewer)
        .await
        .unwrap();
    let auth = basic(&key.id, &key.secret);
    let get = |path: String| {
        let auth = auth.clone();
        let seltzer = &seltzer;
        async move { request(seltzer, "GET", &path, &[("authorization", &auth)], None).await }
    };
    let orders: i64 = sqlx::query_scalar("SELECT id FROM datasets WHERE name = 'orders'")
        .fetch_one(seltzer.db.pool())
        .await
        .unwrap();
    let detail = get(format!("/api/datasets/{orders}")).await.json();
    assert_eq!(detail["name"], "orders");
    assert_eq!(detail["dataSource"], "shop");
    assert_eq!(detail["status"], "scanFailed");
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
    let health = detail["health"].as_array().unwrap();
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
        request(
            &seltzer,
            "GET",
            &format!("/api/datasets/{orders}"),
            &[],
            None
        )
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
    let key = seltzer
        .db
        .create_api_key("reader", Role::Viewer)
        .await
        .unwrap();
    let auth = basic(&key.id, &key.secret);
    let get = |path: String| {
        let auth = auth.clone();
        let seltzer = &seltzer;
        async move { request(seltzer, "GET", &path, &[("authorization", &auth)], None).await }
    };
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
    let customers: i64 = sqlx::query_scalar("SELECT id FROM datasets WHERE name = 'customers'")
        .fetch_one(seltzer.db.pool())
        .await
        .unwrap();
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
        let answer = get(path.clone()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path}");
        assert!(
            answer.json()["message"].as_str().unwrap().contains(message),
            "{path}"
        );
    }
    assert_eq!(
        get("/api/scans/424242".into()).await.status,
        StatusCode::NOT_FOUND
    );
}

/// Attributes, API keys and users over the API, each allowed or refused by role.
async fn management_is_allowed_by_role(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let mut as_role = Vec::new();
    for role in [Role::Viewer, Role::Editor, Role::Admin] {
        let key = seltzer
            .db
            .create_api_key(role.as_str(), role)
            .await
            .unwrap();
        as_role.push(basic(&key.id, &key.secret));
    }
    let [viewer, editor, admin] = [&as_role[0], &as_role[1], &as_role[2]];
    let call = |method: &'static str, path: &'static str, auth: &str, body: Option<Value>| {
        let auth = auth.to_owned();
        let seltzer = &seltzer;
        async move { request(seltzer, method, path, &[("authorization", &auth)], body).await }
    };
    let attribute =
        json!({"name": "team", "type": "singleSelect", "allowedValues": ["growth", "core"]});

    // Attributes: everyone reads, editors and admins change.
    assert_eq!(
        call("GET", "/api/attributes", viewer, None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        call("POST", "/api/attributes", viewer, Some(attribute.clone()))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let created = call("POST", "/api/attributes", editor, Some(attribute.clone())).await;
    assert_eq!(created.status, StatusCode::OK);
    assert_eq!(created.json()["allowedValues"], json!(["growth", "core"]));
    assert_eq!(
        call("POST", "/api/attributes", admin, Some(attribute))
            .await
            .status,
        StatusCode::CONFLICT
    );
    let bad = call(
        "POST",
        "/api/attributes",
        editor,
        Some(json!({"name": "x", "type": "colour"})),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.json()["message"]
            .as_str()
            .unwrap()
            .contains("unknown attribute type 'colour'")
    );
    let listed = call("GET", "/api/attributes", viewer, None).await.json();
    assert_eq!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["name"] == "team")
            .count(),
        1
    );
    assert_eq!(
        call("DELETE", "/api/attributes/team", viewer, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call("DELETE", "/api/attributes/team", editor, None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        call("DELETE", "/api/attributes/team", editor, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // API keys and users: admins only; a new key's secret is shown once and works at once.
    for auth in [viewer, editor] {
        assert_eq!(
            call("GET", "/api/api-keys", auth, None).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            call("GET", "/api/users", auth, None).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            call("POST", "/api/api-keys", auth, Some(json!({"name": "x"})))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
    }
    let new_key = call(
        "POST",
        "/api/api-keys",
        admin,
        Some(json!({"name": "ci", "role": "editor"})),
    )
    .await
    .json();
    let (id, secret) = (
        new_key["id"].as_str().unwrap(),
        new_key["secret"].as_str().unwrap(),
    );
    assert_eq!(new_key["role"], "editor");
    let listed = call("GET", "/api/api-keys", admin, None).await;
    assert!(
        listed
            .json()
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["id"] == id && k["role"] == "editor")
    );
    assert!(
        !String::from_utf8_lossy(&listed.body).contains(secret),
        "secrets are never listed"
    );
    let new_auth = basic(id, secret);
    assert_eq!(
        request(
            &seltzer,
            "GET",
            "/api/v1/test-login",
            &[("authorization", &new_auth)],
            None
        )
        .await
        .status,
        StatusCode::OK
    );
    let revoke = request(
        &seltzer,
        "DELETE",
        &format!("/api/api-keys/{id}"),
        &[("authorization", admin)],
        None,
    )
    .await;
    assert_eq!(revoke.status, StatusCode::OK);
    assert_eq!(
        request(
            &seltzer,
            "GET",
            "/api/v1/test-login",
            &[("authorization", &new_auth)],
            None
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );

    let user = json!({"email": "Eve@Example.com", "role": "editor", "password": PASSWORD});
    assert_eq!(
        call("POST", "/api/users", admin, Some(user.clone()))
            .await
            .json(),
        json!({"email": "eve@example.com", "role": "editor"})
    );
    assert_eq!(
        call("POST", "/api/users", admin, Some(user)).await.status,
        StatusCode::CONFLICT
    );
    let weak = call(
        "POST",
        "/api/users",
        admin,
        Some(json!({"email": "x@example.com", "role": "viewer", "password": "short"})),
    )
    .await;
    assert!(
        weak.json()["message"]
            .as_str()
            .unwrap()
            .contains("12 characters")
    );
    let odd = call(
        "POST",
        "/api/users",
        admin,
        Some(json!({"email": "x@example.com", "role": "owner", "password": PASSWORD})),
    )
    .await;
    assert_eq!(odd.status, StatusCode::BAD_REQUEST);
    let users = call("GET", "/api/users", admin, None).await;
    assert!(
        !String::from_utf8_lossy(&users.body).contains("argon2"),
        "no password hashes"
    );
    assert_eq!(
        sign_in(&seltzer, "eve@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
    assert_eq!(
        call("POST", "/api/users/eve@example.com/disable", admin, None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        sign_in(&seltzer, "eve@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
}

on_both_engines!(
    management_is_allowed_by_role,
    scans_list_and_detail,
    dataset_detail_and_samples,
    dashboard_checks_and_history,
    v1_scans_read_and_delete,
    sessions_follow_sign_in_and_sign_out,
    failed_sign_ins_are_throttled_per_account,
    v1_api_answers_like_soda_cloud,
);
