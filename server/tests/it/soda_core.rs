//! End to end with the real client: Soda Core 3.5.6 from PyPI (`soda scan`, in the virtualenv
//! that `scripts/setup.sh --soda` caches) runs the scenarios of `tests/soda-client/` against a
//! running `seltzer serve`, and Seltzer must store what it sent while Soda Core prints no Soda
//! Cloud error (the script checks its output for them).

use std::path::{Path, PathBuf};
use std::process::Command;

use shared::api::Role;

use crate::support::{
    RunningServer, SodaCoreTarget, TestDb, cached_venv, define_fixture_attributes, on_both_engines,
};

/// The virtualenv with `soda-core-duckdb==3.5.6`.
fn soda_venv() -> Option<PathBuf> {
    cached_venv("SELTZER_SODA_VENV", "soda-core-3.5.6", "soda")
}

/// Runs `reproduce.sh` (selected scenarios) against the server; panics with Soda's complaints.
fn reproduce(
    venv: &Path,
    work: &Path,
    port: &str,
    key: &server::storage::NewApiKey,
    only: Option<&str>,
) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/soda-client/reproduce.sh");
    let mut cmd = Command::new("bash");
    cmd.arg(script)
        .arg("--venv")
        .arg(venv)
        .arg("--work")
        .arg(work)
        .args(["--backfill-days", "4"])
        .env("SODA_API_KEY_ID", &key.id)
        .env("SODA_API_KEY_SECRET", &key.secret);
    if let Some(only) = only {
        cmd.args(["--only", only]);
    }
    let out = cmd
        .args(["127.0.0.1", port, "http"])
        .output()
        .expect("run reproduce.sh");
    assert!(
        out.status.success(),
        "Soda Core reported Soda Cloud errors:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn real_soda_core_scans_are_stored(test_db: TestDb) {
    let Some(venv) = soda_venv() else {
        return;
    };
    let target = SodaCoreTarget::start(&test_db.url, "soda-core e2e", Role::Viewer).await;
    let (db, key, port) = (&target.db, &target.key, target.port());
    define_fixture_attributes(db).await;
    let work = tempfile::tempdir().unwrap();

    // Every portable scenario: first scan, history, -t backfill, aborted and failing scans,
    // samples, attributes, the Python API, anomaly checks over history built by backfills.
    reproduce(&venv, work.path(), &port, key, None);
    let pool = db.pool();
    let count = |sql: &'static str| async move {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(pool)
            .await
            .unwrap()
    };
    let overwrites_before = count("SELECT COUNT(*) FROM scan_overwrites").await;
    // The same -t backfill again: it replaces the earlier one instead of adding a point.
    reproduce(&venv, work.path(), &port, key, Some("s03"));
    assert_eq!(
        count("SELECT COUNT(*) FROM scan_overwrites").await,
        overwrites_before + 1
    );
    let backfill = server::timestamp::parse("2021-04-28T07:00:00Z").unwrap();
    let backfills: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM scans WHERE data_timestamp = $1")
        .bind(backfill)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(backfills, 1);

    // s02's change-over-time checks were evaluated against the history stored by s01.
    let change_results = count(
        "SELECT COUNT(*) FROM check_results WHERE name LIKE 'change %' AND outcome IS NOT NULL",
    )
    .await;
    assert!(
        change_results > 0,
        "change-over-time checks evaluated from Seltzer's history"
    );
    // Failed-row samples arrived and are linked to their check results.
    assert!(count("SELECT COUNT(*) FROM samples WHERE check_result_id IS NOT NULL").await > 0);
    // Check attributes arrived with the checks.
    assert!(count("SELECT COUNT(*) FROM checks WHERE attributes LIKE '%data-team%'").await > 0);
    // s12 built 4 days of history plus s13's today: the row count metric has 5 points.
    let points = count(
        "SELECT COUNT(*) FROM measurements WHERE metric_identity LIKE 'metric-shop_history-%-row_count'",
    )
    .await;
    assert!(points >= 5, "{points} row_count points for shop_history");
    // The aborted and failed scans are stored with their errors.
    assert!(
        count("SELECT COUNT(*) FROM scans WHERE has_errors = 1 AND error_count > 0").await >= 4
    );
    target.close().await;
}

/// One `soda scan` of `checks` against the DuckDB file at `db`, sent to `server` with `key`.
/// Its output, for the assertions and for a failing test's message.
fn soda_scan(
    venv: &Path,
    work: &Path,
    server: &RunningServer,
    key: &server::storage::NewApiKey,
    checks: &str,
) -> String {
    let port = server.addr.rsplit(':').next().unwrap();
    let configuration = format!(
        "data_source shop:\n  type: duckdb\n  path: {}\nsoda_cloud:\n  host: 127.0.0.1\n  \
         port: {port}\n  scheme: http\n  api_key_id: {}\n  api_key_secret: {}\n",
        work.join("shop.duckdb").display(),
        key.id,
        key.secret
    );
    std::fs::write(work.join("configuration.yml"), configuration).unwrap();
    std::fs::write(work.join("checks.yml"), checks).unwrap();
    // A private HOME whose Soda configuration turns off the usage statistics Soda Core would
    // otherwise try to send to its vendor.
    let home = work.join("home");
    std::fs::create_dir_all(home.join(".soda")).unwrap();
    std::fs::write(
        home.join(".soda/config.yml"),
        "send_anonymous_usage_stats: false\n",
    )
    .unwrap();
    let out = Command::new(venv.join("bin/soda"))
        .args([
            "scan",
            "-d",
            "shop",
            "-c",
            "configuration.yml",
            "checks.yml",
        ])
        .current_dir(work)
        .env("HOME", &home)
        .output()
        .expect("run soda scan");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains("Soda Cloud error") && !text.contains("Error while executing Soda Cloud"),
        "{text}"
    );
    text
}

/// Runs SQL on the DuckDB file with the virtualenv's duckdb.
fn duckdb(venv: &Path, work: &Path, sql: &str) {
    let status = Command::new(venv.join("bin/python"))
        .args([
            "-c",
            "import sys, duckdb; c = duckdb.connect(sys.argv[1]); c.execute(sys.argv[2]); c.close()",
        ])
        .arg(work.join("shop.duckdb"))
        .arg(sql)
        .status()
        .expect("run python");
    assert!(status.success(), "{sql}");
}

/// Schema and group evolution checks compare with the previous scan's schema and groups, which
/// Soda Core asks Seltzer for: a column added warns, a required column gone fails, a group gone
/// shows in the diagnostics. (Seltzer once answered only numeric history: Soda Core then skipped
/// both kinds on every scan.)
async fn schema_and_group_evolution_compare_with_the_previous_scan(test_db: TestDb) {
    let Some(venv) = soda_venv() else {
        return;
    };
    let target = SodaCoreTarget::start(&test_db.url, "evolution", Role::Viewer).await;
    let (db, key, server) = (&target.db, &target.key, &target.server);
    let work = tempfile::tempdir().unwrap();
    let checks = "checks for orders:\n  \
        - schema:\n      name: orders schema\n      warn:\n        when schema changes: any\n      \
        fail:\n        when required column missing: [id, amount]\n        \
        when wrong column type:\n          id: INTEGER\n  \
        - group evolution:\n      name: countries\n      query: SELECT DISTINCT country FROM orders\n      \
        fail:\n        when groups change: any\n";
    duckdb(
        &venv,
        work.path(),
        "CREATE TABLE orders (id INTEGER, amount DOUBLE, country VARCHAR); \
         INSERT INTO orders VALUES (1, 9.5, 'BE'), (2, 12.0, 'NL'), (3, 3.0, 'FR')",
    );
    let first = soda_scan(&venv, work.path(), server, key, checks);
    let outcome = |name: &'static str| {
        let pool = db.pool().clone();
        async move {
            sqlx::query_scalar::<_, Option<String>>(
                "SELECT r.outcome FROM check_results r JOIN scans s ON s.id = r.scan_id \
                 WHERE r.name = $1 ORDER BY s.id DESC LIMIT 1",
            )
            .bind(name)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    // The first scan has nothing to compare with.
    assert!(first.contains("no historic schema metrics"), "{first}");
    assert!(first.contains("no historic groups"), "{first}");
    assert_eq!(outcome("orders schema").await, None);

    // A column added: the schema changed (warn); the groups stay.
    duckdb(
        &venv,
        work.path(),
        "ALTER TABLE orders ADD COLUMN note VARCHAR",
    );
    let second = soda_scan(&venv, work.path(), server, key, checks);
    assert!(!second.contains("no historic schema metrics"), "{second}");
    assert!(!second.contains("no historic groups"), "{second}");
    assert_eq!(
        outcome("orders schema").await.as_deref(),
        Some("warn"),
        "{second}"
    );
    assert_eq!(
        outcome("countries").await.as_deref(),
        Some("pass"),
        "{second}"
    );

    // A required column gone fails the schema check. A group gone is found by comparing with the
    // previous groups, as the diagnostics say; Soda Core 3.5.6 counts group changes only after it
    // has decided the outcome (and words a deleted group "Added"), so the check still passes.
    duckdb(
        &venv,
        work.path(),
        "ALTER TABLE orders DROP COLUMN amount; DELETE FROM orders WHERE country = 'FR'",
    );
    let third = soda_scan(&venv, work.path(), server, key, checks);
    assert_eq!(
        outcome("orders schema").await.as_deref(),
        Some("fail"),
        "{third}"
    );
    assert_eq!(
        outcome("countries").await.as_deref(),
        Some("pass"),
        "{third}"
    );
    let diagnostics: String = sqlx::query_scalar(
        "SELECT r.diagnostics FROM check_results r JOIN scans s ON s.id = r.scan_id \
         WHERE r.name = 'countries' ORDER BY s.id DESC LIMIT 1",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert!(diagnostics.contains("FR, Added"), "{diagnostics}");
    target.close().await;
}

on_both_engines!(
    real_soda_core_scans_are_stored,
    schema_and_group_evolution_compare_with_the_previous_scan,
);
