//! Notification benchmark (not a test: it prints figures, it asserts nothing about speed).
//!
//! Eight clients send scans of 200 checks (one in ten failing) through the real router while the
//! sender delivers to a real HTTP receiver on this machine:
//! - latency: from a scan acknowledged to its webhook message received, p50 and p99, with one
//!   rule;
//! - the ingest throughput with 50 rules against none (what deciding and writing the messages
//!   in each scan's transaction costs); the rules filter by dataset, check name or owner, half
//!   of them `onChange`, one covering every check.
//!
//!     cargo bench -p server --bench notify
//!
//! SQLite always; PostgreSQL too when `SELTZER_TEST_POSTGRES_URL` (default
//! postgres://postgres@127.0.0.1:5432/postgres) is reachable.

// A benchmark that meets an unexpected error should stop right there.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::Request;
use serde_json::{Value, json};
use server::http::assets::Assets;
use server::notify::spawn_sender;
use server::{AppState, Database, IngestConfig, NotifyConfig, router};
use shared::api::{ChannelType, NewChannel, Role, RuleDefinition};
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use tower::ServiceExt;

const CLIENTS: usize = 8;
const SCANS_PER_CLIENT: usize = 10;
const CHECKS_PER_SCAN: usize = 200;

/// Arrival times of messages, by the data timestamp of their scan.
type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

async fn receive(State(arrivals): State<Arrivals>, body: Bytes) -> &'static str {
    let now = Instant::now();
    if let Ok(event) = serde_json::from_slice::<Value>(&body)
        && let Some(at) = event["scan"]["dataTimestamp"].as_str()
    {
        arrivals.lock().unwrap().entry(at.to_owned()).or_insert(now);
    }
    "ok"
}

/// A receiver on a loopback port; its URL.
async fn receiver(arrivals: Arrivals) -> String {
    let app = axum::Router::new().fallback(receive).with_state(arrivals);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// Scan `n` of a client: 200 checks of its own (each client's scans are each check's newest,
/// as a scan that arrives after a newer one is a backfill and tells no one), in one dataset
/// for all, every tenth failing.
fn scan(token: &str, client: usize, n: usize) -> (String, Value) {
    let at = format!("2026-11-01T{n:02}:{client:02}:00Z");
    let checks: Vec<Value> = (0..CHECKS_PER_SCAN)
        .map(|i| {
            let id = format!("bench{client}-{i:05}");
            json!({"identity": id, "identities": {"v3": id}, "name": format!("check {i}"),
                   "table": "orders", "outcome": if i % 10 == 0 { "fail" } else { "pass" },
                   "diagnostics": {"value": i}})
        })
        .collect();
    let doc = json!({
        "type": "sodaCoreInsertScanResults", "token": token,
        "definitionName": format!("bench-{client}"), "defaultDataSource": "shop",
        "dataTimestamp": at, "scanStartTimestamp": at, "scanEndTimestamp": at,
        "hasErrors": false, "hasWarnings": false, "hasFailures": true,
        "metrics": [], "logs": [], "checks": checks,
    });
    (at, doc)
}

async fn post(app: &axum::Router, body: &Value) -> Value {
    let request = Request::post("/api/command")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    assert!(status.is_success(), "{}", String::from_utf8_lossy(&bytes));
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

struct Run {
    seconds: f64,
    /// Acknowledgement time of each scan, by data timestamp.
    acks: HashMap<String, Instant>,
}

/// Eight clients, ten scans each, against a Seltzer with `rules` rules (the first matching
/// every failure, the others other datasets or names) sending to `url`.
async fn run(database_url: &str, rules: usize, url: &str) -> Run {
    let db = Database::connect(database_url).await.unwrap();
    db.migrate().await.unwrap();
    let key = db.create_api_key("bench", Role::Viewer).await.unwrap();
    let channel = NewChannel {
        name: "hook".to_owned(),
        channel_type: ChannelType::Webhook,
        url: url.to_owned(),
        headers: Default::default(),
        secret: Some("bench secret".to_owned()),
        email: None,
        incidents: false,
    };
    let channel_id = db.create_channel(&channel).await.unwrap().unwrap();
    for r in 0..rules {
        // A mix as teams write them: by dataset, by check name, by owner; every result or
        // on change (which reads what it told before).
        let filter = if r == 0 {
            json!({})
        } else if r % 3 == 0 {
            json!({"dataset": format!("other_{r}")})
        } else if r % 3 == 1 {
            json!({"checkName": format!("nothing {r}*")})
        } else {
            json!({"attributes": {"owner": format!("team {r}")}})
        };
        let mode = if r % 2 == 0 {
            "everyResult"
        } else {
            "onChange"
        };
        let rule: RuleDefinition = serde_json::from_value(json!({
            "name": format!("rule {r}"), "channelIds": [channel_id], "outcomes": ["fail"],
            "mode": mode, "recovery": true, "filter": filter,
        }))
        .unwrap();
        db.create_rule(&rule).await.unwrap();
    }
    let notify = NotifyConfig {
        public_url: Some("https://seltzer.example.com".to_owned()),
        ..NotifyConfig::default()
    };
    let state =
        AppState::new(db.clone(), Assets::Embedded, IngestConfig::default()).with_notify(notify);
    // `SELTZER_BENCH_NO_SENDER=1`: messages are decided and stored, not sent (what storing
    // them costs ingest, apart from the sender's writes).
    let sender = std::env::var_os("SELTZER_BENCH_NO_SENDER")
        .is_none()
        .then(|| spawn_sender(db.clone(), state.notify.clone(), state.wake_sender.clone()));
    let app = router(state);
    let login = json!({"type": "login", "apiKeyId": key.id, "apiKeySecret": key.secret});
    let token = post(&app, &login).await["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let started = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for client in 0..CLIENTS {
        let (app, token) = (app.clone(), token.clone());
        clients.spawn(async move {
            let mut acks = Vec::new();
            for n in 0..SCANS_PER_CLIENT {
                let (at, doc) = scan(&token, client, n);
                post(&app, &doc).await;
                acks.push((at, Instant::now()));
            }
            acks
        });
    }
    let acks: HashMap<String, Instant> = clients.join_all().await.into_iter().flatten().collect();
    let seconds = started.elapsed().as_secs_f64();
    // Let the sender finish before the next run starts.
    tokio::time::sleep(Duration::from_secs(2)).await;
    if let Some(sender) = sender {
        sender.abort();
    }

    db.close().await;
    Run { seconds, acks }
}

/// Zero when nothing arrived (no sender).
fn percentile(sorted: &[Duration], pct: usize) -> Duration {
    sorted
        .get((sorted.len() * pct / 100).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

async fn engine(name: &str, url: impl Fn(&str) -> String) {
    let arrivals: Arrivals = Arc::default();
    let hook = receiver(arrivals.clone()).await;
    let scans = (CLIENTS * SCANS_PER_CLIENT) as f64;

    let one = run(&url("one"), 1, &hook).await;
    let arrived = arrivals.lock().unwrap().clone();
    let mut latencies: Vec<Duration> = one
        .acks
        .iter()
        .filter_map(|(at, ack)| Some(arrived.get(at)?.saturating_duration_since(*ack)))
        .collect();
    latencies.sort();
    // Alternately, twice each: the machine's speed drifts within a run.
    let mut without = Vec::new();
    let mut with = Vec::new();
    for round in 0..2 {
        without.push(scans / run(&url(&format!("none{round}")), 0, &hook).await.seconds);
        with.push(scans / run(&url(&format!("fifty{round}")), 50, &hook).await.seconds);
    }
    println!(
        "{name}: {} of {} messages received; scan acknowledged → webhook received p50 {:.1} ms, \
         p99 {:.1} ms",
        latencies.len(),
        one.acks.len(),
        percentile(&latencies, 50).as_secs_f64() * 1000.0,
        percentile(&latencies, 99).as_secs_f64() * 1000.0,
    );
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (a, b) = (mean(&without), mean(&with));
    println!(
        "{name}: ingest {a:.1} scans/s without rules ({:.1}, {:.1}), {b:.1} with 50 rules \
         ({:.1}, {:.1}): {:+.1} %; {CLIENTS} clients, {CHECKS_PER_SCAN} checks a scan",
        without[0],
        without[1],
        with[0],
        with[1],
        (b / a - 1.0) * 100.0
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    engine("SQLite", |run| {
        format!(
            "sqlite://{}",
            dir.path().join(format!("{run}.db")).display()
        )
    })
    .await;

    let admin = std::env::var("SELTZER_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let Ok(mut conn) = PgConnection::connect(&admin).await else {
        println!("PostgreSQL: skipped, {admin} is not reachable");
        return;
    };
    let base = admin
        .rsplit_once('/')
        .map_or(admin.as_str(), |(b, _)| b)
        .to_owned();
    let prefix = format!("seltzer_bench_notify_{}", std::process::id());
    let runs = ["one", "none0", "fifty0", "none1", "fifty1"];
    for run in runs {
        let sql = format!("CREATE DATABASE {prefix}_{run}");
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    engine("PostgreSQL", |run| format!("{base}/{prefix}_{run}")).await;
    for run in runs {
        let sql = format!("DROP DATABASE IF EXISTS {prefix}_{run} WITH (FORCE)");
        let _ = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await;
    }
}
