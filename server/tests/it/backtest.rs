//! The editor's backtest on the product's path: every recorded Soda Core 3.5.6 scenario is
//! replayed into Seltzer, then each scenario's own checks file goes through the workbench (the
//! code the editor runs as wasm) with the stored history of each of its checks, fetched from the
//! API as the editor fetches it. With the thresholds unchanged, the backtest must give every
//! stored result the outcome Soda Core gave it; a check Soda Core alone can judge (anomaly,
//! schema, group evolution, group by) must say so rather than guess.

use axum::http::StatusCode;
use serde_json::Value;
use server::IngestConfig;
use shared::api::Role;
use shared::sodacl::workbench::{WorkbenchRequest, run};

use crate::support::{
    RunningServer, Seltzer, ServedSeltzer, TestDb, fixture_dir, on_both_engines, replay,
};

/// A GET with the test Seltzer's own key, as the editor's API calls are authenticated.
async fn json(seltzer: &Seltzer, path: &str) -> Value {
    let auth = crate::support::basic(&seltzer.key_id, &seltzer.secret);
    let answer = seltzer
        .request("GET", path, &[("authorization", &auth)], None)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{path}");
    answer.json()
}

async fn unchanged_thresholds_reproduce_every_stored_outcome(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let mut scenarios: Vec<String> = std::fs::read_dir(fixture_dir(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with('s') && fixture_dir(name).join("checks.yml").is_file())
        .collect();
    scenarios.sort();
    for scenario in &scenarios {
        replay(&seltzer, scenario).await;
    }
    let mut compared = 0;
    let mut differences = Vec::new();
    let mut unjudged = Vec::new();
    for scenario in &scenarios {
        let text = std::fs::read_to_string(fixture_dir(scenario).join("checks.yml")).unwrap();
        let first = run(&WorkbenchRequest {
            text: text.clone(),
            file_name: "checks.yml".to_owned(),
            data_source: "shop".to_owned(),
            ..WorkbenchRequest::default()
        });
        let identities: Vec<String> = first
            .checks
            .iter()
            .filter_map(|c| c.identity.clone())
            .collect();
        let mut request = WorkbenchRequest {
            text,
            file_name: "checks.yml".to_owned(),
            data_source: "shop".to_owned(),
            ..WorkbenchRequest::default()
        };
        let mut outcomes = std::collections::BTreeMap::new();
        for identity in identities {
            let list = json(&seltzer, &format!("/api/checks?identity={identity}")).await;
            let Some(check) = list["items"].as_array().and_then(|items| items.first()) else {
                continue;
            };
            let history = json(&seltzer, &format!("/api/checks/{}/history", check["id"])).await;
            let points = history["points"].as_array().unwrap();
            request.histories.insert(
                identity.clone(),
                points.iter().map(|p| p["value"].as_f64()).collect(),
            );
            outcomes.insert(
                identity,
                points
                    .iter()
                    .map(|p| p["outcome"].as_str().map(str::to_owned))
                    .collect::<Vec<_>>(),
            );
        }
        let report = run(&request);
        for check in &report.checks {
            let Some(identity) = &check.identity else {
                continue;
            };
            let Some(stored) = outcomes.get(identity) else {
                continue;
            };
            let Some(backtest) = &check.backtest else {
                unjudged.push(format!("{scenario}:{}: {}", check.line, check.name));
                continue;
            };
            for (i, (want, got)) in stored.iter().zip(backtest).enumerate() {
                let got = got.map(|o| o.as_str().to_owned());
                // A result Soda Core did not evaluate has no outcome to reproduce.
                if want.is_none() {
                    continue;
                }
                compared += 1;
                if *want != got {
                    differences.push(format!(
                        "{scenario}:{}: {} result {i}: value {:?}, Soda Core {want:?}, backtest {got:?}",
                        check.line, check.name, request.histories[identity][i]
                    ));
                }
            }
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {compared} differ:\n{}",
        differences.len(),
        differences.join("\n")
    );
    assert!(compared >= 100, "only {compared} results compared");
    eprintln!("{compared} stored outcomes reproduced; not backtested: {unjudged:?}");
}

/// `seltzer backtest`, the real binary against a real `seltzer serve` holding the 14 days of
/// history Soda Core sent in s12: the deployed file judges every stored result as Soda Core
/// did; an edited threshold, paired with the deployed file's history, shows what would change,
/// and `--fail-on-change` fails the pipeline.
async fn the_command_line_backtest_reads_history_through_the_api(test_db: TestDb) {
    let db = server::Database::connect(&test_db.url).await.unwrap();
    db.migrate().await.unwrap();
    let key = db.create_api_key("pipeline", Role::Viewer).await.unwrap();
    let served = RunningServer::start(&test_db.url, &[]);
    let link = ServedSeltzer {
        server: &served,
        key_id: key.id.clone(),
        secret: key.secret.clone(),
    };
    replay(&link, "s12_history_backfill").await;
    let dir = tempfile::tempdir().unwrap();
    let deployed_dir = dir.path().join("deployed");
    std::fs::create_dir(&deployed_dir).unwrap();
    let text =
        std::fs::read_to_string(fixture_dir("s12_history_backfill").join("checks.yml")).unwrap();
    // Soda Core's identities include the file's base name: both copies are `checks.yml`.
    let deployed = deployed_dir.join("checks.yml");
    std::fs::write(&deployed, &text).unwrap();
    let edited = dir.path().join("checks.yml");
    std::fs::write(&edited, text.replace("row_count > 0", "row_count > 100")).unwrap();
    let backtest = |args: &[&std::ffi::OsStr], secret: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_seltzer"))
            .arg("backtest")
            .args(["--url", &served.url(""), "--api-key-id", &key.id])
            .args([
                "--api-key-secret",
                secret,
                "-d",
                "shop",
                "--var",
                "SCAN_DATE=2026-11-22",
            ])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let json = |stdout: &str| -> Value { serde_json::from_str(stdout).unwrap() };
    let check = |report: &Value, name: &str| -> Value {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {report}"))
            .clone()
    };

    // The deployed file: every stored result judged as Soda Core judged it.
    let (code, stdout, stderr) = backtest(
        &["--format".as_ref(), "json".as_ref(), deployed.as_os_str()],
        &key.secret,
    );
    assert_eq!(code, Some(0), "{stderr}");
    let report = json(&stdout);
    let rows = check(&report, "row_count > 0");
    assert_eq!(rows["results"], 14, "{rows}");
    assert_eq!(rows["changed"], 0, "{rows}");
    let change = check(&report, "change for row_count < 50");
    assert!(change["results"].as_u64().unwrap() >= 13, "{change}");
    assert_eq!(change["changed"], 0, "{change}");
    let anomaly = check(&report, "anomaly detection for row_count");
    assert!(anomaly["notBacktested"].as_str().is_some(), "{anomaly}");
    assert!(
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["changed"] == 0)
    );

    // The edited threshold, against the deployed file's history: some results would fail.
    let (code, stdout, stderr) = backtest(
        &[
            "--format".as_ref(),
            "json".as_ref(),
            "--fail-on-change".as_ref(),
            "--against".as_ref(),
            deployed.as_os_str(),
            edited.as_os_str(),
        ],
        &key.secret,
    );
    assert_eq!(code, Some(1), "{stderr}");
    let stricter = check(&json(&stdout), "row_count > 100");
    assert_eq!(stricter["results"], 14, "{stricter}");
    let changed = stricter["changed"].as_u64().unwrap();
    assert!(changed > 0, "{stricter}");
    assert_eq!(stricter["before"]["pass"], 14, "{stricter}");
    assert_eq!(stricter["after"]["fail"], changed, "{stricter}");

    // The text report says the same; without --fail-on-change the exit code is 0.
    let (code, stdout, _) = backtest(
        &[
            "--against".as_ref(),
            deployed.as_os_str(),
            edited.as_os_str(),
        ],
        &key.secret,
    );
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains(&format!(
            "row_count > 100: 14 stored results, {changed} would change"
        )),
        "{stdout}"
    );

    // A wrong secret is a connection problem: exit 2, saying why.
    let (code, _, stderr) = backtest(&[edited.as_os_str()], "wrong");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("401"), "{stderr}");
    db.close().await;
}

on_both_engines!(
    unchanged_thresholds_reproduce_every_stored_outcome,
    the_command_line_backtest_reads_history_through_the_api,
);
