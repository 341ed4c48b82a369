//! Ingest benchmark (not a test: it prints figures, it asserts nothing about speed).
//!
//! Replays the recorded `s01_first_scan` payload scaled to 1,000 checks per scan from 8
//! concurrent clients through the real router (JSON parsing, token check, the one-transaction
//! store), on SQLite and on PostgreSQL. In the same run it measures the ceiling: a plain batched
//! sqlx insert of the same number of check result rows.
//!
//!     cargo bench -p server --bench ingest
//!
//! PostgreSQL: `SELTZER_TEST_POSTGRES_URL` (default postgres://postgres@127.0.0.1:5432/postgres);
//! skipped with a note when unreachable.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};
use server::http::assets::Assets;
use server::ingest::IngestConfig;
use server::{AppState, Database, router};
use shared::api::Role;
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use tower::ServiceExt;

const CHECKS_PER_SCAN: usize = 1_000;
const CLIENTS: usize = 8;
const SCANS_PER_CLIENT: usize = 5;

fn template() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/soda-core-3.5.6/s01_first_scan/scan_results.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

/// The recorded scan with its checks repeated (distinct identities, one metric each) to 1,000.
fn scaled_scan(template: &Value, client: usize, scan: usize, token: &str) -> Value {
    let mut doc = template.clone();
    let checks = template["checks"].as_array().expect("checks");
    let mut out_checks = Vec::with_capacity(CHECKS_PER_SCAN);
    let mut out_metrics = Vec::with_capacity(CHECKS_PER_SCAN);
    for i in 0..CHECKS_PER_SCAN {
        let mut check = checks[i % checks.len()].clone();
        let id = format!("{client:02x}{i:06x}");
        check["identity"] = json!(id);
        check["identities"] = json!({"v1": format!("v1{id}"), "v2": format!("v2{id}"), "v3": id});
        check["name"] = json!(format!(
            "{} #{i}",
            check["name"].as_str().unwrap_or("check")
        ));
        let metric = format!("metric-bench-{client}-{i}");
        check["metrics"] = json!([metric]);
        out_metrics.push(json!({"identity": metric, "metricName": "row_count", "value": i}));
        out_checks.push(check);
    }
    doc["checks"] = Value::Array(out_checks);
    doc["metrics"] = Value::Array(out_metrics);
    doc["definitionName"] = json!(format!("bench_client_{client}"));
    doc["dataTimestamp"] = json!(format!("2026-10-{:02}T06:00:00+00:00", scan % 28 + 1));
    doc["scanStartTimestamp"] = json!(format!("2026-10-{:02}T06:00:00+00:00", scan % 28 + 1));
    doc["type"] = json!("sodaCoreInsertScanResults");
    doc["token"] = json!(token);
    doc
}

struct Figures {
    results_per_sec: f64,
    p50: Duration,
    p99: Duration,
    /// One client alone, scans one after the other.
    alone_p50: Duration,
    alone_p99: Duration,
}

fn percentile(sorted: &[Duration], pct: usize) -> Duration {
    sorted[(sorted.len() * pct / 100).min(sorted.len() - 1)]
}

async fn send_scan(app: &axum::Router, body: String) -> Duration {
    let t = Instant::now();
    let request = Request::post("/api/command")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    assert!(response.status().is_success(), "{}", response.status());
    t.elapsed()
}

async fn replay(url: &str) -> Figures {
    let db = Database::connect(url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let key = db.create_api_key("bench", Role::Viewer).await.expect("key");
    let token = db
        .login(&key.id, &key.secret, 3_600_000)
        .await
        .expect("login")
        .expect("token")
        .token;
    let app = router(AppState::new(
        db.clone(),
        Assets::Embedded,
        IngestConfig::default(),
    ));
    let template = template();
    let bodies: Vec<Vec<String>> = (0..CLIENTS)
        .map(|c| {
            (0..SCANS_PER_CLIENT)
                .map(|s| scaled_scan(&template, c, s, &token).to_string())
                .collect()
        })
        .collect();
    let started = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for scans in bodies {
        let app = app.clone();
        clients.spawn(async move {
            let mut latencies = Vec::new();
            for body in scans {
                latencies.push(send_scan(&app, body).await);
            }
            latencies
        });
    }
    let mut latencies: Vec<Duration> = clients.join_all().await.into_iter().flatten().collect();
    let elapsed = started.elapsed();
    latencies.sort();
    let total = (CLIENTS * SCANS_PER_CLIENT * CHECKS_PER_SCAN) as f64;
    let mut alone = Vec::new();
    for scan in 0..20 {
        let body = scaled_scan(&template, CLIENTS, SCANS_PER_CLIENT + scan, &token).to_string();
        alone.push(send_scan(&app, body).await);
    }
    alone.sort();
    db.close().await;
    Figures {
        results_per_sec: total / elapsed.as_secs_f64(),
        p50: percentile(&latencies, 50),
        p99: percentile(&latencies, 99),
        alone_p50: percentile(&alone, 50),
        alone_p99: percentile(&alone, 99),
    }
}

/// The ceiling: the same number of check result rows in plain multi-row INSERTs (100 rows a
/// statement), one transaction per 1,000 rows; no parsing, no rollups.
async fn ceiling(url: &str) -> f64 {
    let db = Database::connect(url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let pool = db.pool();
    sqlx::query("INSERT INTO data_sources (name) VALUES ('bench')")
        .execute(pool)
        .await
        .expect("data source");
    sqlx::query("INSERT INTO scan_definitions (name) VALUES ('bench')")
        .execute(pool)
        .await
        .expect("definition");
    let scan_id: i64 = sqlx::query_scalar(
        "INSERT INTO scans (scan_definition_id, default_data_source, data_timestamp, \
         scan_start_timestamp, scan_end_timestamp, received_at, has_errors, has_warnings, \
         has_failures, pass_count, warn_count, fail_count, not_evaluated_count, error_count, logs, \
         payload) VALUES (1, 'bench', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '[]', '{}') RETURNING id",
    )
    .fetch_one(pool)
    .await
    .expect("scan");
    let check_id: i64 = sqlx::query_scalar(
        "INSERT INTO checks (identity, data_source_id, name, check_type, definition, attributes, \
         metrics, created_at) VALUES ('bench', 1, 'bench', 'generic', '', '[]', '[]', 0) RETURNING id",
    )
    .fetch_one(pool)
    .await
    .expect("check");
    let diagnostics = r#"{"blocks":[],"value":7,"fail":{"lessThanOrEqual":0.0}}"#;
    let batch = 100;
    let mut sql = String::from(
        "INSERT INTO check_results (check_id, scan_id, data_timestamp, outcome, value, \
         diagnostics, name, definition) VALUES ",
    );
    // Anonymous placeholders on SQLite, as Seltzer's own batches use (see storage/batch.rs).
    let sqlite = url.starts_with("sqlite:");
    let mut n = 0;
    let mut next = || {
        n += 1;
        if sqlite {
            "?".to_owned()
        } else {
            format!("${n}")
        }
    };
    for r in 0..batch {
        if r > 0 {
            sql.push(',');
        }
        let p: Vec<String> = (0..8).map(|_| next()).collect();
        sql.push_str(&format!(
            "({}, {}, {}, {}, CAST({} AS DOUBLE PRECISION), {}, {}, {})",
            p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]
        ));
    }
    let rows = CLIENTS * SCANS_PER_CLIENT * CHECKS_PER_SCAN;
    let started = Instant::now();
    for chunk in 0..rows / CHECKS_PER_SCAN {
        let mut tx = pool.begin().await.expect("begin");
        for part in 0..CHECKS_PER_SCAN / batch {
            let mut q = sqlx::query(AssertSqlSafe(sql.clone()));
            for r in 0..batch {
                let n = i64::try_from(chunk * CHECKS_PER_SCAN + part * batch + r).unwrap_or(0);
                q = q
                    .bind(check_id)
                    .bind(scan_id)
                    .bind(n)
                    .bind("pass")
                    .bind(Some(n.to_string()))
                    .bind(diagnostics)
                    .bind("row_count > 0")
                    .bind("checks for orders:\n  row_count > 0");
            }
            q.execute(&mut *tx).await.expect("insert");
        }
        tx.commit().await.expect("commit");
    }
    let per_sec = rows as f64 / started.elapsed().as_secs_f64();
    db.close().await;
    per_sec
}

/// A fresh PostgreSQL database: (admin URL, name, URL).
async fn postgres_database(suffix: &str) -> Option<(String, String, String)> {
    let admin = std::env::var("SELTZER_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let mut conn = PgConnection::connect(&admin).await.ok()?;
    let name = format!("seltzer_bench_{}_{suffix}", std::process::id());
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .ok()?;
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    let url = format!("{base}/{name}");
    Some((admin, name, url))
}

async fn drop_postgres(admin: &str, name: &str) {
    if let Ok(mut conn) = PgConnection::connect(admin).await {
        let _ = sqlx::query(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await;
    }
}

fn report(engine: &str, f: &Figures, ceiling: f64) {
    println!(
        "{engine:<9} ingest {:>7.0} check results/s | ceiling {:>7.0}/s | {:>3.0} % of ceiling | \
         1,000-check scan acknowledged in p50 {} ms, p99 {} ms under load; \
         alone p50 {} ms, p99 {} ms",
        f.results_per_sec,
        ceiling,
        100.0 * f.results_per_sec / ceiling,
        f.p50.as_millis(),
        f.p99.as_millis(),
        f.alone_p50.as_millis(),
        f.alone_p99.as_millis()
    );
}

#[tokio::main]
async fn main() {
    println!(
        "ingest benchmark: {CLIENTS} clients x {SCANS_PER_CLIENT} scans x {CHECKS_PER_SCAN} checks \
         (the s01 payload scaled)"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
    let figures = replay(&sqlite("bench.db")).await;
    report("sqlite", &figures, ceiling(&sqlite("ceiling.db")).await);

    match postgres_database("replay").await {
        Some((admin, name, url)) => {
            let figures = replay(&url).await;
            drop_postgres(&admin, &name).await;
            let (admin, name, url) = postgres_database("ceiling")
                .await
                .expect("a second database");
            let ceil = ceiling(&url).await;
            drop_postgres(&admin, &name).await;
            report("postgres", &figures, ceil);
        }
        None => println!("postgres  skipped: no PostgreSQL reachable"),
    }
}
