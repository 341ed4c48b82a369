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
    assert!(
        log.iter()
            .any(|l| l.contains("seltzer user create --email you@example.com --role admin")),
        "a fresh install says how to create the first admin: {log:#?}"
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

/// `seltzer api-key create|list|revoke`: the secret is printed once and works for `login`;
/// a revoked key is refused.
async fn api_keys_are_managed_from_the_command_line(test_db: TestDb) {
    let out = seltzer()
        .args([
            "api-key",
            "create",
            "--name",
            "airflow",
            "--format",
            "json",
            "--database-url",
            &test_db.url,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (id, secret) = (key["id"].as_str().unwrap(), key["secret"].as_str().unwrap());
    assert!(id.len() >= 16 && secret.len() >= 32);

    let out = seltzer()
        .args([
            "api-key",
            "list",
            "--format",
            "json",
            "--database-url",
            &test_db.url,
        ])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains(id) && listed.contains("airflow"),
        "{listed}"
    );
    assert!(!listed.contains(secret), "the secret is never listed");

    let db = server::Database::connect(&test_db.url).await.unwrap();
    let stored: String = sqlx::query_scalar("SELECT secret_hash FROM api_keys")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert!(stored.starts_with("$argon2") && !stored.contains(secret));
    assert!(db.login(id, secret, 60_000).await.unwrap().is_some());
    assert!(db.login(id, "wrong", 60_000).await.unwrap().is_none());

    let out = seltzer()
        .args(["api-key", "revoke", id, "--database-url", &test_db.url])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(db.login(id, secret, 60_000).await.unwrap().is_none());
    let again = seltzer()
        .args(["api-key", "revoke", id, "--database-url", &test_db.url])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("no active API key"));
    db.close().await;
}

/// `seltzer attribute create|list|delete`, with the definitions Soda Core will check against.
async fn attributes_are_managed_from_the_command_line(test_db: TestDb) {
    let run = |args: &[&str]| {
        seltzer()
            .args(args)
            .args(["--database-url", &test_db.url])
            .output()
            .unwrap()
    };
    assert!(
        run(&["attribute", "create", "--name", "owner", "--type", "text"])
            .status
            .success()
    );
    assert!(
        run(&[
            "attribute",
            "create",
            "--name",
            "domain",
            "--type",
            "singleselect",
            "--allowed-value",
            "sales",
            "--allowed-value",
            "finance"
        ])
        .status
        .success()
    );
    assert!(
        run(&[
            "attribute",
            "create",
            "--name",
            "reviewed",
            "--type",
            "checkbox",
            "--label",
            "Reviewed"
        ])
        .status
        .success()
    );

    let bad_type = run(&["attribute", "create", "--name", "x", "--type", "color"]);
    assert_eq!(bad_type.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad_type.stderr).contains("unknown attribute type 'color'"));
    let no_values = run(&[
        "attribute",
        "create",
        "--name",
        "tags",
        "--type",
        "multiSelect",
    ]);
    assert!(String::from_utf8_lossy(&no_values.stderr).contains("--allowed-value"));
    let duplicate = run(&["attribute", "create", "--name", "owner", "--type", "text"]);
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("exists already"));

    let listed: serde_json::Value =
        serde_json::from_slice(&run(&["attribute", "list", "--format", "json"]).stdout).unwrap();
    assert_eq!(
        listed,
        serde_json::json!([
            {"name": "domain", "label": "domain", "type": "singleSelect", "allowedValues": ["sales", "finance"]},
            {"name": "owner", "label": "owner", "type": "text"},
            {"name": "reviewed", "label": "Reviewed", "type": "checkbox", "allowedValues": [true, false]},
        ])
    );
    assert!(run(&["attribute", "delete", "owner"]).status.success());
    assert_eq!(
        run(&["attribute", "delete", "owner"]).status.code(),
        Some(1)
    );
}

on_both_engines!(
    api_keys_are_managed_from_the_command_line,
    attributes_are_managed_from_the_command_line,
);

/// `seltzer user create|list|disable|set-password`: passwords come from standard input only.
async fn users_are_managed_from_the_command_line(test_db: TestDb) {
    use std::io::Write as _;
    let run = |args: &[&str], stdin: &str| {
        let mut child = seltzer()
            .args(args)
            .args(["--database-url", &test_db.url])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let created = run(
        &[
            "user",
            "create",
            "--email",
            "Ada@Example.com",
            "--role",
            "admin",
        ],
        "a long enough password\n",
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let short = run(
        &[
            "user",
            "create",
            "--email",
            "bob@example.com",
            "--role",
            "viewer",
        ],
        "short\n",
    );
    assert_eq!(short.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));
    let bad_role = run(
        &[
            "user",
            "create",
            "--email",
            "bob@example.com",
            "--role",
            "owner",
        ],
        "",
    );
    assert_eq!(bad_role.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("viewer, editor or admin"));

    let db = server::Database::connect(&test_db.url).await.unwrap();
    assert!(
        db.sign_in("ada@example.com", "a long enough password", 60_000)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        run(
            &["user", "set-password", "ada@example.com"],
            "another long password\n"
        )
        .status
        .success()
    );
    assert!(
        db.sign_in("ada@example.com", "a long enough password", 60_000)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        db.sign_in("ada@example.com", "another long password", 60_000)
            .await
            .unwrap()
            .is_some()
    );
    let listed = String::from_utf8_lossy(&run(&["user", "list", "--format", "json"], "").stdout)
        .into_owned();
    assert!(
        listed.contains("ada@example.com")
            && listed.contains("admin")
            && !listed.contains("argon2")
    );
    assert!(
        run(&["user", "disable", "ada@example.com"], "")
            .status
            .success()
    );
    assert!(
        db.sign_in("ada@example.com", "another long password", 60_000)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        run(&["user", "disable", "nobody@example.com"], "")
            .status
            .code(),
        Some(1)
    );
    db.close().await;
}

on_both_engines!(users_are_managed_from_the_command_line);
