//! Incidents on both engines, over results of real Soda Core scans (captured Soda Core 4
//! verifications replayed): opened from failing results, changed with each change on the
//! timeline, resolved only with notes, more results linked, comments, filters, Soda Cloud's
//! update endpoint, and links that outlive their results.

use axum::http::StatusCode;
use serde_json::{Value, json};
use server::IngestConfig;
use shared::api::Role;

use crate::notifications::SERVE_ARGS;
use crate::support::{
    RunningServer, Seltzer, TestDb, good_orders_scan, http_post_json, on_both_engines, replay_v4,
    skip_or_fail, v4_fixture_dir,
};

on_both_engines!(
    an_incident_goes_from_a_failing_result_to_resolved,
    incidents_refuse_what_they_cannot_be_about,
    rules_run_incidents_for_the_checks_they_cover,
);

/// A failing and a passing result of the latest scan: `(failing, passing)`.
async fn results(seltzer: &Seltzer, scan_id: i64) -> (i64, i64) {
    let pick = |outcome: &'static str| async move {
        sqlx::query_scalar::<_, i64>(
            "SELECT MIN(id) FROM check_results WHERE scan_id = $1 AND outcome = $2",
        )
        .bind(scan_id)
        .bind(outcome)
        .fetch_one(seltzer.db.pool())
        .await
        .unwrap()
    };
    (pick("fail").await, pick("pass").await)
}

fn kinds(detail: &Value) -> Vec<String> {
    detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn an_incident_goes_from_a_failing_result_to_resolved(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let first = replay_v4(&seltzer, "s01_first_verify").await.scan_ids()[0];
    let second = replay_v4(&seltzer, "s02_second_verify").await.scan_ids()[0];
    let (failing, _) = results(&seltzer, first).await;
    let (failing_again, _) = results(&seltzer, second).await;
    seltzer
        .add_user("lea@example.com", Role::Editor, "a long password 1")
        .await;
    let editor = seltzer.authorized(&seltzer.basic_auth(Role::Editor).await);
    let viewer = seltzer.authorized(&seltzer.basic_auth(Role::Viewer).await);

    // Opened from a failing result: reported, with its result and check.
    let opened = editor
        .post(
            "/api/incidents",
            json!({"title": "Orders with duplicate ids", "severity": "major",
                   "description": "Since the 3 a.m. load", "checkResultIds": [failing]}),
        )
        .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.text());
    let opened = opened.json();
    let id = opened["incident"]["id"].as_i64().unwrap();
    assert_eq!(opened["incident"]["number"], id);
    assert_eq!(opened["incident"]["status"], "reported");
    assert!(
        opened["incident"]["reporter"]
            .as_str()
            .unwrap()
            .starts_with("API key ")
    );
    let linked = &opened["checkResults"][0];
    assert_eq!(
        (&linked["resultId"], &linked["outcome"], &linked["dataset"]),
        (&json!(failing), &json!("fail"), &json!("main/orders"))
    );
    assert_eq!(kinds(&opened), ["created", "linked"]);

    // The check and its dataset show it while it is open.
    let check_id = linked["checkId"].as_i64().unwrap();
    let check = viewer.get(format!("/api/checks/{check_id}")).await.json();
    assert_eq!(check["check"]["openIncidents"], json!([id]));
    let listed = viewer.get("/api/checks?outcome=fail").await.json();
    let marked: Vec<&Value> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["openIncidents"] != json!([]))
        .collect();
    assert_eq!(marked.len(), 1, "only its check: {listed}");
    let datasets = viewer.get("/api/datasets").await.json();
    assert_eq!(datasets["items"][0]["openIncidents"], 1);
    let dataset_id = datasets["items"][0]["id"].as_i64().unwrap();
    let dataset = viewer
        .get(&format!("/api/datasets/{dataset_id}"))
        .await
        .json();
    assert_eq!(dataset["openIncidents"], 1);

    // Investigated, made critical, given a lead: one timeline entry per change.
    let changed = editor
        .send(
            "PATCH",
            format!("/api/incidents/{id}"),
            Some(json!({"status": "investigating", "severity": "critical",
                        "leadEmail": "LEA@example.com", "title": "Orders with duplicate ids"})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text());
    let changed = changed.json();
    assert_eq!(changed["incident"]["leadEmail"], "lea@example.com");
    assert_eq!(
        kinds(&changed),
        ["created", "linked", "severity", "lead", "status"],
        "the unchanged title is not on the timeline"
    );
    let status = &changed["timeline"][4];
    assert_eq!(
        (&status["from"], &status["to"]),
        (&json!("reported"), &json!("investigating"))
    );

    // The next scan's failure joins it; linking it again changes nothing.
    for _ in 0..2 {
        let answer = editor
            .post(
                format!("/api/incidents/{id}/check-results"),
                json!({"checkResultIds": [failing_again]}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    }
    let comment = editor
        .post(
            format!("/api/incidents/{id}/comments"),
            json!({"text": "The loader ran twice."}),
        )
        .await;
    assert_eq!(comment.status, StatusCode::CREATED);
    let detail = viewer.get(format!("/api/incidents/{id}")).await.json();
    assert_eq!(detail["incident"]["checkResultCount"], 2);
    assert_eq!(
        detail["checkResults"][0]["resultId"], failing_again,
        "newest result first"
    );
    assert_eq!(
        kinds(&detail),
        [
            "created", "linked", "severity", "lead", "status", "linked", "comment"
        ]
    );

    // Resolving takes notes.
    let bare = editor
        .send(
            "PATCH",
            format!("/api/incidents/{id}"),
            Some(json!({"status": "resolved"})),
        )
        .await;
    assert_eq!(bare.status, StatusCode::BAD_REQUEST);
    assert!(bare.text().contains("resolutionNotes"), "{}", bare.text());
    // Soda Cloud's public API, as the Jira and ServiceNow recipes call it.
    let resolved = editor
        .post(
            format!("/api/v1/incidents/{id}"),
            json!({"status": "resolved", "resolutionNotes": "Loader fixed; duplicates removed"}),
        )
        .await;
    assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.text());
    let content = resolved.json();
    assert_eq!(content["id"], id.to_string());
    assert_eq!(content["name"], "Orders with duplicate ids");
    assert_eq!(content["status"], "resolved");
    assert_eq!(content["severity"], "critical");
    assert!(
        content["cloudUrl"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/incidents/{id}"))
    );
    let detail = viewer.get(format!("/api/incidents/{id}")).await.json();
    assert!(detail["incident"]["resolvedAt"].is_string());

    // A second, open incident; the filters tell them apart.
    let other = editor
        .post(
            "/api/incidents",
            json!({"title": "Late orders", "severity": "minor", "checkResultIds": [failing]}),
        )
        .await;
    assert_eq!(other.status, StatusCode::CREATED);
    let titles = |answer: Value| -> Vec<String> {
        answer["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let dataset: i64 = sqlx::query_scalar("SELECT MIN(id) FROM datasets")
        .fetch_one(seltzer.db.pool())
        .await
        .unwrap();
    for (query, expected) in [
        ("", vec!["Late orders", "Orders with duplicate ids"]),
        ("?status=open", vec!["Late orders"]),
        ("?status=resolved", vec!["Orders with duplicate ids"]),
        ("?severity=critical", vec!["Orders with duplicate ids"]),
        ("?lead=Lea@Example.com", vec!["Orders with duplicate ids"]),
        ("?search=LATE", vec!["Late orders"]),
        (
            &format!("?datasetId={dataset}"),
            vec!["Late orders", "Orders with duplicate ids"],
        ),
        (&format!("?datasetId={}", dataset + 1000), vec![]),
    ] {
        let answer = viewer.get(format!("/api/incidents{query}")).await;
        assert_eq!(answer.status, StatusCode::OK, "{query}: {}", answer.text());
        assert_eq!(titles(answer.json()), expected, "{query}");
    }
    // Soda Cloud's lists: a check names its incidents, a dataset counts its open ones.
    let checks = viewer
        .get(format!("/api/v1/checks?checkIds={check_id}"))
        .await
        .json();
    let refs = &checks["content"][0]["incidents"];
    assert_eq!(refs.as_array().unwrap().len(), 2, "{refs}");
    assert_eq!(refs[1]["id"], id.to_string());
    assert_eq!(refs[1]["number"], id);
    assert_eq!(refs[1]["status"], "resolved");
    assert!(
        refs[1]["cloudUrl"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/incidents/{id}"))
    );
    let datasets = viewer.get("/api/v1/datasets").await.json();
    assert_eq!(
        datasets["content"][0]["incidents"], 1,
        "the resolved one is not counted"
    );

    let bad = viewer.get("/api/incidents?status=closed").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text().contains("status"), "{}", bad.text());

    // Its first scan deleted: the link stays, saying the result is gone.
    let deleted = editor.delete(format!("/api/scans/{first}")).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text());
    let detail = viewer.get(format!("/api/incidents/{id}")).await.json();
    let gone = detail["checkResults"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resultId"] == failing)
        .unwrap();
    assert_eq!(
        (&gone["stored"], &gone["outcome"]),
        (&json!(false), &Value::Null)
    );
    assert_eq!(gone["checkName"], linked["checkName"]);
}

async fn incidents_refuse_what_they_cannot_be_about(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let scan = replay_v4(&seltzer, "s01_first_verify").await.scan_ids()[0];
    let (failing, passing) = results(&seltzer, scan).await;
    let editor = seltzer.authorized(&seltzer.basic_auth(Role::Editor).await);
    let viewer = seltzer.authorized(&seltzer.basic_auth(Role::Viewer).await);
    for (body, field) in [
        (
            json!({"title": "x", "severity": "major", "checkResultIds": [passing]}),
            "passed",
        ),
        (
            json!({"title": "x", "severity": "major", "checkResultIds": [987_654]}),
            "no check result 987654",
        ),
        (
            json!({"title": "x", "severity": "major", "checkResultIds": []}),
            "checkResultIds",
        ),
        (
            json!({"title": " ", "severity": "major", "checkResultIds": [failing]}),
            "title",
        ),
        (
            json!({"title": "x", "severity": "urgent", "checkResultIds": [failing]}),
            "severity",
        ),
        (
            json!({"title": "x", "severity": "major", "checkResultIds": [failing],
                   "leadEmail": "nobody@example.com"}),
            "leadEmail",
        ),
    ] {
        let answer = editor.post("/api/incidents", body.clone()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert!(answer.text().contains(field), "{body}: {}", answer.text());
    }
    let read_only = viewer
        .post(
            "/api/incidents",
            json!({"title": "x", "severity": "major", "checkResultIds": [failing]}),
        )
        .await;
    assert_eq!(read_only.status, StatusCode::FORBIDDEN);
    assert_eq!(
        editor.get("/api/incidents/77").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        editor
            .post("/api/v1/incidents/abc", json!({"status": "fixing"}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(seltzer.count("SELECT COUNT(*) FROM incidents").await, 0);
}

/// s01's verification again at `at`, with "Order ids are unique" (`0b286aad`) as `outcome`.
async fn verify_again(seltzer: &Seltzer, at: &str, outcome: &str) {
    let captured: Value = serde_json::from_str(
        &std::fs::read_to_string(
            v4_fixture_dir("s01_first_verify")
                .join("requests/004_POST_api_command_sodaCoreInsertScanResults.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut body = captured["request"]["body"].clone();
    for key in ["dataTimestamp", "scanStartTimestamp", "scanEndTimestamp"] {
        body[key] = json!(at);
    }
    body.as_object_mut().unwrap().remove("contract");
    for check in body["checks"].as_array_mut().unwrap() {
        if check["identities"]["vc1"] == "0b286aad" {
            check["outcome"] = json!(outcome);
        }
    }
    body["token"] = json!(seltzer.login().await);
    let answer = seltzer.post("/api/command", &body).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}

async fn rules_run_incidents_for_the_checks_they_cover(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let editor = seltzer.authorized(&seltzer.basic_auth(Role::Editor).await);
    let viewer = seltzer.authorized(&seltzer.basic_auth(Role::Viewer).await);
    // Channels are for messages: a rule that sends none needs no channel, unless it runs no
    // incidents either.
    let idle = editor
        .post(
            "/api/notification-rules",
            json!({"name": "idle", "channelIds": [], "outcomes": ["fail"]}),
        )
        .await;
    assert_eq!(idle.status, StatusCode::BAD_REQUEST);
    assert!(idle.text().contains("channelIds"), "{}", idle.text());
    let rule = editor
        .post(
            "/api/notification-rules",
            json!({"name": "order ids", "channelIds": [], "outcomes": ["fail"],
                   "mode": "onChange", "filter": {"checkName": "Order ids*"},
                   "incidents": {"severity": "critical", "resolveOnRecovery": true}}),
        )
        .await;
    assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.text());

    // It starts failing: an incident, reported by the rule, about that check only.
    replay_v4(&seltzer, "s01_first_verify").await;
    let list = viewer.get("/api/incidents").await.json();
    assert_eq!(list["total"], 1, "{list}");
    let id = list["items"][0]["id"].as_i64().unwrap();
    let incident = &list["items"][0];
    assert_eq!(
        incident["title"],
        "Order ids are unique fails on main/orders"
    );
    assert_eq!(
        (&incident["severity"], &incident["reporter"]),
        (&json!("critical"), &json!("rule order ids"))
    );
    // It fails again: the same incident, one more result.
    replay_v4(&seltzer, "s02_second_verify").await;
    let detail = viewer.get(format!("/api/incidents/{id}")).await.json();
    assert_eq!(detail["incident"]["checkResultCount"], 2);
    assert_eq!(seltzer.count("SELECT COUNT(*) FROM incidents").await, 1);

    // It passes: on the timeline, and resolved as the rule says; a second pass adds nothing.
    verify_again(&seltzer, "2026-12-06T05:00:00+00:00", "pass").await;
    verify_again(&seltzer, "2026-12-06T06:00:00+00:00", "pass").await;
    let detail = viewer.get(format!("/api/incidents/{id}")).await.json();
    assert_eq!(
        kinds(&detail),
        ["created", "linked", "linked", "recovered", "status"]
    );
    assert_eq!(detail["incident"]["status"], "resolved");
    assert!(
        detail["incident"]["resolutionNotes"]
            .as_str()
            .unwrap()
            .starts_with("Resolved by the rule when Order ids are unique passed again"),
        "{detail}"
    );
    // Failing again after that is a new incident.
    verify_again(&seltzer, "2026-12-06T07:00:00+00:00", "fail").await;
    assert_eq!(seltzer.count("SELECT COUNT(*) FROM incidents").await, 2);
    assert_eq!(
        viewer.get("/api/incidents?status=open").await.json()["total"],
        1
    );
}

/// Two Seltzers on one PostgreSQL, failing scans of one check sent to both at once: the rule
/// opens one incident, not one per Seltzer (each scan's check row is locked in its transaction,
/// so the second Seltzer sees the first one's incident). The failures that arrive as the
/// check's newest result join it; one older than the newest stored tells nothing, as with
/// notifications.
#[tokio::test(flavor = "multi_thread")]
async fn two_seltzers_open_one_incident_for_concurrent_failures() {
    let Some(test_db) = TestDb::postgres().await else {
        skip_or_fail("no PostgreSQL for two Seltzers to share");
        return;
    };
    let db = server::Database::connect(&test_db.url).await.unwrap();
    db.migrate().await.unwrap();
    let rule = serde_json::from_value(json!({
        "name": "orders", "channelIds": [], "outcomes": ["fail"],
        "incidents": {"severity": "major", "resolveOnRecovery": false}
    }))
    .unwrap();
    db.create_rule(&rule).await.unwrap().unwrap();
    let key = db.create_api_key("soda", Role::Viewer).await.unwrap();
    let servers = [
        RunningServer::start(&test_db.url, SERVE_ARGS),
        RunningServer::start(&test_db.url, SERVE_ARGS),
    ];
    // Logged in once on each (as Soda Core keeps its token), then twelve scans at once.
    let targets = servers.each_ref().map(|s| {
        let login = http_post_json(
            &s.addr,
            "/api/command",
            &json!({"type": "login", "apiKeyId": key.id, "apiKeySecret": key.secret}),
        );
        let token = login.json()["token"].as_str().unwrap().to_owned();
        (s.addr.clone(), token)
    });
    std::thread::scope(|scope| {
        for day in 1..=12u32 {
            let (addr, token) = &targets[day as usize % 2];
            scope.spawn(move || {
                let mut doc =
                    good_orders_scan(token, "daily", &format!("2026-11-{day:02}T04:00:00Z"));
                doc["checks"][0]["outcome"] = json!("fail");
                let stored = http_post_json(addr, "/api/command", &doc);
                assert_eq!(stored.status, 200, "{:?}", stored.json_or_null());
            });
        }
    });
    let count = |sql: &'static str| {
        let pool = db.pool();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(count("SELECT COUNT(*) FROM incidents").await, 1);
    let linked = count("SELECT COUNT(*) FROM incident_results").await;
    assert!((1..=12).contains(&linked), "{linked}");
    assert_eq!(
        count("SELECT COUNT(*) FROM incident_events WHERE kind = 'linked'").await,
        linked
    );
    // The newest failure (day 12) is always among them: nothing newer can overtake it.
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM incident_results l JOIN check_results r ON r.id = l.result_id \
             WHERE r.data_timestamp = (SELECT MAX(data_timestamp) FROM check_results)"
        )
        .await,
        1
    );
}
