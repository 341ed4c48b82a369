//! The router, driven in-process: JSON errors for the API, the dashboard's files for the rest.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use server::IngestConfig;
use server::http::assets::Assets;
use server::{AppState, Database, router};

use crate::support::{TestDb, get, on_both_engines, send, skip_or_fail};

/// A dist folder like Trunk's: an index, a hashed wasm and an unhashed file.
fn fake_dist() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><title>Seltzer</title>",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("frontend-0123456789abcdef_bg.wasm"),
        vec![0u8; 4096],
    )
    .unwrap();
    std::fs::write(
        dir.path().join("echarts.min.js"),
        "var echarts = {};".repeat(200),
    )
    .unwrap();
    // A split build (scripts/build-app.sh): the app's files in a folder named by their hash.
    let app = dir.path().join("app-fedcba9876543210");
    std::fs::create_dir(&app).unwrap();
    std::fs::write(app.join("chunk_8.wasm"), vec![0u8; 512]).unwrap();
    dir
}

async fn app_on(test_db: &TestDb, assets: Assets) -> (Router, Database) {
    let db = Database::connect(&test_db.url).await.unwrap();
    db.migrate().await.unwrap();
    (
        router(AppState::new(db.clone(), assets, IngestConfig::default())),
        db,
    )
}

async fn health_reports_version_and_engine(test_db: TestDb) {
    let (app, db) = app_on(&test_db, Assets::Embedded).await;
    let answer = send(&app, get("/api/health")).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json(),
        serde_json::json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "database": test_db.engine,
        })
    );
    db.close().await;
}

/// A load balancer must see a process whose database is gone as unhealthy, with a JSON body.
async fn health_fails_with_503_when_the_database_is_gone(test_db: TestDb) {
    let (app, db) = app_on(&test_db, Assets::Embedded).await;
    db.close().await;
    let answer = send(&app, get("/api/health")).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.json()["code"], "unavailable");
}

on_both_engines!(
    health_reports_version_and_engine,
    health_fails_with_503_when_the_database_is_gone,
);

async fn sqlite_app(assets: Assets) -> (Router, TestDb) {
    let test_db = TestDb::sqlite();
    let (app, _db) = app_on(&test_db, assets).await;
    (app, test_db)
}

#[tokio::test]
async fn unknown_api_paths_answer_json_404_never_the_dashboard() {
    let dist = fake_dist();
    let (app, _db) = sqlite_app(Assets::Directory(dist.path().to_owned())).await;
    for path in ["/api/nope", "/api/v1/checks/x/y", "/api/"] {
        let answer = send(&app, get(path)).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            answer
                .header(&header::CONTENT_TYPE)
                .starts_with("application/json")
        );
        let body = answer.json();
        assert_eq!(body["code"], "not_found", "{path}");
        assert!(
            body["message"].as_str().unwrap().contains(path),
            "the message names the path: {body}"
        );
    }
}

#[tokio::test]
async fn wrong_methods_answer_json_405() {
    let (app, _db) = sqlite_app(Assets::Embedded).await;
    let answer = send(
        &app,
        Request::post("/api/health").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.json()["code"], "method_not_allowed");
}

#[tokio::test]
async fn client_routes_get_index_html_uncached() {
    let dist = fake_dist();
    let (app, _db) = sqlite_app(Assets::Directory(dist.path().to_owned())).await;
    for path in [
        "/",
        "/datasets",
        "/checks/42/history",
        "/index.html",
        "/missing.js",
    ] {
        let answer = send(&app, get(path)).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert_eq!(
            answer.body, b"<!doctype html><title>Seltzer</title>",
            "{path}"
        );
        assert_eq!(answer.header(&header::CACHE_CONTROL), "no-cache", "{path}");
        assert!(
            answer
                .header(&header::CONTENT_TYPE)
                .starts_with("text/html")
        );
    }
}

#[tokio::test]
async fn hashed_assets_are_cached_for_a_year_and_others_revalidated() {
    let dist = fake_dist();
    let (app, _db) = sqlite_app(Assets::Directory(dist.path().to_owned())).await;
    let wasm = send(&app, get("/frontend-0123456789abcdef_bg.wasm")).await;
    assert_eq!(wasm.status, StatusCode::OK);
    assert_eq!(wasm.header(&header::CONTENT_TYPE), "application/wasm");
    assert_eq!(
        wasm.header(&header::CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(wasm.body.len(), 4096);
    let js = send(&app, get("/echarts.min.js")).await;
    assert_eq!(js.header(&header::CACHE_CONTROL), "no-cache");
    assert!(js.header(&header::CONTENT_TYPE).contains("javascript"));
    let chunk = send(&app, get("/app-fedcba9876543210/chunk_8.wasm")).await;
    assert_eq!(chunk.status, StatusCode::OK);
    assert_eq!(chunk.header(&header::CONTENT_TYPE), "application/wasm");
    assert_eq!(
        chunk.header(&header::CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(chunk.body.len(), 512);
}

/// A tab opened before an upgrade asks for a chunk of the build it started with: that is a 404
/// (which the dashboard reports), never index.html posing as wasm.
#[tokio::test]
async fn files_of_another_dashboard_build_are_not_found() {
    let dist = fake_dist();
    let (app, _db) = sqlite_app(Assets::Directory(dist.path().to_owned())).await;
    for path in [
        "/app-0123456789abcdef/chunk_8.wasm",
        "/app-fedcba9876543210/chunk_9.wasm",
    ] {
        let answer = send(&app, get(path)).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!answer.body.starts_with(b"<!doctype"), "{path}");
    }
}

#[tokio::test]
async fn assets_are_gzip_compressed_when_the_client_accepts_it() {
    let dist = fake_dist();
    let (app, _db) = sqlite_app(Assets::Directory(dist.path().to_owned())).await;
    let request = Request::get("/echarts.min.js")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let answer = send(&app, request).await;
    assert_eq!(answer.header(&header::CONTENT_ENCODING), "gzip");
    assert!(answer.body.len() < 3400, "{} bytes", answer.body.len());
}

/// The embedded dashboard goes out compressed at gzip's best level (compressed once, on first
/// request), byte for byte what was built once decompressed; a client without gzip gets it
/// as it is.
#[tokio::test]
async fn embedded_assets_are_served_at_the_best_gzip_level() {
    use std::io::{Read, Write};
    let (app, _db) = sqlite_app(Assets::Embedded).await;
    let index = String::from_utf8(send(&app, get("/")).await.body).unwrap();
    let Some(end) = index.find("_bg.wasm").map(|i| i + "_bg.wasm".len()) else {
        skip_or_fail("this test binary embeds no dashboard: run `trunk build --release` first");
        return;
    };
    let start = index[..end].rfind("/app-").expect("the app's folder");
    let wasm_path = &index[start..end];
    let plain = send(&app, get(wasm_path)).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert!(plain.headers.get(header::CONTENT_ENCODING).is_none());
    assert!(plain.body.starts_with(b"\0asm"));

    for _ in 0..2 {
        let request = Request::get(wasm_path)
            .header(header::ACCEPT_ENCODING, "br, gzip;q=0.8")
            .body(Body::empty())
            .unwrap();
        let gzipped = send(&app, request).await;
        assert_eq!(gzipped.header(&header::CONTENT_ENCODING), "gzip");
        assert_eq!(gzipped.header(&header::VARY), "accept-encoding");
        assert_eq!(gzipped.header(&header::CONTENT_TYPE), "application/wasm");
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(gzipped.body.as_slice())
            .read_to_end(&mut unpacked)
            .unwrap();
        assert!(unpacked == plain.body, "decompresses to the built file");
        let mut default_level =
            flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        default_level.write_all(&plain.body).unwrap();
        let default_level = default_level.finish().unwrap();
        assert!(
            gzipped.body.len() < default_level.len(),
            "{} bytes at the best level, {} at the default",
            gzipped.body.len(),
            default_level.len()
        );
    }

    let refused = Request::get(wasm_path)
        .header(header::ACCEPT_ENCODING, "gzip;q=0")
        .body(Body::empty())
        .unwrap();
    let refused = send(&app, refused).await;
    assert!(refused.headers.get(header::CONTENT_ENCODING).is_none());
    assert!(refused.body == plain.body);
}

#[tokio::test]
async fn dist_folder_cannot_be_escaped() {
    let dist = fake_dist();
    let secret_dir = dist.path().parent().unwrap().to_owned();
    let (app, _db) = sqlite_app(Assets::Directory(dist.path().to_owned())).await;
    let answer = send(&app, get("/..%2F..%2Fetc%2Fpasswd")).await;
    assert_eq!(answer.body, b"<!doctype html><title>Seltzer</title>");
    let answer = send(&app, get("/../../etc/passwd")).await;
    assert_eq!(answer.body, b"<!doctype html><title>Seltzer</title>");
    assert!(secret_dir.exists());
}
