//! The database layer behaves the same on SQLite and PostgreSQL.

use server::Database;
use shared::api::DatabaseEngine;

use crate::support::{TestDb, on_both_engines, scalar};

fn migration_count(engine: &str) -> i64 {
    let dir = format!("{}/migrations/{engine}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_dir(dir)
        .expect("migrations folder")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "sql"))
        })
        .count() as i64
}

async fn migrations_apply_once_and_are_idempotent(test_db: TestDb) {
    let db = Database::connect(&test_db.url).await.unwrap();
    db.migrate().await.unwrap();
    // A restart runs migrate again; nothing may change or fail.
    db.migrate().await.unwrap();
    let applied: i64 = scalar(&db, "SELECT COUNT(*) FROM _sqlx_migrations").await;
    assert_eq!(applied, migration_count(test_db.engine));
    let created_at: String = scalar(&db, "SELECT created_at FROM instance").await;
    assert!(
        created_at.len() == 24 && created_at.ends_with('Z'),
        "created_at is an RFC 3339 UTC timestamp: {created_at}"
    );
    db.close().await;
}

async fn the_engine_follows_the_url_scheme(test_db: TestDb) {
    let db = Database::connect(&test_db.url).await.unwrap();
    let expected = match test_db.engine {
        "sqlite" => DatabaseEngine::Sqlite,
        _ => DatabaseEngine::Postgres,
    };
    assert_eq!(db.engine(), expected);
    db.ping().await.unwrap();
    db.close().await;
}

/// Several Seltzer processes may start at once against one database (PostgreSQL deployments
/// behind a load balancer): concurrent migrations must all succeed and apply each file once.
async fn concurrent_starts_migrate_safely(test_db: TestDb) {
    let (a, b) = tokio::join!(
        Database::connect(&test_db.url),
        Database::connect(&test_db.url)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let (ra, rb) = tokio::join!(a.migrate(), b.migrate());
    ra.unwrap();
    rb.unwrap();
    let rows: i64 = scalar(&a, "SELECT COUNT(*) FROM instance").await;
    assert_eq!(rows, 1);
    a.close().await;
    b.close().await;
}

/// The datasets page's failed-checks trend and a dataset's health chart follow data time, not
/// arrival: scans sent out of order (backfills) land in their place, and only the newest count.
async fn dataset_trends_follow_data_time(test_db: TestDb) {
    use server::seed::{SeedPlan, scan_document};
    let db = Database::connect(&test_db.url).await.unwrap();
    db.migrate().await.unwrap();
    let plan = SeedPlan::new(40, 6, 2, 1_700_000_000_000);
    // Failed checks per dataset name, per scan index (index order is data-time order).
    let mut fails = std::collections::BTreeMap::<String, Vec<i64>>::new();
    for index in [3, 0, 5, 1, 4, 2] {
        let body = scan_document(&plan, index);
        store(&db, &body).await;
    }
    for index in 0..plan.scans {
        let body = scan_document(&plan, index);
        for (c, check) in body["checks"].as_array().unwrap().iter().enumerate() {
            let counts = fails
                .entry(plan.dataset_name(c))
                .or_insert_with(|| vec![0; 6]);
            counts[index] += i64::from(check["outcome"] == "fail");
        }
    }
    assert!(
        fails.values().flatten().any(|&n| n > 0),
        "the plan has failures"
    );

    let (datasets, total) = db.list_datasets(&Default::default(), 0, 10).await.unwrap();
    assert_eq!(total, 2);
    let ids: Vec<i64> = datasets.iter().map(|d| d.id).collect();
    let recent = db.recent_fail_counts(&ids, 4).await.unwrap();
    for d in &datasets {
        let expected = &fails[&d.name][2..];
        assert_eq!(
            recent[&d.id], expected,
            "{}: the 4 newest scans, oldest first",
            d.name
        );
        let health = db.dataset_health(d.id, 3).await.unwrap();
        let scans: Vec<i64> = health.iter().map(|h| h.1).collect();
        let mut newest_first = scans.clone();
        newest_first.sort_unstable_by(|a, b| b.cmp(a));
        newest_first.dedup();
        assert_eq!(newest_first.len(), 3, "3 scans");
        assert!(
            scans.windows(2).all(|w| w[0] >= w[1]),
            "newest first: {scans:?}"
        );
        let failed_newest: i64 = health
            .iter()
            .filter(|h| h.1 == newest_first[0] && h.2.as_deref() == Some("fail"))
            .map(|h| h.3)
            .sum();
        assert_eq!(failed_newest, fails[&d.name][5]);
    }
    db.close().await;
}

/// Each dataset's checks by latest outcome (kept on the dataset's row) agree with its checks'
/// latest results after backfills, an overwrite and a deletion.
async fn dataset_check_counts_follow_latest_results(test_db: TestDb) {
    use server::seed::{SeedPlan, scan_document};
    use server::storage::{CheckFilter, CheckSort, ScanFilter};
    let db = Database::connect(&test_db.url).await.unwrap();
    db.migrate().await.unwrap();
    let plan = SeedPlan::new(40, 4, 2, 1_700_000_000_000);
    let store = |body: serde_json::Value| {
        let db = &db;
        async move {
            store(db, &body).await;
        }
    };
    let assert_counts = |step: &'static str| {
        let db = &db;
        async move {
            let (datasets, _) = db.list_datasets(&Default::default(), 0, 10).await.unwrap();
            assert_eq!(datasets.len(), 2, "{step}");
            for d in datasets {
                let filter = CheckFilter {
                    dataset_id: Some(d.id),
                    ..Default::default()
                };
                let (checks, total, _) = db
                    .search_checks(&filter, CheckSort::Name, false, 0, 500)
                    .await
                    .unwrap();
                let count = |o: &str| {
                    checks
                        .iter()
                        .filter(|c| c.latest_outcome.as_deref() == Some(o))
                        .count() as i64
                };
                let expected = (total, count("fail"), count("warn"), count("pass"));
                let rollup = (d.checks, d.failing, d.warning, d.passing);
                assert_eq!(rollup, expected, "{step}: dataset {}", d.name);
                let one = db.dataset(d.id).await.unwrap().unwrap();
                assert_eq!(
                    (one.checks, one.failing, one.warning, one.passing),
                    expected
                );
            }
        }
    };
    for index in [2, 0, 3, 1] {
        store(scan_document(&plan, index)).await;
    }
    assert_counts("scans sent out of data-time order").await;

    // The newest scan sent again with every check passing replaces the first one's results.
    let mut again = scan_document(&plan, 3);
    for check in again["checks"].as_array_mut().unwrap() {
        check["outcome"] = "pass".into();
    }
    store(again).await;
    assert_counts("newest scan overwritten").await;
    let (datasets, _) = db.list_datasets(&Default::default(), 0, 10).await.unwrap();
    assert!(
        datasets
            .iter()
            .all(|d| d.passing == d.checks && d.checks > 0)
    );

    let (scans, _) = db.list_scans(&ScanFilter::default(), 0, 10).await.unwrap();
    let newest = scans.iter().max_by_key(|s| s.data_timestamp).unwrap().id;
    assert!(db.delete_scan(newest).await.unwrap());
    assert_counts("newest scan deleted").await;
    let (datasets, _) = db.list_datasets(&Default::default(), 0, 10).await.unwrap();
    assert!(
        datasets.iter().any(|d| d.passing < d.checks),
        "the scan before it had failures: {datasets:?}"
    );
    db.close().await;
}

/// The checks list's text search ignores case across Unicode, on both engines, and matches
/// the name, the dataset or the column.
async fn search_ignores_case_beyond_ascii(test_db: TestDb) {
    use server::seed::{SeedPlan, scan_document};
    use server::storage::{CheckFilter, CheckSort};
    let db = Database::connect(&test_db.url).await.unwrap();
    db.migrate().await.unwrap();
    let plan = SeedPlan::new(4, 1, 1, 1_700_000_000_000);
    let mut body = scan_document(&plan, 0);
    body["checks"][0]["name"] = "Größe der Übersicht".into();
    store(&db, &body).await;
    let search = |text: &str| {
        let filter = CheckFilter {
            search: Some(text.to_owned()),
            ..Default::default()
        };
        let db = &db;
        async move {
            let (checks, total, counts) = db
                .search_checks(&filter, CheckSort::Name, false, 0, 50)
                .await
                .unwrap();
            assert_eq!(total, counts.iter().sum::<i64>());
            checks.into_iter().map(|c| c.name).collect::<Vec<_>>()
        }
    };
    for text in ["ÜBERSICHT", "übersicht", "GRÖSSE", "größe"] {
        let found = search(text).await;
        // Lower-casing, not case folding: "SS" does not become "ß".
        let expected: &[&str] = if text.contains("SS") {
            &[]
        } else {
            &["Größe der Übersicht"]
        };
        assert_eq!(found, expected, "search '{text}'");
    }
    let dataset = plan.dataset_name(0);
    assert_eq!(search(&dataset.to_uppercase()).await.len(), 4, "by dataset");
    assert_eq!(search("%").await.len(), 0, "LIKE wildcards are literal");
    db.close().await;
}

/// Scans of the same datasets stored at once (PostgreSQL runs them concurrently): none fails
/// (two scans once deadlocked on the datasets' rows) and the check counts come out exact.
async fn concurrent_scans_keep_dataset_counts_exact(test_db: TestDb) {
    use server::seed::{SeedPlan, scan_document};
    let db = Database::connect(&test_db.url).await.unwrap();
    db.migrate().await.unwrap();
    let plan = SeedPlan::new(200, 8, 2, 1_700_000_000_000);
    let mut scans = tokio::task::JoinSet::new();
    for index in 0..plan.scans {
        // Half the scans bring checks of their own: new checks' rows take key-share locks on
        // their datasets, which is what the deadlock needed.
        let mut body = scan_document(&plan, index);
        if index % 2 == 1 {
            for check in body["checks"].as_array_mut().unwrap() {
                for key in ["identity", "identities"] {
                    if let Some(identity) = check[key].as_str() {
                        check[key] = format!("{identity}-{index}").into();
                    }
                }
                if let Some(versions) = check["identities"].as_object_mut() {
                    for v in versions.values_mut() {
                        *v = format!("{}-{index}", v.as_str().unwrap_or_default()).into();
                    }
                }
            }
        }
        let db = db.clone();
        scans.spawn(async move {
            let doc = server::soda::document::parse(&body).unwrap();
            db.insert_scan(
                &doc,
                &body.to_string(),
                server::storage::ScanSender::SELTZER,
            )
            .await
        });
    }
    for stored in scans.join_all().await {
        stored.expect("every scan stored");
    }
    let (datasets, _) = db.list_datasets(&Default::default(), 0, 10).await.unwrap();
    assert_eq!(datasets.len(), 2);
    for d in datasets {
        let counted: Vec<(Option<String>, i64)> = sqlx::query_as(
            "SELECT latest_outcome, COUNT(*) FROM checks WHERE dataset_id = $1 GROUP BY latest_outcome",
        )
        .bind(d.id)
        .fetch_all(db.pool())
        .await
        .unwrap();
        let n = |o: &str| {
            counted
                .iter()
                .filter(|(x, _)| x.as_deref() == Some(o))
                .map(|(_, n)| n)
                .sum::<i64>()
        };
        let total: i64 = counted.iter().map(|(_, n)| n).sum();
        assert_eq!(
            (d.checks, d.failing, d.warning, d.passing),
            (total, n("fail"), n("warn"), n("pass")),
            "dataset {}",
            d.name
        );
    }
    db.close().await;
}

/// Stores one scan document as Seltzer's own sender.
async fn store(db: &Database, body: &serde_json::Value) {
    let doc = server::soda::document::parse(body).unwrap();
    let sender = server::storage::ScanSender::SELTZER;
    db.insert_scan(&doc, &body.to_string(), sender)
        .await
        .unwrap();
}

on_both_engines!(
    concurrent_scans_keep_dataset_counts_exact,
    search_ignores_case_beyond_ascii,
    dataset_check_counts_follow_latest_results,
    dataset_trends_follow_data_time,
    migrations_apply_once_and_are_idempotent,
    the_engine_follows_the_url_scheme,
    concurrent_starts_migrate_safely,
);

#[tokio::test]
async fn sqlite_file_is_created_and_uses_wal() {
    let test_db = TestDb::sqlite();
    let path = test_db.sqlite_path().unwrap();
    assert!(!path.exists());
    let db = Database::connect(&test_db.url).await.unwrap();
    db.migrate().await.unwrap();
    assert!(path.exists(), "the database file is created on first start");
    let mode: String = scalar(&db, "PRAGMA journal_mode").await;
    assert_eq!(mode, "wal");
    let foreign_keys: i64 = scalar(&db, "PRAGMA foreign_keys").await;
    assert_eq!(
        foreign_keys, 1,
        "foreign keys are enforced on every connection"
    );
    db.close().await;
}

/// SQLite's write-ahead log is copied into the database file by Seltzer's checkpoint task, not
/// by the commit of whichever scan filled it (which held up every scan queued behind it), and
/// it stays bounded while scans keep arriving back to back.
#[tokio::test]
async fn sqlite_log_is_checkpointed_off_the_write_path_and_stays_bounded() {
    use server::seed::{SeedPlan, scan_document};
    use server::soda::document;
    let test_db = TestDb::sqlite();
    let path = test_db.sqlite_path().unwrap();
    let wal = path.with_extension("db-wal");
    let size = |p: &std::path::Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let db = Database::connect(&test_db.url).await.unwrap();
    db.migrate().await.unwrap();
    let autocheckpoint: i64 = scalar(&db, "PRAGMA wal_autocheckpoint").await;
    assert_eq!(autocheckpoint, 0, "commits never checkpoint");

    // 50 scans with a 2 MiB raw payload each: 100 MiB through the log, back to back.
    const MIB: u64 = 1024 * 1024;
    let plan = SeedPlan::new(20, 50, 1, 1_700_000_000_000);
    let payload = format!("{{\"padding\":\"{}\"}}", "x".repeat(2 * MIB as usize));
    let mut largest_log = 0;
    for index in 0..plan.scans {
        let doc = document::parse(&scan_document(&plan, index)).unwrap();
        db.insert_scan(&doc, &payload, server::storage::ScanSender::SELTZER)
            .await
            .unwrap();
        largest_log = largest_log.max(size(&wal));
    }
    // The log is reset once it passes 16 MiB; scans that arrive while the task catches up
    // land before the reset, so the bound is looser than that, but far from 100 MiB.
    assert!(
        largest_log < 48 * MIB,
        "the log grew to {largest_log} bytes for 100 MiB of scans"
    );
    // Every scan reaches the database file without anything here asking for a checkpoint.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while size(&path) < 100 * MIB {
        assert!(
            std::time::Instant::now() < deadline,
            "the database file holds {} bytes after 100 MiB of scans",
            size(&path)
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    db.close().await;

    let db = Database::connect(&test_db.url).await.unwrap();
    let scans: i64 = scalar(&db, "SELECT COUNT(*) FROM scans").await;
    assert_eq!(scans, 50);
    db.close().await;
}

/// Operators read the live database with the `sqlite3` shell, Python or a backup script. That
/// must be harmless: Seltzer's SQLite locks must still be held after migrations (a descriptor
/// of the database file closed in this process drops them all, and the outside reader then
/// deletes the live write-ahead log), so writes go on and nothing is lost.
#[tokio::test]
async fn sqlite_survives_other_programs_reading_the_file() {
    use server::seed::{SeedPlan, scan_document};
    use server::soda::document;
    let test_db = TestDb::sqlite();
    let path = test_db.sqlite_path().unwrap();
    let db = Database::connect(&test_db.url).await.unwrap();
    db.migrate().await.unwrap();
    let plan = SeedPlan::new(20, 6, 1, 1_700_000_000_000);
    for index in 0..plan.scans {
        let doc = document::parse(&scan_document(&plan, index)).unwrap();
        db.insert_scan(&doc, "{}", server::storage::ScanSender::SELTZER)
            .await
            .unwrap_or_else(|e| panic!("scan {index} after an outside reader: {e}"));
        // Another process opens the file, reads, and closes it, as `sqlite3 seltzer.db
        // 'select count(*) from scans'` does.
        let output = std::process::Command::new("python3")
            .arg("-c")
            .arg(
                "import sqlite3, sys\n\
                 c = sqlite3.connect(sys.argv[1])\n\
                 print(c.execute('select count(*) from scans').fetchone()[0])\n\
                 c.close()",
            )
            .arg(&path)
            .output()
            .expect("python3 runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let seen: usize = String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .unwrap();
        assert_eq!(
            seen,
            index + 1,
            "the outside reader sees every committed scan"
        );
    }
    let check: String = scalar(&db, "PRAGMA integrity_check").await;
    assert_eq!(check, "ok");
    db.close().await;

    let db = Database::connect(&test_db.url).await.unwrap();
    let scans: i64 = scalar(&db, "SELECT COUNT(*) FROM scans").await;
    assert_eq!(scans, plan.scans as i64);
    db.close().await;
}

/// `seltzer backup` copies a live SQLite database while scans keep arriving: the copy opens,
/// passes SQLite's integrity check, and holds whole scans only (as of one moment).
#[tokio::test]
async fn a_live_sqlite_database_backs_up_consistently() {
    use server::seed::{SeedPlan, scan_document};
    use server::soda::document;
    let test_db = TestDb::sqlite();
    let db = Database::connect(&test_db.url).await.unwrap();
    db.migrate().await.unwrap();
    let plan = SeedPlan::new(200, 40, 2, 1_700_000_000_000);
    let writer = {
        let db = db.clone();
        let plan = plan.clone();
        tokio::spawn(async move {
            for index in 0..plan.scans {
                let doc = document::parse(&scan_document(&plan, index)).unwrap();
                db.insert_scan(&doc, "{}", server::storage::ScanSender::SELTZER)
                    .await
                    .unwrap();
            }
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    db.backup_to(&copy).await.unwrap();
    writer.await.unwrap();
    assert!(
        db.backup_to(&copy)
            .await
            .unwrap_err()
            .to_string()
            .contains("exists"),
        "an existing file is never overwritten"
    );
    db.close().await;

    let backup = Database::connect(&format!("sqlite://{}", copy.display()))
        .await
        .unwrap();
    let check: String = scalar(&backup, "PRAGMA integrity_check").await;
    assert_eq!(check, "ok");
    let scans: i64 = scalar(&backup, "SELECT COUNT(*) FROM scans").await;
    let results: i64 = scalar(&backup, "SELECT COUNT(*) FROM check_results").await;
    assert!(scans as usize <= plan.scans);
    assert_eq!(results, scans * 200, "whole scans only");
    backup.close().await;
}

#[tokio::test]
async fn unsupported_urls_are_refused_with_the_accepted_forms() {
    let err = Database::connect("mysql://root@localhost/x")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("sqlite://PATH"), "{err}");
    assert!(err.contains("postgres://"), "{err}");
}
