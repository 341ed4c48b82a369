//! The editor's backtest on the product's path: every recorded Soda Core 3.5.6 scenario is
//! replayed into Seltzer, then each scenario's own checks file goes through the workbench (the
//! code the editor runs as wasm) with the stored history of each of its checks, fetched from the
//! API as the editor fetches it. With the thresholds unchanged, the backtest must give every
//! stored result the outcome Soda Core gave it; a check Soda Core alone can judge (anomaly,
//! schema, group evolution, group by) must say so rather than guess.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use server::IngestConfig;
use shared::sodacl::workbench::{WorkbenchRequest, run};

use crate::support::{Seltzer, TestDb, fixture_dir, get, on_both_engines, replay, send};

async fn json(seltzer: &Seltzer, path: &str) -> Value {
    let answer = send(&seltzer.app, get_with_key(seltzer, path)).await;
    assert_eq!(answer.status, StatusCode::OK, "{path}");
    answer.json()
}

fn get_with_key(seltzer: &Seltzer, path: &str) -> Request<Body> {
    let mut request = get(path);
    request.headers_mut().insert(
        "authorization",
        crate::support::basic(&seltzer.key_id, &seltzer.secret)
            .parse()
            .unwrap(),
    );
    request
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

on_both_engines!(unchanged_thresholds_reproduce_every_stored_outcome);
