//! The database layer behaves the same on SQLite and PostgreSQL.

use server::Database;
use shared::api::DatabaseEngine;

use crate::support::{TestDb, on_both_engines};

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
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(applied, migration_count(test_db.engine));
    let created_at: String = sqlx::query_scalar("SELECT created_at FROM instance")
        .fetch_one(db.pool())
        .await
        .unwrap();
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
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM instance")
        .fetch_one(a.pool())
        .await
        .unwrap();
    assert_eq!(rows, 1);
    a.close().await;
    b.close().await;
}

on_both_engines!(
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
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(
        foreign_keys, 1,
        "foreign keys are enforced on every connection"
    );
    db.close().await;
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
