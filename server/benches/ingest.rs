//! Ingest benchmark (not a test: it prints figures, it asserts nothing about speed).
//!
//! Replays the recorded `s01_first_scan` payload scaled to 1,000 checks per scan from 8
//! concurrent clients through the real router (JSON parsing, token check, the one-transaction
//! store), on SQLite and on PostgreSQL. In the same run it measures the ceiling: the same rows
//! (scan with payload, check results, measurements) written by plain batched sqlx inserts from
//! the same 8 clients.
//!
//!     cargo bench -p server --bench ingest
//!
//! PostgreSQL: `SELTZER_TEST_POSTGRES_URL` (default postgres://postgres@127.0.0.1:5432/postgres);
//! skipped with a note when unreachable.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};
use server::IngestConfig;
use server::http::assets::Assets;
use server::{AppState, Database, router};
use sha2::{Digest, Sha256};
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
    /// CPU time Seltzer's own code took per scan under load (the database's is not counted).
    seltzer_cpu_per_scan: Duration,
    p50: Duration,
    p99: Duration,
    /// Under load, each client's first scan (it creates the client's 1,000 checks) apart from
    /// the later ones (the checks exist): the p99 over all scans is set by the first ones.
    first_scans_p50: Duration,
    first_scans_max: Duration,
    later_scans_p50: Duration,
    later_scans_p99: Duration,
    /// One client alone, scans one after the other.
    alone_p50: Duration,
    alone_p99: Duration,
}

/// CPU time (user + system) this process has used so far, from /proc (Linux).
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    let ticks: u64 = fields.iter().sum();
    Duration::from_millis(ticks * 10) // USER_HZ is 100 on Linux
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
    let cpu_before = process_cpu();
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
    let per_client = clients.join_all().await;
    let elapsed = started.elapsed();
    let seltzer_cpu = process_cpu() - cpu_before;
    let mut first: Vec<Duration> = per_client
        .iter()
        .filter_map(|l| l.first())
        .copied()
        .collect();
    let mut later: Vec<Duration> = per_client
        .iter()
        .flat_map(|l| l.iter().skip(1))
        .copied()
        .collect();
    let mut latencies: Vec<Duration> = per_client.into_iter().flatten().collect();
    first.sort();
    later.sort();
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
        seltzer_cpu_per_scan: seltzer_cpu / u32::try_from(CLIENTS * SCANS_PER_CLIENT).unwrap_or(1),
        p50: percentile(&latencies, 50),
        p99: percentile(&latencies, 99),
        first_scans_p50: percentile(&first, 50),
        first_scans_max: first.last().copied().unwrap_or_default(),
        later_scans_p50: percentile(&later, 50),
        later_scans_p99: percentile(&later, 99),
        alone_p50: percentile(&alone, 50),
        alone_p99: percentile(&alone, 99),
    }
}

/// One scan's rows for the ceiling, every value already rendered.
struct PreparedScan {
    data_timestamp: i64,
    logs: String,
    payload: String,
    results: Vec<ResultValues>,
    /// (metric identity, metric name, value as text).
    measurements: Vec<(String, String, Option<String>)>,
}

/// A check's row as the replay's first scan of a client writes it (every described column).
struct CheckValues {
    identity: String,
    dataset_id: i64,
    name: String,
    check_type: String,
    definition: String,
    file_path: Option<String>,
    line: Option<i64>,
    col: Option<i64>,
    column: Option<String>,
    attributes: String,
    metrics: String,
    group_identity: Option<String>,
    group_name: Option<String>,
    digest: String,
    search_text: String,
    /// (identity, version) of each identity version: three per check.
    identities: Vec<(String, String)>,
}

impl CheckValues {
    fn new(check: &Value, dataset_ids: &HashMap<String, i64>) -> Self {
        let text = |v: &Value| v.as_str().map(str::to_owned);
        let table = check["table"].as_str().unwrap_or_default();
        let name = text(&check["name"]).unwrap_or_default();
        let column = text(&check["column"]);
        let mut identities: Vec<(String, String)> = check["identities"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(version, id)| Some((id.as_str()?.to_owned(), version.clone())))
                    .collect()
            })
            .unwrap_or_default();
        identities.sort();
        Self {
            identity: text(&check["identity"]).unwrap_or_default(),
            dataset_id: dataset_ids.get(table).copied().unwrap_or(1),
            search_text: [name.as_str(), table, column.as_deref().unwrap_or_default()]
                .map(str::to_lowercase)
                .join("\u{1f}"),
            name,
            check_type: text(&check["type"]).unwrap_or_default(),
            definition: text(&check["definition"]).unwrap_or_default(),
            file_path: text(&check["location"]["filePath"]),
            line: check["location"]["line"].as_i64(),
            col: check["location"]["col"].as_i64(),
            column,
            attributes: check["resourceAttributes"].to_string(),
            metrics: check["metrics"].to_string(),
            group_identity: text(&check["group"]["identity"]),
            group_name: text(&check["group"]["name"]),
            digest: Sha256::digest(check.to_string().as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
            identities,
        }
    }
}

struct ResultValues {
    check_id: i64,
    outcome: Option<String>,
    value: Option<String>,
    diagnostics: String,
    outcome_reasons: Option<String>,
    metric: Option<String>,
    name: String,
    definition: String,
}

/// Placeholders for one multi-row statement: anonymous on SQLite, as Seltzer's own batches
/// use (see storage/batch.rs), numbered on PostgreSQL.
fn values_sql(sqlite: bool, rows: usize, columns: &[&str]) -> String {
    let mut n = 0;
    let mut tuples = Vec::with_capacity(rows);
    for _ in 0..rows {
        let cells: Vec<String> = columns
            .iter()
            .map(|cast| {
                n += 1;
                let p = if sqlite {
                    "?".to_owned()
                } else {
                    format!("${n}")
                };
                if cast.is_empty() {
                    p
                } else {
                    format!("CAST({p} AS {cast})")
                }
            })
            .collect();
        tuples.push(format!("({})", cells.join(", ")));
    }
    tuples.join(", ")
}

/// The ceiling: the rows the replay stores for each scan, with the same values (the scan row
/// with its raw payload, its 1,000 check results, its 1,000 measurements, its coverage rows;
/// in each client's first scan also its 1,000 checks and their 3,000 identity versions),
/// written by plain multi-row INSERTs (100 rows a statement, one transaction per scan) from the
/// same 8 clients. No parsing, no lookups, no upserts, no updates, no rollups: what the
/// database alone takes for the same data. With `results_only`, the checks are created before
/// the clock starts, as the ceiling first did (printed for comparison).
async fn ceiling(url: &str, token: &str, results_only: bool) -> f64 {
    let db = Database::connect(url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let pool = db.pool().clone();
    let sqlite = url.starts_with("sqlite:");
    sqlx::query("INSERT INTO data_sources (name) VALUES ('shop')")
        .execute(&pool)
        .await
        .expect("data source");
    let template = template();
    let mut dataset_ids = HashMap::new();
    for check in template["checks"].as_array().expect("checks") {
        let table = check["table"].as_str().unwrap_or_default().to_owned();
        if let std::collections::hash_map::Entry::Vacant(entry) = dataset_ids.entry(table) {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO datasets (data_source_id, name) VALUES (1, $1) RETURNING id",
            )
            .bind(entry.key())
            .fetch_one(&pool)
            .await
            .expect("dataset");
            entry.insert(id);
        }
    }
    let coverage: Vec<i64> = dataset_ids.values().copied().collect();
    let mut work = Vec::new();
    for client in 0..CLIENTS {
        sqlx::query("INSERT INTO scan_definitions (name) VALUES ($1)")
            .bind(format!("bench_client_{client}"))
            .execute(&pool)
            .await
            .expect("definition");
        // Ids assigned here, so that the results can point at checks the timed part creates.
        let first_id = i64::try_from(client * CHECKS_PER_SCAN).unwrap_or(0) + 1;
        let check_ids: Vec<i64> = (0..CHECKS_PER_SCAN)
            .map(|i| first_id + i64::try_from(i).unwrap_or(0))
            .collect();
        let first_scan = scaled_scan(&template, client, 0, token);
        let checks: Vec<CheckValues> = first_scan["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .map(|c| CheckValues::new(c, &dataset_ids))
            .collect();
        if results_only {
            let mut conn = pool.acquire().await.expect("connection");
            insert_checks(&mut conn, sqlite, &check_ids, &checks).await;
        }
        let definition_id = i64::try_from(client + 1).unwrap_or(1);
        // Every value rendered before the clock starts: the ceiling times the database only.
        let scans: Vec<PreparedScan> = (0..SCANS_PER_CLIENT)
            .map(|s| {
                let mut doc = scaled_scan(&template, client, s, token);
                doc.as_object_mut().expect("object").remove("token");
                let results = doc["checks"]
                    .as_array()
                    .expect("checks")
                    .iter()
                    .zip(&check_ids)
                    .map(|(check, &check_id)| ResultValues {
                        check_id,
                        outcome: check["outcome"].as_str().map(str::to_owned),
                        value: check["diagnostics"]["value"]
                            .as_f64()
                            .map(|v| v.to_string()),
                        diagnostics: check["diagnostics"].to_string(),
                        outcome_reasons: check.get("outcomeReasons").map(Value::to_string),
                        metric: check["metrics"][0].as_str().map(str::to_owned),
                        name: check["name"].as_str().unwrap_or("").to_owned(),
                        definition: check["definition"].as_str().unwrap_or("").to_owned(),
                    })
                    .collect();
                let measurements = doc["metrics"]
                    .as_array()
                    .expect("metrics")
                    .iter()
                    .map(|m| {
                        (
                            m["identity"].as_str().unwrap_or("").to_owned(),
                            m["metricName"].as_str().unwrap_or("").to_owned(),
                            m["value"].as_f64().map(|v| v.to_string()),
                        )
                    })
                    .collect();
                PreparedScan {
                    data_timestamp: i64::try_from(s).unwrap_or(0) * 86_400_000,
                    logs: doc["logs"].to_string(),
                    payload: doc.to_string(),
                    results,
                    measurements,
                }
            })
            .collect();
        let new_checks = if results_only { Vec::new() } else { checks };
        work.push((definition_id, check_ids, new_checks, scans));
    }

    let results_sql = |rows| {
        format!(
            "INSERT INTO check_results (check_id, scan_id, data_timestamp, outcome, value, \
             diagnostics, outcome_reasons, metric_identity, name, definition) VALUES {}",
            values_sql(
                sqlite,
                rows,
                &["", "", "", "", "DOUBLE PRECISION", "", "", "", "", ""]
            )
        )
    };
    let measurements_sql = |rows| {
        format!(
            "INSERT INTO measurements (scan_id, metric_identity, metric_name, value, value_json, \
             data_timestamp) VALUES {}",
            values_sql(sqlite, rows, &["", "", "", "DOUBLE PRECISION", "", ""])
        )
    };
    let batch = 100;
    let (results_sql, measurements_sql) = (results_sql(batch), measurements_sql(batch));
    let started = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for (definition_id, check_ids, mut new_checks, scans) in work {
        let (pool, results_sql, measurements_sql) =
            (pool.clone(), results_sql.clone(), measurements_sql.clone());
        let coverage = coverage.clone();
        clients.spawn(async move {
            for scan in scans {
                let mut tx = pool.begin().await.expect("begin");
                // The client's first scan brings its checks.
                let checks = std::mem::take(&mut new_checks);
                insert_checks(&mut tx, sqlite, &check_ids, &checks).await;
                let scan_id: i64 = sqlx::query_scalar(
                    "INSERT INTO scans (scan_definition_id, default_data_source, data_timestamp, \
                     scan_start_timestamp, scan_end_timestamp, received_at, has_errors, \
                     has_warnings, has_failures, pass_count, warn_count, fail_count, \
                     not_evaluated_count, error_count, logs, payload) \
                     VALUES ($1, 'bench', $2, $2, $2, $2, 0, 0, 0, 0, 0, 0, 0, 0, $3, $4) \
                     RETURNING id",
                )
                .bind(definition_id)
                .bind(scan.data_timestamp)
                .bind(scan.logs)
                .bind(scan.payload)
                .fetch_one(&mut *tx)
                .await
                .expect("scan");
                for chunk in scan.results.chunks(batch) {
                    let mut q = sqlx::query(AssertSqlSafe(results_sql.clone()));
                    for r in chunk {
                        q = q
                            .bind(r.check_id)
                            .bind(scan_id)
                            .bind(scan.data_timestamp)
                            .bind(r.outcome.clone())
                            .bind(r.value.clone())
                            .bind(r.diagnostics.clone())
                            .bind(r.outcome_reasons.clone())
                            .bind(r.metric.clone())
                            .bind(r.name.clone())
                            .bind(r.definition.clone());
                    }
                    q.execute(&mut *tx).await.expect("results");
                }
                for chunk in scan.measurements.chunks(batch) {
                    let mut q = sqlx::query(AssertSqlSafe(measurements_sql.clone()));
                    for (identity, metric_name, value) in chunk {
                        q = q
                            .bind(scan_id)
                            .bind(identity.clone())
                            .bind(metric_name.clone())
                            .bind(value.clone())
                            .bind(None::<String>)
                            .bind(scan.data_timestamp);
                    }
                    q.execute(&mut *tx).await.expect("measurements");
                }
                for &dataset_id in &coverage {
                    sqlx::query(
                        "INSERT INTO scan_datasets (scan_id, dataset_id, data_timestamp, \
                         pass_count, warn_count, fail_count, not_evaluated_count) \
                         VALUES ($1, $2, $3, 0, 0, 0, 0)",
                    )
                    .bind(scan_id)
                    .bind(dataset_id)
                    .bind(scan.data_timestamp)
                    .execute(&mut *tx)
                    .await
                    .expect("coverage");
                }
                tx.commit().await.expect("commit");
            }
        });
    }
    clients.join_all().await;
    let per_sec =
        (CLIENTS * SCANS_PER_CLIENT * CHECKS_PER_SCAN) as f64 / started.elapsed().as_secs_f64();
    db.close().await;
    per_sec
}

/// Plain multi-row inserts of the checks' rows and of their identity versions.
async fn insert_checks(
    conn: &mut sqlx::AnyConnection,
    sqlite: bool,
    ids: &[i64],
    checks: &[CheckValues],
) {
    let batch = 100;
    for (ids, chunk) in ids.chunks(batch).zip(checks.chunks(batch)) {
        let sql = format!(
            "INSERT INTO checks (id, identity, data_source_id, dataset_id, name, check_type, \
             definition, file_path, line, col, column_name, attributes, metrics, group_identity, \
             group_name, created_at, digest, search_text) VALUES {}",
            values_sql(sqlite, chunk.len(), &[""; 18])
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (&id, c) in ids.iter().zip(chunk) {
            q = q
                .bind(id)
                .bind(c.identity.clone())
                .bind(1_i64)
                .bind(c.dataset_id)
                .bind(c.name.clone())
                .bind(c.check_type.clone())
                .bind(c.definition.clone())
                .bind(c.file_path.clone())
                .bind(c.line)
                .bind(c.col)
                .bind(c.column.clone())
                .bind(c.attributes.clone())
                .bind(c.metrics.clone())
                .bind(c.group_identity.clone())
                .bind(c.group_name.clone())
                .bind(0_i64)
                .bind(c.digest.clone())
                .bind(c.search_text.clone());
        }
        q.execute(&mut *conn).await.expect("checks");
    }
    let mut identities: Vec<(&str, &str, i64)> = ids
        .iter()
        .zip(checks)
        .flat_map(|(&id, c)| {
            c.identities
                .iter()
                .map(move |(i, v)| (i.as_str(), v.as_str(), id))
        })
        .collect();
    identities.sort();
    for chunk in identities.chunks(batch) {
        let sql = format!(
            "INSERT INTO check_identities (identity, version, check_id) VALUES {}",
            values_sql(sqlite, chunk.len(), &["", "", ""])
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for &(identity, version, id) in chunk {
            q = q.bind(identity).bind(version).bind(id);
        }
        q.execute(&mut *conn).await.expect("identities");
    }
}

/// The ceiling as first measured: narrow check result rows only (short diagnostics), one
/// client, one transaction per 1,000 rows. Printed for comparison with earlier figures; it
/// writes a quarter of what a scan stores.
async fn narrow_ceiling(url: &str) -> f64 {
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

/// The three ceilings of one engine, in results/s.
struct Ceilings {
    /// Every row the replay writes (see [`ceiling`]).
    same_rows: f64,
    /// The same, but the checks created before the clock starts (this bench's first ceiling).
    results_only: f64,
    narrow: f64,
}

async fn sqlite_ceilings(url: impl Fn(&str) -> String) -> Ceilings {
    Ceilings {
        same_rows: ceiling(&url("ceiling.db"), "-", false).await,
        results_only: ceiling(&url("results-only.db"), "-", true).await,
        narrow: narrow_ceiling(&url("narrow.db")).await,
    }
}

async fn postgres_ceilings() -> Ceilings {
    let mut figures = Vec::new();
    for kind in ["ceiling", "results_only", "narrow"] {
        let (admin, name, url) = postgres_database(kind).await.expect("a second database");
        figures.push(match kind {
            "narrow" => narrow_ceiling(&url).await,
            kind => ceiling(&url, "-", kind == "results_only").await,
        });
        drop_postgres(&admin, &name).await;
    }
    Ceilings {
        same_rows: figures[0],
        results_only: figures[1],
        narrow: figures[2],
    }
}

fn report(engine: &str, f: &Figures, c: &Ceilings) {
    println!(
        "{engine:<9} ingest {:>7.0} check results/s | ceiling (same rows, 8 clients) {:>7.0}/s: \
         {:>3.0} % of ceiling | with the checks created beforehand {:>7.0}/s ({:.0} %) | \
         narrow-row ceiling {:>7.0}/s | 1,000-check scan acknowledged in \
         p50 {} ms, p99 {} ms under load (first scan of each client, creating its checks: p50 {} \
         ms, max {} ms; later scans: p50 {} ms, p99 {} ms); alone p50 {} ms, p99 {} ms; \
         Seltzer's own CPU {} ms per scan",
        f.results_per_sec,
        c.same_rows,
        100.0 * f.results_per_sec / c.same_rows,
        c.results_only,
        100.0 * f.results_per_sec / c.results_only,
        c.narrow,
        f.p50.as_millis(),
        f.p99.as_millis(),
        f.first_scans_p50.as_millis(),
        f.first_scans_max.as_millis(),
        f.later_scans_p50.as_millis(),
        f.later_scans_p99.as_millis(),
        f.alone_p50.as_millis(),
        f.alone_p99.as_millis(),
        f.seltzer_cpu_per_scan.as_millis()
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
    report("sqlite", &figures, &sqlite_ceilings(sqlite).await);

    match postgres_database("replay").await {
        Some((admin, name, url)) => {
            let figures = replay(&url).await;
            drop_postgres(&admin, &name).await;
            report("postgres", &figures, &postgres_ceilings().await);
        }
        None => println!("postgres  skipped: no PostgreSQL reachable"),
    }
}
