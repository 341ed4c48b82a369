//! Soda Core 4 (`soda contract verify -p`, 4.28.0) replayed from its captured traffic on both
//! engines: contract verifications stored like Soda Core 3's scans, checks identified by
//! `identities.vc1` across runs, honest outcomes (`unevaluated` without a fake 0, `excluded`
//! not stored), the uploaded contract kept with its scan, and Soda Core 4's queries answered.

use axum::http::StatusCode;
use serde_json::json;
use server::IngestConfig;

use crate::support::{Seltzer, TestDb, on_both_engines, replay_v4, v4_fixture_dir};

on_both_engines!(
    a_contract_verification_is_stored_like_a_scan,
    a_second_verification_continues_the_same_checks,
    unevaluated_checks_have_no_value,
    a_partial_run_leaves_excluded_checks_alone,
    a_contract_with_no_checks_is_stored,
    soda_core_4_queries_are_answered,
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
        .authorized(&seltzer.basic_auth(shared::api::Role::Viewer).await)
        .get(format!("/api/scans/{scan_id}"))
        .await;
    assert_eq!(scan.status, StatusCode::OK, "{}", scan.text());
    let scan = scan.json()["scan"].clone();
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
    // The dataset by its qualified name: `main/orders` in the data source `shop`.
    let datasets: Vec<(String, String)> = sqlx::query_as(
        "SELECT s.name, d.name FROM datasets d JOIN data_sources s ON s.id = d.data_source_id",
    )
    .fetch_all(seltzer.db.pool())
    .await
    .unwrap();
    assert_eq!(datasets, [("shop".to_owned(), "main/orders".to_owned())]);
    assert_eq!(seltzer.count("SELECT COUNT(*) FROM checks").await, 12);
    let identities: i64 = seltzer
        .count("SELECT COUNT(*) FROM checks WHERE identity IN ('0b286aad', '29cf3b4e')")
        .await;
    assert_eq!(identities, 2, "checks are filed under identities.vc1");
    // The contract the scan verified, as uploaded.
    let (_, contents) = seltzer.db.contract_of_scan(scan_id).await.unwrap().unwrap();
    let uploaded =
        std::fs::read_to_string(v4_fixture_dir("s01_first_verify").join("contract.yml")).unwrap();
    assert_eq!(contents, uploaded);
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
