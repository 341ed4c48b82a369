//! Soda Core 4 (`soda contract verify -p`, 4.28.0) on both engines: its captured traffic
//! replayed (contract verifications stored like Soda Core 3's scans, checks identified by
//! `identities.vc1` across runs, honest outcomes: `unevaluated` without a fake 0, `excluded`
//! not stored; the uploaded contract kept with its scan; Soda Core 4's queries answered), and
//! the real CLI from PyPI run against `seltzer serve`.

use std::path::{Path, PathBuf};
use std::process::Command;

use axum::http::StatusCode;
use serde_json::{Value, json};
use server::IngestConfig;
use shared::api::Role;

use crate::support::{
    Seltzer, SodaCoreLink, SodaCoreTarget, TestDb, cached_venv, on_both_engines, replay_v4,
    v4_fixture_dir,
};

on_both_engines!(
    a_contract_verification_is_stored_like_a_scan,
    a_second_verification_continues_the_same_checks,
    unevaluated_checks_have_no_value,
    a_partial_run_leaves_excluded_checks_alone,
    a_contract_with_no_checks_is_stored,
    soda_core_4_queries_are_answered,
    a_published_contract_is_the_one_fetched,
    a_dataset_has_the_columns_its_newest_scan_reported,
    history_is_answered_per_identity_newest_first,
    a_batched_run_is_stored_when_it_ends,
    a_managed_run_marked_failed_is_a_failed_scan,
    every_captured_request_is_answered,
    the_real_soda_core_4_publishes_to_seltzer,
);

async fn seltzer(test_db: &TestDb) -> Seltzer {
    Seltzer::start(test_db, IngestConfig::default()).await
}

async fn a_contract_verification_is_stored_like_a_scan(test_db: TestDb) {
    let seltzer = seltzer(&test_db).await;
    let replayed = replay_v4(&seltzer, "s01_first_verify").await;
    let scan_id = replayed.scan_ids()[0];
    // 12 checks: 7 pass, 1 warn, 4 fail, counted from the outcomes (Soda Core 4 sends one
    // status flag: `hasWarnings` is false when a check also failed).
    let scan = seltzer
        .authorized(&seltzer.basic_auth(Role::Viewer).await)
        .get(format!("/api/scans/{scan_id}"))
        .await;
    assert_eq!(scan.status, StatusCode::OK, "{}", scan.text());
    let scan_answer = scan.json();
    let scan = scan_answer["scan"].clone();
    assert_eq!(
        (
            &scan["pass"],
            &scan["warn"],
            &scan["fail"],
            &scan["hasErrors"]
        ),
        (&json!(7), &json!(1), &json!(4), &json!(false)),
        "{scan}"
    );
    assert_eq!(scan["definition"], "shop/main/orders");
    // Values in their units: the freshness in milliseconds, the percent threshold in percent.
    let checks = scan_answer["checks"].as_array().unwrap();
    let unit_of = |name: &str| {
        checks
            .iter()
            .find(|c| c["name"] == name)
            .map(|c| c["unit"].clone())
            .unwrap()
    };
    assert_eq!(unit_of("Data is fresh"), "milliseconds");
    assert_eq!(unit_of("Order ids are unique"), "number");
    // The dataset by its qualified name: `main/orders` in the data source `shop`.
    let datasets: Vec<(String, String)> = sqlx::query_as(
        "SELECT s.name, d.name FROM datasets d JOIN data_sources s ON s.id = d.data_source_id",
    )
    .fetch_all(seltzer.db.pool())
    .await
    .unwrap();
    assert_eq!(datasets, [("shop".to_owned(), "main/orders".to_owned())]);
    assert_eq!(seltzer.count("SELECT COUNT(*) FROM checks").await, 12);
    // The check as the contract says it, its type key back in place.
    let definition: String =
        sqlx::query_scalar("SELECT definition FROM checks WHERE identity = '0b286aad'")
            .fetch_one(seltzer.db.pool())
            .await
            .unwrap();
    assert_eq!(
        definition,
        "columns:\n- name: id\n  checks:\n  - duplicate:\n      name: Order ids are unique\n"
    );
    let identities: i64 = seltzer
        .count("SELECT COUNT(*) FROM checks WHERE identity IN ('0b286aad', '29cf3b4e')")
        .await;
    assert_eq!(identities, 2, "checks are filed under identities.vc1");
    // The dataset's columns, from the schema check's metadata, in order with their types.
    let viewer = seltzer.basic_auth(Role::Viewer).await;
    let datasets = seltzer
        .authorized(&viewer)
        .get("/api/datasets")
        .await
        .json();
    let id = datasets["items"][0]["id"].as_i64().unwrap();
    let dataset = seltzer
        .authorized(&viewer)
        .get(format!("/api/datasets/{id}"))
        .await
        .json();
    let columns: Vec<String> = dataset["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {}",
                c["name"].as_str().unwrap(),
                c["sourceType"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        columns,
        [
            "id INTEGER",
            "customer_id INTEGER",
            "status VARCHAR",
            "amount DECIMAL(10,2)",
            "email VARCHAR",
            "created_at TIMESTAMP"
        ]
    );
    // The contract the scan verified, as uploaded, on the scan's page.
    let uploaded =
        std::fs::read_to_string(v4_fixture_dir("s01_first_verify").join("contract.yml")).unwrap();
    assert_eq!(scan_answer["contract"]["contents"], uploaded.as_str());
}

async fn a_second_verification_continues_the_same_checks(test_db: TestDb) {
    let seltzer = seltzer(&test_db).await;
    replay_v4(&seltzer, "s01_first_verify").await;
    let second = replay_v4(&seltzer, "s02_second_verify").await;
    assert_eq!(second.scan_ids().len(), 1);
    assert_eq!(seltzer.count("SELECT COUNT(*) FROM checks").await, 12);
    assert_eq!(
        seltzer.count("SELECT COUNT(*) FROM check_results").await,
        24,
        "each check has its two results"
    );
    assert_eq!(seltzer.count("SELECT COUNT(*) FROM scans").await, 2);
}

async fn unevaluated_checks_have_no_value(test_db: TestDb) {
    let seltzer = seltzer(&test_db).await;
    replay_v4(&seltzer, "s03_check_errors").await;
    // Two checks Soda Core 4 could not evaluate: stored as not evaluated, without the 0 it
    // sends in place of a value.
    assert_eq!(
        seltzer
            .count("SELECT COUNT(*) FROM check_results WHERE outcome IS NULL AND value IS NULL")
            .await,
        2
    );
    assert_eq!(
        seltzer
            .count("SELECT COUNT(*) FROM scans WHERE has_errors = 1")
            .await,
        1
    );
}

async fn a_partial_run_leaves_excluded_checks_alone(test_db: TestDb) {
    // A partial run (`-cf`): three checks ran, nine were excluded; the excluded keep their
    // last result and status.
    let seltzer = seltzer(&test_db).await;
    replay_v4(&seltzer, "s01_first_verify").await;
    replay_v4(&seltzer, "s06_check_filter_partial").await;
    assert_eq!(seltzer.count("SELECT COUNT(*) FROM checks").await, 12);
    assert_eq!(
        seltzer.count("SELECT COUNT(*) FROM check_results").await,
        15
    );
    assert_eq!(
        seltzer
            .count(
                "SELECT COUNT(*) FROM checks c JOIN check_results r ON r.id = c.latest_result_id \
                 WHERE r.scan_id = (SELECT MIN(id) FROM scans)"
            )
            .await,
        9,
        "the excluded checks' latest results are still the first run's"
    );
}

/// The log lines of a stored scan, as the dashboard reads them.
async fn scan_log(seltzer: &Seltzer, scan_id: i64) -> Vec<String> {
    let viewer = seltzer.basic_auth(Role::Viewer).await;
    let scan = seltzer
        .authorized(&viewer)
        .get(format!("/api/scans/{scan_id}?logLimit=100"))
        .await
        .json();
    scan["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            format!(
                "{} {}",
                l["level"].as_str().unwrap(),
                l["message"].as_str().unwrap()
            )
        })
        .collect()
}

async fn a_batched_run_is_stored_when_it_ends(test_db: TestDb) {
    // A managed discovery (`SODA_SCAN_ID` set): start, results, streamed logs, end.
    let seltzer = seltzer(&test_db).await;
    let replayed = replay_v4(&seltzer, "s13_managed_discover_batched").await;
    let [scan_id] = replayed.scan_ids()[..] else {
        panic!("one scan stored, at the end: {:?}", replayed.scan_ids());
    };
    let definition: String = sqlx::query_scalar(
        "SELECT d.name FROM scans s JOIN scan_definitions d ON d.id = s.scan_definition_id",
    )
    .fetch_one(seltzer.db.pool())
    .await
    .unwrap();
    assert_eq!(definition, "shop_discovery");
    assert_eq!(
        scan_log(&seltzer, scan_id).await,
        [
            "info Discovering datasets in data source 'shop'",
            "info ✅ Discovered 1 datasets and sent results to Soda Cloud."
        ],
        "the streamed lines are the scan's log"
    );
    assert_eq!(seltzer.count("SELECT COUNT(*) FROM datasets").await, 1);

    // By hand: lines sent twice are kept once; nothing is stored before the end; a run takes
    // no batch after it.
    let token = seltzer.login().await;
    let command = |body: Value| {
        let mut body = body;
        body["token"] = json!(token);
        body
    };
    let start = seltzer
        .post(
            "/api/command",
            &command(
                json!({"type": "sodaCoreScanStart", "scanId": "run-7", "version": "4",
                "definitionName": "nightly", "defaultDataSource": "shop",
                "dataTimestamp": "2026-12-06T04:00:00+00:00"}),
            ),
        )
        .await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.text());
    let reference = start.json()["scanReference"].as_str().unwrap().to_owned();
    let lines = |from: i64, to: i64| {
        (from..to)
            .map(|i| {
                json!({"level": if i == 2 { "error" } else { "info" }, "message": format!("line {i}"),
                    "timestamp": "2026-12-06T04:00:01+00:00", "index": i, "thread": "t1"})
                .to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    for batch in [lines(0, 2), lines(1, 3)] {
        let (status, answer) = seltzer
            .post_text(&token, "/api/logs/run-7/batchV4", &[], &batch)
            .await;
        assert_eq!(status, 200, "{answer}");
    }
    let (status, answer) = seltzer
        .post_text(
            &token,
            "/api/logs/run-7/batchV4",
            &[],
            "{\"message\": \"ok\"}\nnot json",
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("line 2: not JSON"),
        "{answer}"
    );
    let (status, _) = seltzer
        .post_text(&token, "/api/logs/nobody/batchV4", &[], &lines(0, 1))
        .await;
    assert_eq!(status, 404, "a run nobody opened");
    let data = seltzer
        .post(
            "/api/command",
            &command(json!({"type": "sodaCoreInsertScanDataBatch", "version": "4",
                "scanReference": reference, "definitionName": "nightly", "defaultDataSource": "shop",
                "dataTimestamp": "2026-12-06T04:00:00+00:00",
                "scanStartTimestamp": "2026-12-06T04:00:00+00:00",
                "scanEndTimestamp": "2026-12-06T04:00:02+00:00", "hasErrors": true,
                "metadata": [{"datasetQualifiedName": "shop/main/customers"}], "checks": [],
                "logs": []})),
        )
        .await;
    assert_eq!(data.status, StatusCode::OK, "{}", data.text());
    assert_eq!(
        seltzer.count("SELECT COUNT(*) FROM scans").await,
        1,
        "not stored before the end"
    );
    let end = command(json!({"type": "sodaCoreScanEndAsync", "scanReference": reference}));
    let ended = seltzer.post("/api/command", &end).await;
    assert_eq!(ended.status, StatusCode::OK, "{}", ended.text());
    let scan_id: i64 = ended.json()["scanId"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        scan_log(&seltzer, scan_id).await,
        ["error line 2", "info line 0", "info line 1"],
        "each line once, errors first"
    );
    let again = seltzer.post("/api/command", &end).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.json()["code"], "invalid_scan_state");
    let (status, answer) = seltzer
        .post_text(&token, "/api/logs/run-7/batchV4", &[], &lines(3, 4))
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (400, Some("invalid_scan_state"))
    );
    // A results batch for a run never opened names the field.
    let orphan = seltzer
        .post(
            "/api/command",
            &command(
                json!({"type": "sodaCoreInsertScanDataBatch", "version": "4",
                "scanReference": "run-unknown"}),
            ),
        )
        .await;
    assert_eq!(orphan.status, StatusCode::BAD_REQUEST);
    assert!(orphan.text().contains("scanReference"), "{}", orphan.text());
}

async fn a_managed_run_marked_failed_is_a_failed_scan(test_db: TestDb) {
    // A managed verification that failed before it had results reports it with its logs. Its
    // run was never opened here (a verification opens none), so there is no data source to
    // file a scan under: the failure is kept on the run.
    let seltzer = seltzer(&test_db).await;
    replay_v4(&seltzer, "s14_managed_failure_marked").await;
    assert_eq!(seltzer.count("SELECT COUNT(*) FROM scans").await, 0);
    let state: String =
        sqlx::query_scalar("SELECT state FROM batched_runs WHERE run_id = 'scan-precreated-0003'")
            .fetch_one(seltzer.db.pool())
            .await
            .unwrap();
    assert_eq!(state, "failed");
    assert_eq!(
        seltzer.count("SELECT COUNT(*) FROM batched_run_logs").await,
        3
    );

    // A batched run that fails: a failed scan of its definition, with the lines it streamed
    // and the ones it reports.
    let token = seltzer.login().await;
    let start = json!({"type": "sodaCoreScanStart", "scanId": "run-9", "version": "4",
        "definitionName": "nightly", "defaultDataSource": "shop", "token": token,
        "dataTimestamp": "2026-12-06T04:00:00+00:00"});
    assert_eq!(
        seltzer.post("/api/command", &start).await.status,
        StatusCode::OK
    );
    let line = json!({"level": "info", "message": "connecting", "index": 0, "thread": "t"});
    let (status, _) = seltzer
        .post_text(&token, "/api/logs/run-9/batchV4", &[], &line.to_string())
        .await;
    assert_eq!(status, 200);
    let failed = json!({"type": "sodaCoreMarkScanFailed", "scanId": "run-9", "token": token,
        "logs": [{"level": "error", "message": "cannot connect", "index": 1, "thread": "t"}]});
    let answer = seltzer.post("/api/command", &failed).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let (scan_id, definition, has_errors): (i64, String, i64) = sqlx::query_as(
        "SELECT s.id, d.name, s.has_errors FROM scans s \
         JOIN scan_definitions d ON d.id = s.scan_definition_id",
    )
    .fetch_one(seltzer.db.pool())
    .await
    .unwrap();
    assert_eq!((definition.as_str(), has_errors), ("nightly", 1));
    assert_eq!(
        scan_log(&seltzer, scan_id).await,
        ["error cannot connect", "info connecting"]
    );
}

async fn every_captured_request_is_answered(test_db: TestDb) {
    // Every request Soda Core 4 sent in the captured scenarios — the fault scenarios' too, whose
    // faults were the capture server's — in one Seltzer, in order: each answered 200 with what
    // the client reads, and every results document stored (or replacing one with its time).
    // Not s15: a verification on a Soda runner (`-r`) asks Soda Cloud to run the contract
    // itself, which is Seltzer running scans, not yet what it does.
    let seltzer = seltzer(&test_db).await;
    // `soda contract publish` (s07) takes an editor key.
    sqlx::query("UPDATE api_keys SET role = 'editor' WHERE id = $1")
        .bind(&seltzer.key_id)
        .execute(seltzer.db.pool())
        .await
        .unwrap();
    let mut scenarios: Vec<String> = std::fs::read_dir(v4_fixture_dir(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(['e', 'h', 's']) && n.as_bytes()[1].is_ascii_digit())
        .filter(|n| n != "s15_verify_on_runner")
        // e10 sent nothing: its port was unreachable.
        .filter(|n| v4_fixture_dir(n).join("requests").is_dir())
        .collect();
    scenarios.sort();
    assert_eq!(scenarios.len(), 27, "{scenarios:?}");
    let mut stored = 0;
    for scenario in &scenarios {
        stored += replay_v4(&seltzer, scenario).await.scan_ids().len();
    }
    // s13's batched run counts once, at its end; s14's failure is kept on its run.
    assert_eq!(stored, 20);
    assert_eq!(
        seltzer
            .count("SELECT (SELECT COUNT(*) FROM scans) + (SELECT COUNT(*) FROM scan_overwrites)")
            .await,
        20
    );
}

async fn a_contract_with_no_checks_is_stored(test_db: TestDb) {
    // A contract with a YAML error: nothing evaluated, no `checks` key at all.
    let seltzer = seltzer(&test_db).await;
    let replayed = replay_v4(&seltzer, "s18_contract_yaml_error").await;
    assert_eq!(replayed.scan_ids().len(), 1);
    assert_eq!(seltzer.count("SELECT COUNT(*) FROM checks").await, 0);
}

async fn soda_core_4_queries_are_answered(test_db: TestDb) {
    let seltzer = seltzer(&test_db).await;
    let token = seltzer.login().await;
    let config = seltzer
        .post(
            "/api/query",
            &json!({"type": "sodaCoreDatasetsConfiguration", "token": token, "version": 4,
                    "datasets": [{"dataSource": "shop", "datasetQualifiedName": "shop/main/orders",
                                  "table": "orders"}]}),
        )
        .await;
    assert_eq!(config.status, StatusCode::OK);
    assert_eq!(config.json(), json!({"results": []}));
    let me = seltzer
        .post("/api/query", &json!({"type": "whoAmI", "token": token}))
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["apiKeyId"], seltzer.key_id.as_str());
    // Without a token: a JSON 401, which makes Soda Core log in again.
    seltzer
        .post("/api/query", &json!({"type": "whoAmI"}))
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, "token");
    // What Seltzer does not do is a JSON 400 that names it, never a 500.
    seltzer
        .post(
            "/api/command",
            &json!({"type": "sodaCoreGenerateContractSkeleton", "token": token}),
        )
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "sodaCoreGenerateContractSkeleton");
    seltzer
        .post(
            "/api/command",
            &json!({"type": "sodaCoreUploadContractFile", "token": token}),
        )
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "contents");
}

async fn a_published_contract_is_the_one_fetched(test_db: TestDb) {
    let seltzer = seltzer(&test_db).await;
    let viewer = seltzer.login().await;
    let editor = seltzer
        .db
        .create_api_key("publisher", Role::Editor)
        .await
        .unwrap();
    let editor = seltzer.login_as(&editor.id, &editor.secret).await;
    let orders = json!({"datasource": "shop", "prefixes": ["main"], "name": "orders"});
    let ask = |token: &str| json!({"type": "sodaCoreCanManageContracts", "token": token, "dataset": orders});
    let answer = seltzer.post("/api/query", &ask(&viewer)).await;
    assert_eq!(
        answer.json(),
        json!({"allowed": false, "reason": "missingManageContracts"})
    );
    assert_eq!(
        seltzer.post("/api/query", &ask(&editor)).await.json(),
        json!({"allowed": true})
    );
    let contract =
        std::fs::read_to_string(v4_fixture_dir("s07_contract_publish").join("contract.yml"))
            .unwrap();
    let upload =
        json!({"type": "sodaCoreUploadContractFile", "token": editor, "contents": contract});
    let file_id = seltzer.post("/api/command", &upload).await.json()["fileId"]
        .as_str()
        .unwrap()
        .to_owned();
    let metadata = json!({"source": {"type": "local", "filePath": "contract.yml"}});
    let publish = |token: &str, file_id: &str| {
        json!({"type": "sodaCorePublishContract", "token": token,
               "contract": {"fileId": file_id, "metadata": metadata}})
    };
    seltzer
        .post("/api/command", &publish(&viewer, &file_id))
        .await
        .assert_refused(StatusCode::FORBIDDEN, "editor");
    seltzer
        .post("/api/command", &publish(&editor, "file-nothing"))
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "contract.fileId");
    let published = seltzer
        .post("/api/command", &publish(&editor, &file_id))
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text());
    assert_eq!(published.json()["fileId"], file_id.as_str());
    assert_eq!(published.json()["metadata"], metadata);
    assert_eq!(
        published.json()["publishedContract"]["datasetId"],
        "shop/main/orders"
    );
    // `soda contract fetch` gets it back, to the byte; another dataset has none.
    let fetch = |dataset: &Value| json!({"type": "sodaCoreGetContract", "token": viewer, "dataset": dataset});
    let fetched = seltzer.post("/api/query", &fetch(&orders)).await;
    assert_eq!(fetched.status, StatusCode::OK, "{}", fetched.text());
    assert_eq!(fetched.json()["contents"], contract.as_str());
    let customers = json!({"datasource": "shop", "prefixes": ["main"], "name": "customers"});
    let none = seltzer.post("/api/query", &fetch(&customers)).await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
    assert_eq!(none.json()["code"], "contract_not_found");
    // Once a verification has made the dataset known, its page shows the contract in force.
    replay_v4(&seltzer, "s01_first_verify").await;
    let viewer_auth = seltzer.basic_auth(Role::Viewer).await;
    let client = seltzer.authorized(&viewer_auth);
    let datasets = client.get("/api/datasets").await.json();
    let id = datasets["items"][0]["id"].as_i64().unwrap();
    let dataset = client.get(format!("/api/datasets/{id}")).await.json();
    assert_eq!(
        dataset["contract"]["contents"],
        contract.as_str(),
        "{dataset}"
    );
    assert!(dataset["contract"]["publishedAt"].is_string());
}

/// A dataset's columns follow the newest report: a column left out is gone, one without a
/// type keeps the type known before, and an older scan sent later changes nothing.
async fn a_dataset_has_the_columns_its_newest_scan_reported(test_db: TestDb) {
    let seltzer = seltzer(&test_db).await;
    let token = seltzer.login().await;
    let send = |at: &str, schema: Value| {
        let mut doc = crate::support::good_orders_scan(&token, "daily", at);
        doc["metadata"] = json!([{"dataSource": "shop", "table": "orders", "schema": schema}]);
        doc
    };
    let columns = || async {
        let rows: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT name, source_type FROM dataset_columns ORDER BY position")
                .fetch_all(seltzer.db.pool())
                .await
                .unwrap();
        rows.into_iter()
            .map(|(n, t)| format!("{n} {}", t.unwrap_or_default()))
            .collect::<Vec<_>>()
    };
    let first = json!([{"columnName": "id", "sourceDataType": "integer"},
                       {"columnName": "note", "sourceDataType": "text"}]);
    let answer = seltzer
        .post("/api/command", &send("2026-11-02T00:00:00Z", first))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(columns().await, ["id integer", "note text"]);
    let newer =
        json!([{"columnName": "id"}, {"columnName": "amount", "sourceDataType": "decimal"}]);
    seltzer
        .post("/api/command", &send("2026-11-03T00:00:00Z", newer))
        .await;
    assert_eq!(columns().await, ["id integer", "amount decimal"]);
    let backfill = json!([{"columnName": "legacy", "sourceDataType": "text"}]);
    seltzer
        .post("/api/command", &send("2026-11-01T00:00:00Z", backfill))
        .await;
    assert_eq!(columns().await, ["id integer", "amount decimal"]);
}

/// `sodaCoreHistoricCheckResults2` (for Soda Core 4's extensions): a list of identities, each
/// with at most `limit` results, newest first; the captured queries are answered too.
async fn history_is_answered_per_identity_newest_first(test_db: TestDb) {
    let seltzer = seltzer(&test_db).await;
    replay_v4(&seltzer, "s01_first_verify").await;
    replay_v4(&seltzer, "s02_second_verify").await;
    replay_v4(&seltzer, "h01_historic_queries_api").await;
    let token = seltzer.login().await;
    let ask = |body: Value| {
        let mut body = body;
        body["token"] = json!(token);
        body
    };
    let answer = seltzer
        .post(
            "/api/query",
            &ask(json!({"type": "sodaCoreHistoricCheckResults2",
                        "checkIdentities": ["29cf3b4e", "0b286aad", "ffffffff"], "limit": 1})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let results = answer.json()["results"].as_array().unwrap().clone();
    let identities: Vec<&str> = results
        .iter()
        .map(|r| r["identity"].as_str().unwrap())
        .collect();
    assert_eq!(identities, ["29cf3b4e", "0b286aad"], "one each, the newest");
    let all = seltzer
        .post(
            "/api/query",
            &ask(
                json!({"type": "sodaCoreHistoricCheckResults2", "checkIdentities": ["29cf3b4e"],
                        "minScanTime": "2026-01-01T00:00:00.000+00:00"}),
            ),
        )
        .await
        .json();
    let times: Vec<&str> = all["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["dataTime"].as_str().unwrap())
        .collect();
    assert_eq!(times.len(), 2, "{all}");
    assert!(times[0] > times[1], "newest first: {times:?}");
    let too_many: Vec<String> = (0..501).map(|i| format!("{i:08x}")).collect();
    seltzer
        .post(
            "/api/query",
            &ask(json!({"type": "sodaCoreHistoricMeasurements2", "metricIdentities": too_many})),
        )
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "at most 500");
}

/// The virtualenv with `soda-core==4.28.0` and `soda-duckdb==4.28.0`.
fn soda4_venv() -> Option<PathBuf> {
    cached_venv("SELTZER_SODA4_VENV", "soda-core-4.28.0", "soda")
}

/// The scenarios of the captured traffic the real CLI runs against Seltzer (those that need no
/// fault injected by a stand-in server), in order: `s02` verifies what `s01` did again.
const SCENARIOS: &[&str] = &[
    "s01_first_verify",
    "s02_second_verify",
    "s03_check_errors",
    "s04_verify_verbose",
    "s05_verify_without_publish",
    "s06_check_filter_partial",
    "s07_contract_publish",
    "s08_contract_fetch",
    "s09_cloud_test",
    "s10_discover",
    "s12_managed_verify_scan_id",
    "s13_managed_discover_batched",
    "s16_identity_after_edits",
    "s17_threshold_shapes",
    "s18_contract_yaml_error",
];

async fn the_real_soda_core_4_publishes_to_seltzer(test_db: TestDb) {
    let Some(venv) = soda4_venv() else {
        return;
    };
    // Publishing a contract takes an editor key.
    let target = SodaCoreTarget::start(&test_db.url, "soda-core 4", Role::Editor).await;
    let (db, key, port) = (&target.db, &target.key, target.port());
    let fixtures = v4_fixture_dir("");
    let work = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    // The warehouse: DuckDB's `main.orders`, made just before (freshness is judged against it).
    let created = Command::new(venv.join("bin/python"))
        .current_dir(work.path())
        .arg("-c")
        .arg(format!(
            "import duckdb; duckdb.connect('shop.duckdb').execute(open({:?}).read())",
            fixtures.join("create_db.sql")
        ))
        .status()
        .unwrap();
    assert!(created.success());
    let run = Command::new(venv.join("bin/python"))
        .arg(fixtures.join("_tools/run_scenarios.py"))
        .arg("--venv")
        .arg(&venv)
        .arg("--work")
        .arg(work.path())
        .arg("--out")
        .arg(out.path())
        .arg("--target")
        .arg(format!("127.0.0.1:{port}:http"))
        .arg("--only")
        .arg(SCENARIOS.join(","))
        .env("SODA_API_KEY_ID", &key.id)
        .env("SODA_API_KEY_SECRET", &key.secret)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    // Each exits as it did against the stand-in for Soda Cloud the traffic was captured from
    // (1: a check failed; never 4, "results not sent"), and says its results were sent.
    for scenario in SCENARIOS {
        let read = |dir: &Path, file: &str| {
            std::fs::read_to_string(dir.join(scenario).join(file))
                .unwrap_or_else(|e| panic!("{scenario}/{file}: {e}"))
        };
        let output = read(out.path(), "soda_output.txt");
        assert_eq!(
            read(out.path(), "exit_code.txt").trim(),
            read(&fixtures, "exit_code.txt").trim(),
            "{scenario}:\n{output}"
        );
        let published = read(&fixtures, "command.txt").contains(" -p");
        assert_eq!(
            output.contains("Results sent to Soda Cloud"),
            published,
            "{scenario}:\n{output}"
        );
    }
    let pool = db.pool();
    let count = |sql: &'static str| async move {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(pool)
            .await
            .unwrap()
    };
    // Nine verifications published (s05 does not publish) and two discoveries (s10, and s13 in
    // batches: start, results, streamed logs, end). (s11 is what Seltzer always answers,
    // no dataset configuration: the driver skips it as a mode of its capture server.) Soda Core
    // 4 stamps a verification with the second it started: one that starts in the same second
    // as the one before, of the same dataset, replaces it (as a Soda Core 3 scan sent again
    // with the same data timestamp does), and the replaced one is on record.
    assert_eq!(
        count("SELECT (SELECT COUNT(*) FROM scans) + (SELECT COUNT(*) FROM scan_overwrites)").await,
        11
    );
    // s08 fetched the contract s07 published, as it was.
    // (Each scenario runs in `<work>/results/<scenario>/`.)
    let fetched = std::fs::read_to_string(
        work.path()
            .join("results/s08_contract_fetch/fetched_contract.yml"),
    )
    .unwrap();
    let published =
        std::fs::read_to_string(fixtures.join("s07_contract_publish/contract.yml")).unwrap();
    assert_eq!(fetched, published);
    // The row count check of s01, s02, s16 (its threshold edited) and s17 is one check.
    assert_eq!(
        count("SELECT COUNT(*) FROM checks WHERE identity = '29cf3b4e'").await,
        1
    );
    // s12 names its scan definition (`SODA_SCAN_DEFINITION`) and keeps the check identities.
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM scans s JOIN scan_definitions d \
             ON d.id = s.scan_definition_id WHERE d.name = 'orders_nightly'"
        )
        .await,
        1
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM scans WHERE contract_file_id IS NULL").await,
        2,
        "every verification names its contract (the discoveries have none)"
    );
    // The batched discovery is one scan of its definition, whose log is what it streamed.
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM scans s JOIN scan_definitions d \
             ON d.id = s.scan_definition_id WHERE d.name = 'shop_discovery' \
             AND s.logs LIKE '%Discovered 1 datasets%'"
        )
        .await,
        1
    );
    target.close().await;
}
