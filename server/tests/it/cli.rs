//! The real `seltzer` binary: serve on a real port, migrate, signals and exit codes.

use std::process::Command;

use crate::support::{RunningServer, TestDb, http_request, on_both_engines};

fn seltzer() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_seltzer"));
    cmd.env("NO_COLOR", "1").env_remove("SELTZER_DATABASE_URL");
    cmd
}

/// `seltzer migrate` prepares the database; `seltzer serve` (configured through the environment
/// this time) then answers on a real port and stops cleanly on SIGTERM.
async fn migrate_then_serve_then_sigterm(test_db: TestDb) {
    let out = seltzer()
        .args(["migrate", "--database-url", &test_db.url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "migrate failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("migrations applied"));

    let server = RunningServer::start(&test_db.url, &[]);
    let health = http_request(&server.addr, "GET", "/api/health");
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["database"], test_db.engine);
    let deep_link = http_request(&server.addr, "GET", "/datasets/orders");
    assert_eq!(deep_link.status, 200);
    assert!(
        deep_link
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );

    let (status, log) = server.terminate();
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
    assert!(
        log.iter().any(|l| l.contains("stopped")),
        "shutdown is logged: {log:#?}"
    );
}

on_both_engines!(migrate_then_serve_then_sigterm);

#[test]
fn serve_creates_the_sqlite_file_from_the_environment() {
    let test_db = TestDb::sqlite();
    let path = test_db.sqlite_path().unwrap();
    let mut child = seltzer()
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("SELTZER_DATABASE_URL", &test_db.url)
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = std::io::BufRead::lines(std::io::BufReader::new(stdout))
        .map_while(Result::ok)
        .find(|l| l.contains("listening on"));
    let _ = child.kill();
    let _ = child.wait();
    let line = line.expect("a 'listening on' line");
    assert!(line.contains("http://127.0.0.1:"), "{line}");
    assert!(path.exists(), "SELTZER_DATABASE_URL was used");
}

#[test]
fn a_bad_database_url_exits_1_with_a_clear_message() {
    let out = seltzer()
        .args(["migrate", "--database-url", "mysql://root@localhost/x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unsupported database URL"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    let out = seltzer()
        .args(["serve", "--bind", "nonsense"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = seltzer().arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_dist_override_without_index_html_is_refused() {
    let test_db = TestDb::sqlite();
    let empty = tempfile::tempdir().unwrap();
    let out = seltzer()
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            &test_db.url,
        ])
        .arg("--dist")
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no index.html"));
}
