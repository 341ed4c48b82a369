//! The real `seltzer` binary: serve on a real port, migrate, signals and exit codes.

use std::process::{Command, Output, Stdio};

use crate::support::{RunningServer, TestDb, http_request, on_both_engines, scalar, signs_in};

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
        .stdout(Stdio::piped())
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
    let stored: String = scalar(&db, "SELECT secret_hash FROM api_keys").await;
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

/// `seltzer ARGS --database-url URL`, `stdin` on its standard input.
fn run_on(url: &str, args: &[&str], stdin: &str) -> Output {
    use std::io::Write as _;
    let mut child = seltzer()
        .args(args)
        .args(["--database-url", url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

/// Asserts a command's exit code and that its standard error names `words`.
#[track_caller]
fn assert_exit(out: &Output, code: i32, words: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    assert!(stderr.contains(words), "{words:?} not in {stderr:?}");
}

/// `seltzer attribute create|list|delete`, with the definitions Soda Core will check against.
async fn attributes_are_managed_from_the_command_line(test_db: TestDb) {
    let run = |args: &[&str]| run_on(&test_db.url, args, "");
    let create = |definition: &[&str]| run(&[&["attribute", "create"], definition].concat());
    for definition in [
        &["--name", "owner", "--type", "text"][..],
        &[
            "--name",
            "domain",
            "--type",
            "singleselect",
            "--allowed-value",
            "sales",
            "--allowed-value",
            "finance",
        ],
        &[
            "--name", "reviewed", "--type", "checkbox", "--label", "Reviewed",
        ],
    ] {
        assert_exit(&create(definition), 0, "");
    }

    let bad_type = create(&["--name", "x", "--type", "color"]);
    assert_exit(&bad_type, 1, "unknown attribute type 'color'");
    let no_values = create(&["--name", "tags", "--type", "multiSelect"]);
    assert!(String::from_utf8_lossy(&no_values.stderr).contains("--allowed-value"));
    let duplicate = create(&["--name", "owner", "--type", "text"]);
    assert_exit(&duplicate, 1, "exists already");

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
    assert_exit(&run(&["attribute", "delete", "owner"]), 1, "");
}

on_both_engines!(
    api_keys_are_managed_from_the_command_line,
    attributes_are_managed_from_the_command_line,
);

/// `seltzer user create|list|disable|set-password`: passwords come from standard input only.
async fn users_are_managed_from_the_command_line(test_db: TestDb) {
    let run = |args: &[&str], stdin: &str| run_on(&test_db.url, args, stdin);
    let create = |email: &str, role: &str, password: &str| {
        run(
            &["user", "create", "--email", email, "--role", role],
            password,
        )
    };
    let created = create("Ada@Example.com", "admin", "a long enough password\n");
    assert_exit(&created, 0, "");
    let short = create("bob@example.com", "viewer", "short\n");
    assert_exit(&short, 1, "at least 12 characters");
    let bad_role = create("bob@example.com", "owner", "");
    assert_exit(&bad_role, 2, "viewer, editor or admin");

    let db = server::Database::connect(&test_db.url).await.unwrap();
    assert!(signs_in(&db, "ada@example.com", "a long enough password").await);
    let new_password = run(
        &["user", "set-password", "ada@example.com"],
        "another long password\n",
    );
    assert_exit(&new_password, 0, "");
    assert!(!signs_in(&db, "ada@example.com", "a long enough password").await);
    assert!(signs_in(&db, "ada@example.com", "another long password").await);
    let listed = run(&["user", "list", "--format", "json"], "");
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.contains("ada@example.com")
            && listed.contains("admin")
            && !listed.contains("argon2")
    );
    assert_exit(&run(&["user", "disable", "ada@example.com"], ""), 0, "");
    assert!(!signs_in(&db, "ada@example.com", "another long password").await);
    let nobody = run(&["user", "disable", "nobody@example.com"], "");
    assert_exit(&nobody, 1, "nobody@example.com");
    db.close().await;
}

on_both_engines!(users_are_managed_from_the_command_line);

/// `seltzer soda-install`: the virtualenvs for what this Seltzer is configured to run (or what
/// is named), printed with `--print`; the `seltzer serve` options that use them last.
async fn soda_install_plans_the_virtualenvs_runs_need(test_db: TestDb) {
    let run = |args: &[&str]| run_on(&test_db.url, args, "");
    assert_exit(&run(&["soda-install", "--print"]), 1, "nothing to install");
    assert_exit(
        &run(&[
            "soda-install",
            "--print",
            "--engine",
            "v5",
            "--type",
            "duckdb",
        ]),
        1,
        "--engine: 'v5' is neither v3 nor v4",
    );
    let db = server::Database::connect(&test_db.url).await.unwrap();
    db.configure_data_source(
        "shop",
        "duckdb",
        "path: /data/shop.duckdb\n",
        Some("connection:\n  database: /data/shop.duckdb\n"),
        1,
        None,
    )
    .await
    .unwrap();
    db.configure_data_source("warehouse", "postgres", "host: db\n", None, 1, None)
        .await
        .unwrap();
    db.close().await;
    let out = run(&["soda-install", "--print", "--dir", "/opt/soda"]);
    assert_exit(&out, 0, "");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "python3 -m venv /opt/soda/soda-core-3.5.6",
            "/opt/soda/soda-core-3.5.6/bin/pip install -q --upgrade pip",
            "/opt/soda/soda-core-3.5.6/bin/pip install -q soda-core-duckdb==3.5.6 \
             soda-core-postgres==3.5.6 duckdb<1.1.0 setuptools",
            "python3 -m venv /opt/soda/soda-core-4.28.0",
            "/opt/soda/soda-core-4.28.0/bin/pip install -q --upgrade pip",
            "/opt/soda/soda-core-4.28.0/bin/pip install -q soda-core==4.28.0 soda-duckdb==4.28.0 \
             soda-postgres==4.28.0",
            "seltzer serve --soda-v3 /opt/soda/soda-core-3.5.6/bin/soda --soda-v4 \
             /opt/soda/soda-core-4.28.0/bin/soda",
        ]
    );
}

on_both_engines!(soda_install_plans_the_virtualenvs_runs_need);

/// `seltzer soda-install` for real, from PyPI (where the test setup installed Soda Core, so
/// PyPI is reachable): the virtualenv holds Soda Core 4 with DuckDB.
#[test]
fn soda_install_makes_a_working_virtualenv() {
    if crate::support::cached_venv("SELTZER_SODA4_VENV", "soda-core-4.28.0", "soda").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let test_db = TestDb::sqlite();
    let out = run_on(
        &test_db.url,
        &[
            "soda-install",
            "--engine",
            "v4",
            "--type",
            "duckdb",
            "--dir",
            dir.path().to_str().unwrap(),
        ],
        "",
    );
    assert_exit(&out, 0, "");
    let venv = dir.path().join("soda-core-4.28.0");
    let versions = Command::new(venv.join("bin/python"))
        .args([
            "-c",
            "import importlib.metadata as m; print(m.version('soda-core'), m.version('soda-duckdb'))",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&versions.stdout).trim(),
        "4.28.0 4.28.0"
    );
    assert!(venv.join("bin/soda").exists());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("--soda-v4 {}", venv.join("bin/soda").display())),
        "{stdout}"
    );
}
