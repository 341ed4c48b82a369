//! The dashboard in real headless Chromium (Debian's chromium + chromedriver, driven over
//! WebDriver by fantoccini) against a real `seltzer serve` that carries the embedded dashboard.
//! Each visited page is saved as a screenshot under `target/browser-screenshots/`.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::support::{RunningServer, TestDb, http_request, skip_or_fail, target_dir};

/// A chromedriver child process on a free loopback port. Killed when dropped.
struct ChromeDriver {
    child: Child,
    port: u16,
}

impl ChromeDriver {
    fn start() -> Option<Self> {
        let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned());
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = match Command::new(&binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(child) => child,
            Err(e) => {
                skip_or_fail(&format!(
                    "cannot start {binary} ({e}); scripts/setup.sh installs chromium-driver"
                ));
                return None;
            }
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Self { child, port })
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn headless_chromium(driver: &ChromeDriver, profile: &std::path::Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned()),
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    caps.insert("goog:loggingPrefs".to_owned(), json!({ "browser": "ALL" }));
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session in headless Chromium")
}

/// Chromedriver's console log endpoint (not part of W3C WebDriver, so fantoccini has no method).
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.to_owned()))
    }
}

async fn console_errors(client: &Client) -> Vec<String> {
    let entries = client.issue_cmd(BrowserLog).await.expect("browser log");
    entries
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["level"] == "SEVERE")
        // Asking who is signed in answers 401 to a visitor who is not, and a refused sign-in
        // answers 401 too: Chromium logs those responses, and the app handles them (sign-in
        // page, error message), as it should.
        .filter(|e| {
            let message = e["message"].as_str().unwrap_or_default();
            !(message.contains("/api/auth/") && message.contains("401"))
        })
        .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn screenshot(client: &Client, name: &str) {
    let dir: PathBuf = target_dir().join("browser-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
}

/// `seltzer user create` against the test database, the password on standard input.
fn create_user(database_url: &str, email: &str, password: &str) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_seltzer"))
        .args([
            "user",
            "create",
            "--email",
            email,
            "--role",
            "admin",
            "--database-url",
            database_url,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("seltzer user create");
    writeln!(child.stdin.take().expect("stdin"), "{password}").expect("password");
    assert!(child.wait().expect("exit").success());
}

/// One JSON POST over a plain TCP connection (the server under test speaks HTTP/1.1).
fn post_json(addr: &str, path: &str, body: &Value) -> (u16, Value) {
    use std::io::{Read, Write};
    let body = body.to_string();
    let mut stream = TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8_lossy(&raw);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// Soda Core's own scan results (a recorded scenario) sent the way Soda Core sends them:
/// log in with an API key, then `sodaCoreInsertScanResults`.
fn ingest_recorded_scan(server: &RunningServer, database_url: &str, scenario: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_seltzer"))
        .args([
            "api-key",
            "create",
            "--name",
            "browser-test",
            "--format",
            "json",
            "--database-url",
            database_url,
        ])
        .output()
        .expect("seltzer api-key create");
    let key: Value = serde_json::from_slice(&out.stdout).expect("key json");
    let (status, login) = post_json(
        &server.addr,
        "/api/command",
        &json!({"type": "login", "apiKeyId": key["id"], "apiKeySecret": key["secret"]}),
    );
    assert_eq!(status, 200, "{login}");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/soda-core-3.5.6")
        .join(scenario)
        .join("scan_results.json");
    let mut scan: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json");
    scan["token"] = login["token"].clone();
    scan["type"] = json!("sodaCoreInsertScanResults");
    let (status, answer) = post_json(&server.addr, "/api/command", &scan);
    assert_eq!(status, 200, "{answer}");
}

async fn sign_in(client: &Client, email: &str, password: &str) {
    wait_for_text(client, "main h1", "Sign in").await;
    client
        .find(Locator::Css("#email"))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    client
        .find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    client
        .find(Locator::Css(".signin button[type='submit']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn wait_for_text(client: &Client, css: &str, expected: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Ok(element) = client.find(Locator::Css(css)).await {
            last = element.text().await.unwrap_or_default();
            if last.contains(expected) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("`{css}` never showed {expected:?} (last text: {last:?})");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_shell_renders_and_client_routes_survive_a_reload() {
    let test_db = TestDb::sqlite();
    create_user(&test_db.url, "ana@example.org", "correct horse battery");
    let server = RunningServer::start(&test_db.url, &[]);
    let index = http_request(&server.addr, "GET", "/");
    if !String::from_utf8_lossy(&index.body).contains(".wasm") {
        skip_or_fail(
            "this test binary embeds no dashboard: run `trunk build --release` before \
             `cargo test` (scripts/test.sh does)",
        );
        return;
    }
    let Some(driver) = ChromeDriver::start() else {
        return;
    };
    let profile = tempfile::tempdir().expect("profile dir");
    let client = headless_chromium(&driver, profile.path()).await;

    // Signed out: the app asks to sign in, then comes back to where the visitor was going.
    client.goto(&server.url("/")).await.unwrap();
    wait_for_text(&client, "main h1", "Sign in").await;
    assert_eq!(client.current_url().await.unwrap().path(), "/signin");
    screenshot(&client, "signin").await;
    sign_in(&client, "ana@example.org", "wrong password!!").await;
    let error = wait_for_text(&client, "#signin-error", "password").await;
    assert!(!error.is_empty());
    client
        .find(Locator::Css("#email"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    client
        .find(Locator::Css("#password"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    sign_in(&client, "ana@example.org", "correct horse battery").await;
    wait_for_text(&client, "#signed-in-as", "ana@example.org").await;
    assert_eq!(client.current_url().await.unwrap().path(), "/");

    let status = wait_for_text(&client, "#server-status[data-status='ok']", "Seltzer").await;
    assert!(status.contains("sqlite"), "{status}");
    let nav = client.find(Locator::Css("header nav")).await.unwrap();
    assert!(nav.is_displayed().await.unwrap(), "navigation is visible");
    let links = nav.find_all(Locator::Css("a")).await.unwrap();
    let mut names = Vec::new();
    for link in &links {
        names.push(link.text().await.unwrap());
    }
    assert_eq!(names, ["Checks", "Datasets", "Scans", "Editor", "Settings"]);
    wait_for_text(&client, "main h1", "Checks").await;
    let snippet = wait_for_text(&client, ".snippet", "soda_cloud:").await;
    assert!(snippet.contains("host: 127.0.0.1"), "{snippet}");
    screenshot(&client, "checks").await;

    // A client-side navigation, then a reload of the deep link: the server must answer the
    // route with index.html and the app must render the same page again.
    client
        .find(Locator::LinkText("Datasets"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "main h1", "Datasets").await;
    assert_eq!(client.current_url().await.unwrap().path(), "/datasets");
    let current = client
        .find(Locator::Css("header nav a[aria-current='page']"))
        .await
        .unwrap();
    assert_eq!(current.text().await.unwrap(), "Datasets");
    screenshot(&client, "datasets").await;
    client.refresh().await.unwrap();
    wait_for_text(&client, "main h1", "Datasets").await;
    assert_eq!(client.current_url().await.unwrap().path(), "/datasets");
    screenshot(&client, "datasets-after-reload").await;

    client.goto(&server.url("/no/such/page")).await.unwrap();
    wait_for_text(&client, "main h1", "Page not found").await;
    screenshot(&client, "not-found").await;

    // Everything the page loaded came from Seltzer itself (no CDN, no outside host).
    let origin = server.url("");
    let resources: Value = client
        .execute(
            "return performance.getEntriesByType('resource').map(e => e.name)",
            vec![],
        )
        .await
        .unwrap();
    for name in resources.as_array().unwrap() {
        let name = name.as_str().unwrap();
        assert!(name.starts_with(&origin), "loaded from outside: {name}");
    }

    let errors = console_errors(&client).await;
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    client.close().await.unwrap();
}

/// The check results dashboard over a scan Soda Core really sent (recorded traffic, through
/// the ingest API): rows, counts that filter, search, sorting, and a URL that reproduces the
/// view after a reload.
#[tokio::test(flavor = "multi_thread")]
async fn the_checks_page_shows_ingested_results_and_keeps_its_view_in_the_url() {
    let test_db = TestDb::sqlite();
    create_user(&test_db.url, "ana@example.org", "correct horse battery");
    let server = RunningServer::start(&test_db.url, &[]);
    let index = http_request(&server.addr, "GET", "/");
    if !String::from_utf8_lossy(&index.body).contains(".wasm") {
        skip_or_fail("this test binary embeds no dashboard: run `trunk build --release` first");
        return;
    }
    ingest_recorded_scan(&server, &test_db.url, "s01_first_scan");
    let Some(driver) = ChromeDriver::start() else {
        return;
    };
    let profile = tempfile::tempdir().expect("profile dir");
    let client = headless_chromium(&driver, profile.path()).await;

    // A deep link while signed out: sign in, and land on that exact view.
    client.goto(&server.url("/?outcome=fail")).await.unwrap();
    sign_in(&client, "ana@example.org", "correct horse battery").await;
    wait_for_text(&client, "#checks-total", "13 checks").await;
    let url = client.current_url().await.unwrap();
    assert_eq!(url.query(), Some("outcome=fail"));
    let outcomes = texts(&client, "table.checks tbody td:first-child").await;
    assert_eq!(outcomes.len(), 13);
    assert!(outcomes.iter().all(|o| o.contains("fail")), "{outcomes:?}");
    let active = client
        .find(Locator::Css(".counts a[aria-current='true']"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(active.contains("13") && active.contains("fail"), "{active}");
    screenshot(&client, "checks-fail").await;

    // The counts cover every outcome; clicking the active one shows everything again.
    // Each count reads "<symbol> <n> <outcome>" (layout may break it into lines).
    let counts = texts(&client, ".counts a")
        .await
        .iter()
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(" | ");
    for expected in ["13 fail", "3 warn", "16 pass", "0 not evaluated"] {
        assert!(counts.contains(expected), "{counts}");
    }
    client
        .find(Locator::Css(".counts a[aria-current='true']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "#checks-total", "32 checks").await;
    assert_eq!(client.current_url().await.unwrap().query(), None);

    // Search, then sort by value descending: both land in the URL.
    client
        .find(Locator::Css("#check-search"))
        .await
        .unwrap()
        .send_keys("row_count")
        .await
        .unwrap();
    client
        .find(Locator::Css(".search button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "#checks-total", "checks").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.current_url().await.unwrap().query() != Some("search=row_count") {
        assert!(Instant::now() < deadline, "search did not reach the URL");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let names = texts(&client, "table.checks tbody td.check-name").await;
    assert!(
        !names.is_empty() && names.iter().all(|n| n.contains("row_count")),
        "{names:?}"
    );
    screenshot(&client, "checks-search").await;

    client
        .goto(&server.url("/?sort=value&order=desc"))
        .await
        .unwrap();
    wait_for_text(&client, "#checks-total", "32 checks").await;
    let values: Vec<f64> = texts(&client, "table.checks tbody td.number")
        .await
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    assert!(values.len() > 5);
    assert!(
        values.windows(2).all(|w| w[0] >= w[1]),
        "not descending: {values:?}"
    );
    let sorted = client
        .find(Locator::Css("th[aria-sort='descending']"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(sorted, "Value");

    // The same URL after a reload shows the same view.
    client.refresh().await.unwrap();
    wait_for_text(&client, "#checks-total", "32 checks").await;
    let again: Vec<f64> = texts(&client, "table.checks tbody td.number")
        .await
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    assert_eq!(again, values);
    screenshot(&client, "checks-sorted").await;

    // Signing out ends the session: the next visit asks to sign in again.
    client
        .find(Locator::Css(".user-menu button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "main h1", "Sign in").await;
    client.goto(&server.url("/")).await.unwrap();
    wait_for_text(&client, "main h1", "Sign in").await;

    let errors = console_errors(&client).await;
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    client.close().await.unwrap();
}

/// The datasets page: a dataset whose latest scan failed carries an unmistakable warning that
/// links to that scan; the others show their status; each links to its checks.
#[tokio::test(flavor = "multi_thread")]
async fn the_datasets_page_warns_when_the_latest_scan_of_a_dataset_failed() {
    let test_db = TestDb::sqlite();
    create_user(&test_db.url, "ana@example.org", "correct horse battery");
    let server = RunningServer::start(&test_db.url, &[]);
    let index = http_request(&server.addr, "GET", "/");
    if !String::from_utf8_lossy(&index.body).contains(".wasm") {
        skip_or_fail("this test binary embeds no dashboard: run `trunk build --release` first");
        return;
    }
    ingest_recorded_scan(&server, &test_db.url, "s01_first_scan");
    ingest_recorded_scan(&server, &test_db.url, "s04_unknown_column_scan_abort");
    let Some(driver) = ChromeDriver::start() else {
        return;
    };
    let profile = tempfile::tempdir().expect("profile dir");
    let client = headless_chromium(&driver, profile.path()).await;

    client.goto(&server.url("/datasets")).await.unwrap();
    sign_in(&client, "ana@example.org", "correct horse battery").await;
    wait_for_text(&client, "#datasets-summary", "2 datasets").await;
    let orders = client
        .find(Locator::XPath("//tr[td/a[text()='orders']]"))
        .await
        .unwrap();
    let status = orders.find(Locator::Css("td:first-child")).await.unwrap();
    assert_eq!(status.text().await.unwrap(), "⚠ Scan failed");
    let link = status.find(Locator::Css("a")).await.unwrap();
    let href = link.attr("href").await.unwrap().unwrap();
    assert!(href.starts_with("/scans/"), "{href}");
    assert_eq!(
        orders.attr("class").await.unwrap().as_deref(),
        Some("row-failed")
    );
    let counts = orders
        .find(Locator::Css("td.outcome-counts"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(counts.contains('✕') && counts.contains('✓'), "{counts}");
    screenshot(&client, "datasets-scan-failed").await;

    // The warning opens the failing scan: why it failed comes first, and the log filters.
    link.click().await.unwrap();
    wait_for_text(&client, "#scan-failed", "This scan failed").await;
    let first_log = wait_for_text(&client, "#scan-logs li:first-child", "ERROR").await;
    assert!(first_log.contains("no_such_column"), "{first_log}");
    let all = texts(&client, "#scan-logs li").await.len();
    client
        .find(Locator::Css("#log-level option[value='error']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let shown = texts(&client, "#scan-logs li").await;
        if shown.len() < all && shown.iter().all(|l| l.starts_with("ERROR")) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the level filter did not apply: {shown:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    screenshot(&client, "scan-failed").await;
    client.back().await.unwrap();
    wait_for_text(&client, "#datasets-summary", "2 datasets").await;
    let orders = client
        .find(Locator::XPath("//tr[td/a[text()='orders']]"))
        .await
        .unwrap();

    // The dataset's name opens its checks.
    orders
        .find(Locator::LinkText("orders"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "main h1", "Checks").await;
    let total = wait_for_text(&client, "#checks-total", "checks").await;
    assert!(!total.starts_with("0 "), "{total}");
    let datasets = texts(&client, "table.checks tbody td:nth-child(3)").await;
    assert!(datasets.iter().all(|d| d == "orders"), "{datasets:?}");

    let errors = console_errors(&client).await;
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    client.close().await.unwrap();
}

async fn texts(client: &Client, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for element in client.find_all(Locator::Css(css)).await.unwrap() {
        out.push(element.text().await.unwrap());
    }
    out
}
