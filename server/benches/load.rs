//! Load benchmark (prints figures, asserts nothing): the read API under 20 concurrent clients
//! over a million check results, on SQLite and PostgreSQL.
//!
//! For each engine: a fresh database is filled by `seltzer::seed` through the real ingest path
//! (1,000 checks × 1,000 scans over 50 datasets), then the real `seltzer serve` binary (release)
//! is started on it, and 20 clients with keep-alive connections call the dashboard's endpoints
//! in turn. Printed: p50 / p99 / max per endpoint, and the server's peak memory (VmHWM).
//!
//!     cargo bench -p server --bench load
//!
//! `SELTZER_LOAD_SCANS` (default 1000) and `SELTZER_LOAD_ROUNDS` (requests per client and
//! endpoint, default 50) scale it down for a quick look; `SELTZER_LOAD_REUSE=1` keeps the seeded
//! databases (`target/load-bench/load.db`, PostgreSQL database `seltzer_load_bench`) and reuses
//! them on the next run; PostgreSQL comes from
//! `SELTZER_TEST_POSTGRES_URL` (default postgres://postgres@127.0.0.1:5432/postgres) and is
//! skipped with a note when unreachable.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use server::Database;
use server::seed::{SeedPlan, seed};
use shared::api::Role;
use sqlx::{AssertSqlSafe, Connection, PgConnection};

const CLIENTS: usize = 20;
const CHECKS: usize = 1_000;
const DATASETS: usize = 50;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// The same `seltzer serve` child the integration tests start.
#[path = "../tests/it/support/serve.rs"]
#[allow(dead_code)]
mod serve;
use serve::RunningServer;

/// Peak and current resident memory of the server process, in MiB.
fn memory_mib(server: &RunningServer) -> (f64, f64) {
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", server.child.id())).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

type HttpClient = Client<HttpConnector, Empty<Bytes>>;

/// The path a client asks for on its n-th request to an endpoint.
type PathFor = Box<dyn Fn(usize) -> String + Send + Sync>;

async fn get(client: &HttpClient, auth: &str, url: &str) -> (u16, Bytes) {
    let request = http::Request::get(url)
        .header("authorization", auth)
        .body(Empty::new())
        .expect("request");
    let response = client.request(request).await.expect("response");
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, body)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

async fn run(engine: &str, database_url: &str) {
    let scans = env_usize("SELTZER_LOAD_SCANS", 1_000);
    let rounds = env_usize("SELTZER_LOAD_ROUNDS", 50);

    let db = Database::connect(database_url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let (_, seeded) = db
        .list_scans(&server::storage::ScanFilter::default(), 0, 1)
        .await
        .expect("count scans");
    if seeded >= i64::try_from(scans).unwrap_or(i64::MAX) {
        println!("{engine}: reusing {seeded} seeded scans");
    } else {
        let plan = SeedPlan::new(CHECKS, scans, DATASETS, server::timestamp::now());
        let summary = seed(&db, &plan, |index, _| {
            if (index + 1) % 100 == 0 {
                eprintln!("  {engine}: {} / {scans} scans seeded", index + 1);
            }
        })
        .await
        .expect("seed");
        println!(
            "{engine}: seeded {} check results in {:.0} s ({:.0}/s through the ingest path)",
            summary.results,
            summary.seconds,
            summary.results as f64 / summary.seconds
        );
    }
    if db.engine() == shared::api::DatabaseEngine::Postgres {
        // Right after a bulk load nothing is vacuumed or analysed yet: every index lookup
        // visits the heap and plans use empty statistics. Autovacuum gets there on its own
        // within minutes; the benchmark measures that steady state, not the minutes before it.
        sqlx::query("VACUUM ANALYZE")
            .execute(db.pool())
            .await
            .expect("vacuum");
    }
    let key = db
        .create_api_key("load-bench", Role::Viewer)
        .await
        .expect("api key");
    db.close().await;

    let server = RunningServer::start(database_url, &[]);
    let base = format!("http://{}", server.addr);
    let auth = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{}:{}", key.id, key.secret)
        )
    );
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();

    // Ids to ask about.
    let (status, body) = get(&client, &auth, &format!("{base}/api/checks?size=100")).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let list: Value = serde_json::from_slice(&body).expect("json");
    let check_ids: Vec<i64> = list["content"]
        .as_array()
        .or_else(|| list["items"].as_array())
        .expect("checks")
        .iter()
        .filter_map(|c| c["id"].as_i64())
        .collect();
    let (_, body) = get(&client, &auth, &format!("{base}/api/v1/datasets?size=100")).await;
    let datasets: Value = serde_json::from_slice(&body).expect("json");
    let dataset_ids: Vec<String> = datasets["content"]
        .as_array()
        .expect("datasets")
        .iter()
        .filter_map(|d| {
            d["id"]
                .as_str()
                .map(str::to_owned)
                .or_else(|| d["id"].as_i64().map(|i| i.to_string()))
        })
        .collect();
    assert!(!check_ids.is_empty() && !dataset_ids.is_empty());

    let endpoints: Vec<(&str, PathFor)> = vec![
        (
            "GET /api/checks (page of 50, by name)",
            Box::new(|i| format!("/api/checks?size=50&page={}", i % 20)),
        ),
        (
            "GET /api/checks?outcome=fail&sort=value",
            Box::new(|_| "/api/checks?outcome=fail&sort=value&order=desc".to_owned()),
        ),
        (
            "GET /api/checks?search=…",
            Box::new(|i| format!("/api/checks?search=col_{}", i % 40)),
        ),
        (
            "GET /api/v1/checks (Soda Cloud v1)",
            Box::new(|i| format!("/api/v1/checks?size=100&page={}", i % 10)),
        ),
        (
            "GET /api/v1/datasets",
            Box::new(|_| "/api/v1/datasets?size=50".to_owned()),
        ),
        (
            "GET /api/datasets?trend=20 (the datasets page)",
            Box::new(|_| "/api/datasets?size=500&trend=20".to_owned()),
        ),
        ("GET /api/checks/{id}/history?days=90", {
            let ids = check_ids.clone();
            Box::new(move |i| format!("/api/checks/{}/history?days=90", ids[i % ids.len()]))
        }),
        ("GET /api/datasets/{id} (status, health)", {
            let ids = dataset_ids.clone();
            Box::new(move |i| format!("/api/datasets/{}", ids[i % ids.len()]))
        }),
        (
            "GET /api/scans",
            Box::new(|_| "/api/scans?size=50".to_owned()),
        ),
    ];
    let endpoints = Arc::new(endpoints);

    // Warm-up: one round, not measured.
    for (_, path) in endpoints.iter() {
        let (status, body) = get(&client, &auth, &format!("{base}{}", path(0))).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    }

    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let client = client.clone();
        let auth = auth.clone();
        let base = base.clone();
        let endpoints = Arc::clone(&endpoints);
        tasks.push(tokio::spawn(async move {
            let mut timings: Vec<Vec<Duration>> = vec![Vec::new(); endpoints.len()];
            for round in 0..rounds {
                for (e, (_, path)) in endpoints.iter().enumerate() {
                    let url = format!("{base}{}", path(c * rounds + round));
                    let t = Instant::now();
                    let (status, _) = get(&client, &auth, &url).await;
                    timings[e].push(t.elapsed());
                    assert_eq!(status, 200, "{url}");
                }
            }
            timings
        }));
    }
    let mut all: Vec<Vec<Duration>> = vec![Vec::new(); endpoints.len()];
    for task in tasks {
        for (e, t) in task.await.expect("client").into_iter().enumerate() {
            all[e].extend(t);
        }
    }
    let elapsed = started.elapsed();
    let (peak, rss) = memory_mib(&server);
    let total: usize = all.iter().map(Vec::len).sum();
    println!(
        "{engine}: {total} requests from {CLIENTS} clients in {:.1} s ({:.0} requests/s); server memory peak {peak:.0} MiB, now {rss:.0} MiB",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    println!("| endpoint | requests | p50 ms | p99 ms | max ms |");
    println!("| --- | --- | --- | --- | --- |");
    for (e, (name, _)) in endpoints.iter().enumerate() {
        let mut t = all[e].clone();
        t.sort();
        println!(
            "| {name} | {} | {} | {} | {} |",
            t.len(),
            ms(percentile(&t, 50.0)),
            ms(percentile(&t, 99.0)),
            ms(*t.last().unwrap_or(&Duration::ZERO))
        );
    }
    println!();
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let reuse = std::env::var("SELTZER_LOAD_REUSE").is_ok_and(|v| v == "1");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/load-bench");
        if !reuse {
            let _ = std::fs::remove_dir_all(&dir);
        }
        std::fs::create_dir_all(&dir).expect("bench directory");
        let sqlite = format!("sqlite://{}", dir.join("load.db").display());
        run("SQLite", &sqlite).await;

        let admin_url = std::env::var("SELTZER_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        match PgConnection::connect(&admin_url).await {
            Ok(mut admin) => {
                let name = "seltzer_load_bench";
                let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                if !reuse {
                    sqlx::query(AssertSqlSafe(drop.clone()))
                        .execute(&mut admin)
                        .await
                        .expect("drop");
                }
                // Already there when reused.
                let _ = sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await;
                let url = match admin_url.rsplit_once('/') {
                    Some((base, _)) => format!("{base}/{name}"),
                    None => admin_url.clone(),
                };
                run("PostgreSQL", &url).await;
                if !reuse {
                    let _ = sqlx::query(AssertSqlSafe(drop)).execute(&mut admin).await;
                }
            }
            Err(e) => println!("PostgreSQL skipped: {e}"),
        }
    });
}
