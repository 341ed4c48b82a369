//! The dashboard in real headless Chromium (Debian's chromium + chromedriver, driven over
//! WebDriver by fantoccini) against a real `seltzer serve` that carries the embedded dashboard.
//! Each visited page is saved as a screenshot under `target/browser-screenshots/`.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use fantoccini::elements::Element;
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

/// The page as it is now in light and dark theme at desktop width, and at phone width (390 px),
/// where nothing may overflow the screen sideways (wide tables scroll inside their box).
async fn screenshots(client: &Client, name: &str) {
    set_theme(client, "light").await;
    screenshot(client, name).await;
    set_theme(client, "dark").await;
    screenshot(client, &format!("{name}-dark")).await;
    set_theme(client, "light").await;
    client.set_window_size(390, 844).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let overflow: Value = client
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
            vec![],
        )
        .await
        .unwrap();
    screenshot(client, &format!("{name}-phone")).await;
    if overflow.as_i64().unwrap_or(0) > 0 {
        // Name the widest culprits: elements reaching past the screen, outside scroll boxes.
        let wide: Value = client
            .execute(
                "const w = document.documentElement.clientWidth; \
                 return [document.documentElement.scrollWidth - w].concat([...document.querySelectorAll('body *')] \
                   .filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible') \
                   .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + e.scrollWidth + '/' + e.clientWidth));",
                vec![],
            )
            .await
            .unwrap_or_default();
        panic!("{name}: the page is {overflow} px wider than a 390 px phone: {wide}");
    }
    client.set_window_size(1280, 900).await.unwrap();
    set_theme(client, "").await;
}

/// Forces a theme on the page as the theme switch does (`""`: follow the system again).
async fn set_theme(client: &Client, theme: &str) {
    client
        .execute(
            "if (arguments[0]) { document.documentElement.setAttribute('data-theme', arguments[0]); } \
             else { document.documentElement.removeAttribute('data-theme'); }",
            vec![json!(theme)],
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
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

/// One HTTP/1.1 request over a plain TCP connection (the server under test speaks HTTP/1.1);
/// the answer's status and JSON body.
fn raw_request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Value) {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect(addr).expect("connect");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("send");
    stream.write_all(body).expect("send body");
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

fn post_json(addr: &str, path: &str, body: &Value) -> (u16, Value) {
    raw_request(
        addr,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    )
}

/// A new API key (`seltzer api-key create --format json`): its id and secret.
fn create_api_key(database_url: &str, name: &str) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_seltzer"))
        .args([
            "api-key",
            "create",
            "--name",
            name,
            "--format",
            "json",
            "--database-url",
            database_url,
        ])
        .output()
        .expect("seltzer api-key create");
    let key: Value = serde_json::from_slice(&out.stdout).expect("key json");
    (
        key["id"].as_str().unwrap().to_owned(),
        key["secret"].as_str().unwrap().to_owned(),
    )
}

fn fixture_dir(scenario: &str) -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/soda-core-3.5.6")
        .join(scenario)
}

/// Soda Core's own scan results (a recorded scenario) sent the way Soda Core sends them:
/// log in with an API key, then `sodaCoreInsertScanResults`.
fn ingest_recorded_scan(server: &RunningServer, database_url: &str, scenario: &str) {
    let (id, secret) = create_api_key(database_url, "browser-test");
    let (status, login) = post_json(
        &server.addr,
        "/api/command",
        &json!({"type": "login", "apiKeyId": id, "apiKeySecret": secret}),
    );
    assert_eq!(status, 200, "{login}");
    let path = fixture_dir(scenario).join("scan_results.json");
    let mut scan: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json");
    scan["token"] = login["token"].clone();
    scan["type"] = json!("sodaCoreInsertScanResults");
    let (status, answer) = post_json(&server.addr, "/api/command", &scan);
    assert_eq!(status, 200, "{answer}");
}

/// Every request Soda Core sent in a recorded scenario, replayed in order over HTTP: login,
/// failed-row uploads (their file ids mapped to the ones Seltzer gives), history queries and
/// scan results. Returns the ids of the stored scans.
fn replay_scenario(server: &RunningServer, database_url: &str, scenario: &str) -> Vec<i64> {
    let (id, secret) = create_api_key(database_url, "browser-replay");
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture_dir(scenario).join("requests"))
        .expect("requests")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let mut token = String::new();
    let mut file_ids: Vec<(String, String)> = Vec::new();
    let mut scans = Vec::new();
    for file in files {
        let captured: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("json");
        let request = &captured["request"];
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if name.contains("_login") {
            let (status, login) = post_json(
                &server.addr,
                "/api/command",
                &json!({"type": "login", "apiKeyId": id, "apiKeySecret": secret}),
            );
            assert_eq!(status, 200, "{login}");
            token = login["token"].as_str().unwrap().to_owned();
            continue;
        }
        if request["path"] == "/api/scan/upload" {
            let (status, answer) = raw_request(
                &server.addr,
                "POST",
                "/api/scan/upload",
                &[
                    ("Authorization", &token),
                    (
                        "File-Path",
                        request["headers"]["File-Path"].as_str().unwrap(),
                    ),
                    ("Content-Type", "application/octet-stream"),
                ],
                request["body_text"].as_str().unwrap().as_bytes(),
            );
            assert_eq!(status, 200, "{name}: {answer}");
            if let Some(theirs) = captured["response"]["body"]["fileId"].as_str() {
                file_ids.push((
                    theirs.to_owned(),
                    answer["fileId"].as_str().unwrap().to_owned(),
                ));
            }
            continue;
        }
        let mut text = request["body"].to_string();
        for (theirs, ours) in &file_ids {
            text = text.replace(theirs, ours);
        }
        let mut body: Value = serde_json::from_str(&text).expect("body");
        body["token"] = json!(token);
        let (status, answer) = post_json(&server.addr, request["path"].as_str().unwrap(), &body);
        assert_eq!(status, 200, "{name}: {answer}");
        if body["type"] == "sodaCoreInsertScanResults" {
            scans.push(answer["scanId"].as_str().unwrap().parse().unwrap());
        }
    }
    scans
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

async fn the_app_shell_renders_and_client_routes_survive_a_reload(test_db: TestDb) {
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
    screenshots(&client, "signin").await;
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
    assert!(status.contains(test_db.engine), "{status}");
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
    screenshots(&client, "checks").await;

    // The first load carries the shell and the checks page; every other page's code is a chunk
    // fetched on its first visit (scripts/build-app.sh splits them).
    let wasm = loaded_wasm(&client).await;
    assert!(
        wasm.iter().any(|w| w.ends_with("/frontend_bg.wasm")),
        "{wasm:?}"
    );
    assert!(!wasm.iter().any(|w| w.contains("/split_")), "{wasm:?}");

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
    let wasm = loaded_wasm(&client).await;
    let datasets_chunk: Vec<_> = wasm
        .iter()
        .filter(|w| w.contains("/split___datasets_route_view"))
        .collect();
    assert_eq!(datasets_chunk.len(), 1, "{wasm:?}");
    assert!(
        !wasm
            .iter()
            .any(|w| w.contains("/split___settings_route_view")),
        "{wasm:?}"
    );
    // Chunks sit in a folder named by the hash of the whole build: cached for good.
    let chunk_path = datasets_chunk[0].trim_start_matches(&server.url(""));
    let chunk = http_request(&server.addr, "GET", chunk_path);
    assert_eq!(chunk.status, 200, "{chunk_path}");
    assert_eq!(
        chunk.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
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
    screenshots(&client, "not-found").await;

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
async fn the_checks_page_shows_ingested_results_and_keeps_its_view_in_the_url(test_db: TestDb) {
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
    screenshots(&client, "checks-fail").await;

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
async fn the_datasets_page_warns_when_the_latest_scan_of_a_dataset_failed(test_db: TestDb) {
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
    screenshots(&client, "datasets-scan-failed").await;

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
    screenshots(&client, "scan-failed").await;
    client.back().await.unwrap();
    wait_for_text(&client, "#datasets-summary", "2 datasets").await;
    let orders = client
        .find(Locator::XPath("//tr[td/a[text()='orders']]"))
        .await
        .unwrap();

    // The dataset's name opens its page, which says the same and lists its checks.
    orders
        .find(Locator::LinkText("orders"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "main h1", "orders").await;
    wait_for_text(&client, "#dataset-scan-failed", "failed").await;
    wait_for_text(&client, "#dataset-checks tbody tr", "").await;
    let rows = texts(&client, "#dataset-checks tbody tr").await;
    assert!(!rows.is_empty());

    let errors = console_errors(&client).await;
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    client.close().await.unwrap();
}

/// A tab opened before an upgrade: the pages it has not visited yet were split into chunks of the
/// build it started with, which the upgraded server no longer has. The dashboard cannot go on,
/// but it must say so and offer the reload, not freeze.
#[tokio::test(flavor = "multi_thread")]
async fn a_tab_from_before_an_upgrade_asks_for_a_reload() {
    let built = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dist");
    if !built.join("index.html").exists() {
        skip_or_fail("no dist/: run `trunk build --release` first");
        return;
    }
    let dist = tempfile::tempdir().expect("dist copy");
    copy_dir(&built, dist.path());
    let test_db = TestDb::sqlite();
    create_user(&test_db.url, "ana@example.org", "correct horse battery");
    let dist_arg = dist.path().to_str().expect("utf-8 path");
    let server = RunningServer::start(&test_db.url, &["--dist", dist_arg]);
    let Some(driver) = ChromeDriver::start() else {
        return;
    };
    let profile = tempfile::tempdir().expect("profile dir");
    let client = headless_chromium(&driver, profile.path()).await;
    client.goto(&server.url("/")).await.unwrap();
    wait_for_text(&client, "main h1", "Sign in").await;
    sign_in(&client, "ana@example.org", "correct horse battery").await;
    wait_for_text(&client, "main h1", "Checks").await;

    // The upgrade: this build's settings page is gone from the server.
    let mut removed = 0;
    for app in std::fs::read_dir(dist.path())
        .unwrap()
        .map(|e| e.unwrap().path())
    {
        if !app
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("app-")
        {
            continue;
        }
        for file in std::fs::read_dir(&app).unwrap().map(|e| e.unwrap().path()) {
            if file.to_string_lossy().contains("settings_route") {
                std::fs::remove_file(file).unwrap();
                removed += 1;
            }
        }
    }
    assert_eq!(removed, 1, "the settings page is one split module");

    click(&client, Locator::LinkText("Settings")).await;
    let notice = wait_for_text(&client, ".crash-notice[role='alert']", "Reload the page").await;
    assert!(notice.contains("upgraded"), "{notice}");
    let reload = client.find(Locator::Css(".crash-notice a")).await.unwrap();
    assert_eq!(reload.attr("href").await.unwrap().as_deref(), Some(""));
    screenshot(&client, "stale-tab-notice").await;
    client.close().await.unwrap();
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from).unwrap().map(|e| e.unwrap()) {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The wasm files the page has fetched so far (full URLs), from the resource timing entries.
async fn loaded_wasm(client: &Client) -> Vec<String> {
    let names: Value = client
        .execute(
            "return performance.getEntriesByType('resource').map(e => e.name)\
               .filter(n => n.endsWith('.wasm'))",
            vec![],
        )
        .await
        .unwrap();
    names
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect()
}

async fn texts(client: &Client, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for element in client.find_all(Locator::Css(css)).await.unwrap() {
        out.push(element.text().await.unwrap());
    }
    out
}

/// True when this test binary carries the dashboard (`trunk build --release` ran before it).
fn embeds_dashboard(server: &RunningServer) -> bool {
    let index = http_request(&server.addr, "GET", "/");
    if String::from_utf8_lossy(&index.body).contains(".wasm") {
        return true;
    }
    skip_or_fail("this test binary embeds no dashboard: run `trunk build --release` first");
    false
}

async fn wait_for_attr(client: &Client, css: &str, attr: &str, expected: &str) -> Element {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = None;
    while Instant::now() < deadline {
        if let Ok(element) = client.find(Locator::Css(css)).await {
            last = element.attr(attr).await.unwrap_or_default();
            if last.as_deref() == Some(expected) {
                return element;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let page: Value = client
        .execute(
            "const m = document.querySelector(arguments[0]) || document.querySelector('main'); \
             return m ? m.outerHTML.slice(0, 12000) : ''",
            vec![json!(css.split(' ').next().unwrap_or("main"))],
        )
        .await
        .unwrap_or_default();
    panic!("`{css}` never had {attr}={expected:?} (last: {last:?}); the page: {page}");
}

async fn wait_for_query(client: &Client, wanted: impl Fn(Option<&str>) -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let url = client.current_url().await.unwrap();
        if wanted(url.query()) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: the URL is {url}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn click(client: &Client, locator: Locator<'_>) {
    client.find(locator).await.unwrap().click().await.unwrap();
}

/// Replaces the whole text of a text field the way a person would: select all, type.
async fn type_into(client: &Client, css: &str, text: &str) {
    let field = client.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// The check page over 14 days of history sent by real Soda Core (s12, a backfill) and a scan
/// with failed-row samples (s01): the trend chart has its points and its fail band, ECharts is
/// only loaded with it, a click on a point opens that result, and the failed rows tab shows the
/// sample rows.
async fn the_check_page_charts_history_with_zones_and_shows_failed_rows(test_db: TestDb) {
    create_user(&test_db.url, "ana@example.org", "correct horse battery");
    let server = RunningServer::start(&test_db.url, &[]);
    if !embeds_dashboard(&server) {
        return;
    }
    replay_scenario(&server, &test_db.url, "s01_first_scan");
    let backfill = replay_scenario(&server, &test_db.url, "s12_history_backfill");
    assert_eq!(backfill.len(), 14);
    let Some(driver) = ChromeDriver::start() else {
        return;
    };
    let profile = tempfile::tempdir().expect("profile dir");
    let client = headless_chromium(&driver, profile.path()).await;

    client
        .goto(&server.url("/?search=change%20for%20row_count"))
        .await
        .unwrap();
    sign_in(&client, "ana@example.org", "correct horse battery").await;
    wait_for_text(&client, "#checks-total", "1 check").await;
    let echarts: Value = client
        .execute("return typeof window.echarts", vec![])
        .await
        .unwrap();
    assert_eq!(
        echarts, "undefined",
        "a page without charts loads no ECharts"
    );
    click(&client, Locator::Css("table.checks tbody td.check-name a")).await;
    wait_for_text(&client, "#check-name", "change for row_count < 50").await;
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .path()
            .starts_with("/checks/")
    );
    let definition = wait_for_text(&client, "#check-definition", "change").await;
    assert_eq!(
        definition,
        "checks for orders_history [daily]:\n  change for row_count < 50"
    );
    let location = wait_for_text(&client, "#check-location", "line").await;
    assert!(location.contains("checks.yml"), "{location}");

    // All of its history: 13 daily points (the first day had nothing to compare with) and the
    // fail zone (a change of 50 or more) as a band.
    click(&client, Locator::LinkText("All")).await;
    wait_for_query(&client, |q| q == Some("range=all"), "the range").await;
    wait_for_attr(&client, "#trend-chart", "data-state", "ready").await;
    let trend = client.find(Locator::Css("#trend")).await.unwrap();
    assert_eq!(
        trend.attr("data-points").await.unwrap().as_deref(),
        Some("13")
    );
    let drawn: Value = client
        .execute(
            "const el = document.getElementById('trend-chart'); \
             const o = echarts.getInstanceByDom(el).getOption(); \
             return { points: o.series[0].data.length, \
                      failBands: ((o.series[1].markArea || {}).data || []).length, \
                      canvas: !!el.querySelector('canvas') };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(drawn["points"], 13, "{drawn}");
    assert!(drawn["failBands"].as_u64().unwrap() >= 1, "{drawn}");
    assert_eq!(drawn["canvas"], true);
    wait_for_text(&client, "#history-summary", "13 results").await;
    let rows = texts(&client, "#results tbody tr").await;
    assert_eq!(rows.len(), 13);
    screenshots(&client, "check-trend").await;

    // A click on the fourth point opens that result (once the resize after the phone-width
    // screenshot has finished animating the points to their places).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let offset: Value = client
        .execute(
            "const el = document.getElementById('trend-chart'); \
             const c = echarts.getInstanceByDom(el); \
             const p = c.convertToPixel({seriesIndex: 0}, c.getOption().series[0].data[3].value); \
             const r = el.getBoundingClientRect(); \
             return [p[0] - r.width / 2, p[1] - r.height / 2];",
            vec![],
        )
        .await
        .unwrap();
    let chart = client.find(Locator::Id("trend-chart")).await.unwrap();
    let actions = MouseActions::new("mouse".to_owned())
        .then(PointerAction::MoveToElement {
            element: chart,
            duration: Some(Duration::from_millis(200)),
            x: offset[0].as_f64().unwrap(),
            y: offset[1].as_f64().unwrap(),
        })
        .then(PointerAction::Pause {
            duration: Duration::from_millis(300),
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Pause {
            duration: Duration::from_millis(50),
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    client.perform_actions(actions).await.unwrap();
    wait_for_query(
        &client,
        |q| q.is_some_and(|q| q.contains("result=")),
        "a click on a point",
    )
    .await;
    let query = client
        .current_url()
        .await
        .unwrap()
        .query()
        .unwrap()
        .to_owned();
    let result_id = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("result="))
        .unwrap()
        .to_owned();
    let fourth = client
        .find(Locator::Css("#results tbody tr:nth-child(10)"))
        .await
        .unwrap();
    assert_eq!(
        fourth.attr("data-result-id").await.unwrap().as_deref(),
        Some(result_id.as_str()),
        "the 4th oldest point is the 10th row (newest first)"
    );
    wait_for_attr(
        &client,
        "#results tbody tr:nth-child(10)",
        "aria-selected",
        "true",
    )
    .await;
    wait_for_attr(&client, "#result-panel", "data-result-id", &result_id).await;
    wait_for_text(&client, "#diagnostics", "Outcome").await;
    // A result's Open link opens it too.
    click(
        &client,
        Locator::Css("#results tbody tr:nth-child(3) a[href*='result=']"),
    )
    .await;
    wait_for_attr(
        &client,
        "#results tbody tr:nth-child(3)",
        "aria-selected",
        "true",
    )
    .await;

    // A check with failed rows: its samples, as Soda Core uploaded them.
    client
        .goto(&server.url("/?search=duplicate_count(order_id)"))
        .await
        .unwrap();
    wait_for_text(&client, "#checks-total", "1 check").await;
    click(&client, Locator::Css("table.checks tbody td.check-name a")).await;
    wait_for_text(&client, "#check-name", "duplicate_count(order_id) = 0").await;
    let tab = wait_for_text(&client, "#tab-rows", "Failed rows").await;
    let count: usize = tab
        .trim_start_matches("Failed rows (")
        .trim_end_matches(')')
        .parse()
        .unwrap();
    assert!(count > 0, "{tab}");
    click(&client, Locator::Css("#tab-rows")).await;
    wait_for_query(
        &client,
        |q| q.is_some_and(|q| q.contains("tab=rows")),
        "the tab",
    )
    .await;
    wait_for_text(&client, "#failed-rows", "row").await;
    let header = texts(&client, "#failed-rows thead th").await;
    assert!(header.iter().any(|h| h == "order_id"), "{header:?}");
    let sample_rows = texts(&client, "#failed-rows tbody tr").await;
    assert_eq!(sample_rows.len(), count);
    screenshots(&client, "check-failed-rows").await;
    // The open tab survives a reload.
    client.refresh().await.unwrap();
    wait_for_text(&client, "#failed-rows", "row").await;

    let errors = console_errors(&client).await;
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    client.close().await.unwrap();
}

/// The checks editor validates in the browser on every keystroke (an error marked on its line,
/// none for a valid file) and backtests the edited thresholds against stored history.
async fn the_editor_marks_errors_at_their_line_and_backtests_thresholds(test_db: TestDb) {
    create_user(&test_db.url, "ana@example.org", "correct horse battery");
    let server = RunningServer::start(&test_db.url, &[]);
    if !embeds_dashboard(&server) {
        return;
    }
    replay_scenario(&server, &test_db.url, "s12_history_backfill");
    let Some(driver) = ChromeDriver::start() else {
        return;
    };
    let profile = tempfile::tempdir().expect("profile dir");
    let client = headless_chromium(&driver, profile.path()).await;
    client.goto(&server.url("/editor")).await.unwrap();
    sign_in(&client, "ana@example.org", "correct horse battery").await;
    wait_for_text(&client, "main h1", "Checks editor").await;
    wait_for_text(&client, "#no-problems", "No problems").await;

    // A broken line: marked in the gutter at line 3 and listed with its message.
    type_into(
        &client,
        "#checks-yaml",
        "checks for orders:\n  - row_count > 0\n  - row_count between 10\n",
    )
    .await;
    let problem = wait_for_text(&client, "#problems li", "line 3").await;
    assert!(problem.contains("error"), "{problem}");
    let marked = client
        .find_all(Locator::Css(".gutter .line-error"))
        .await
        .unwrap();
    assert_eq!(marked.len(), 1);
    assert_eq!(
        marked[0].attr("data-line").await.unwrap().as_deref(),
        Some("3")
    );
    screenshots(&client, "editor-error").await;

    // The file Soda Core ran (s12), as its author has it: valid, and its checks have history.
    let file = std::fs::read_to_string(fixture_dir("s12_history_backfill").join("checks.yml"))
        .expect("checks.yml");
    type_into(&client, "#data-source", "shop").await;
    type_into(&client, "#checks-yaml", &file).await;
    wait_for_text(&client, "#no-problems", "No problems").await;
    assert!(
        client
            .find_all(Locator::Css(".gutter .line-error"))
            .await
            .unwrap()
            .is_empty()
    );
    let row_count = wait_for_attr(
        &client,
        "#parsed-checks tr[data-line='8'] .backtest-result",
        "data-points",
        "14",
    )
    .await;
    assert_eq!(
        row_count.attr("data-pass").await.unwrap().as_deref(),
        Some("14")
    );
    assert_eq!(
        row_count.attr("data-changed").await.unwrap().as_deref(),
        Some("0")
    );
    screenshots(&client, "editor-backtest").await;

    // Opened from a check, the history stays pinned while its threshold is edited.
    let url = client
        .find(Locator::Css(
            "#parsed-checks tr[data-line='8'] .backtest-result a",
        ))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let check_id = url.trim_start_matches("/checks/").to_owned();
    client
        .goto(&server.url(&format!("/editor?check={check_id}")))
        .await
        .unwrap();
    let same = wait_for_attr(
        &client,
        "#parsed-checks tr[data-line='5'] .backtest-result",
        "data-points",
        "14",
    )
    .await;
    assert_eq!(
        same.attr("data-changed").await.unwrap().as_deref(),
        Some("0")
    );
    let text: Value = client
        .execute(
            "return document.getElementById('checks-yaml').value",
            vec![],
        )
        .await
        .unwrap();
    let text = text.as_str().unwrap().to_owned();
    assert!(
        text.starts_with("filter orders_history [daily]:\n  where: ")
            && text.ends_with("checks for orders_history [daily]:\n  - row_count > 0\n"),
        "{text}"
    );
    type_into(
        &client,
        "#checks-yaml",
        &text.replace("row_count > 0", "row_count > 1000000"),
    )
    .await;
    let stricter = wait_for_attr(
        &client,
        "#parsed-checks tr[data-line='5'] .backtest-result",
        "data-fail",
        "14",
    )
    .await;
    assert_eq!(
        stricter.attr("data-changed").await.unwrap().as_deref(),
        Some("14")
    );

    let errors = console_errors(&client).await;
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    client.close().await.unwrap();
}

/// Scans (a filter in the URL that survives a reload, a failed scan marked), a dataset's detail
/// (the failed-scan banner with its errors, the health chart, its checks and scans), and the
/// settings page: theme and time zone switches, and an API key created (its secret shown once,
/// and working) and revoked (and no longer working).
async fn scans_dataset_detail_and_settings_work_on_ingested_data(test_db: TestDb) {
    create_user(&test_db.url, "ana@example.org", "correct horse battery");
    let server = RunningServer::start(&test_db.url, &[]);
    if !embeds_dashboard(&server) {
        return;
    }
    replay_scenario(&server, &test_db.url, "s01_first_scan");
    replay_scenario(&server, &test_db.url, "s04_unknown_column_scan_abort");
    let Some(driver) = ChromeDriver::start() else {
        return;
    };
    let profile = tempfile::tempdir().expect("profile dir");
    let client = headless_chromium(&driver, profile.path()).await;

    client.goto(&server.url("/scans")).await.unwrap();
    sign_in(&client, "ana@example.org", "correct horse battery").await;
    wait_for_text(&client, "#scans-total", "2 scans").await;
    let failed = texts(&client, "#scans tbody tr.row-failed td:first-child").await;
    assert_eq!(failed, ["⚠ Failed"]);
    screenshots(&client, "scans").await;
    click(&client, Locator::Css("#failed-only")).await;
    wait_for_query(&client, |q| q == Some("failed=true"), "the filter").await;
    wait_for_text(&client, "#scans-total", "1 scan").await;
    client.refresh().await.unwrap();
    wait_for_text(&client, "#scans-total", "1 scan").await;
    assert_eq!(texts(&client, "#scans tbody tr").await.len(), 1);

    // The dataset whose latest scan failed: the banner, why, and its health over time.
    client.goto(&server.url("/datasets")).await.unwrap();
    wait_for_text(&client, "#datasets-summary", "2 datasets").await;
    click(&client, Locator::LinkText("orders")).await;
    wait_for_text(&client, "main h1", "orders").await;
    let banner = wait_for_text(&client, "#dataset-scan-failed", "failed").await;
    assert!(banner.contains("no_such_column"), "{banner}");
    wait_for_attr(&client, "#health-chart", "data-state", "ready").await;
    assert_eq!(
        client
            .find(Locator::Css("#health"))
            .await
            .unwrap()
            .attr("data-scans")
            .await
            .unwrap()
            .as_deref(),
        Some("1")
    );
    wait_for_text(&client, "#dataset-checks tbody tr", "").await;
    let checks = texts(&client, "#dataset-checks tbody tr").await;
    assert!(checks.len() > 5, "{checks:?}");
    assert!(checks[0].contains("fail"), "worst first: {checks:?}");
    wait_for_text(&client, "#dataset-scans tbody tr", "").await;
    let scans = texts(&client, "#dataset-scans tbody tr").await;
    assert_eq!(scans.len(), 2);
    screenshots(&client, "dataset").await;

    // Settings: the time zone switch changes how every time reads; the theme is remembered.
    client.goto(&server.url("/settings")).await.unwrap();
    wait_for_text(&client, "main h1", "Settings").await;
    click(&client, Locator::Css("#theme-dark")).await;
    wait_for_attr(&client, "html", "data-theme", "dark").await;
    client.refresh().await.unwrap();
    wait_for_attr(&client, "html", "data-theme", "dark").await;
    // The theme is applied before the page behind the sign-in gate renders again: wait for it.
    wait_for_text(&client, "main h1", "Settings").await;
    click(&client, Locator::Css("#theme-system")).await;

    // An API key: created with its secret shown once; it logs Soda Core in; revoked, it cannot.
    type_into(&client, "#key-name", "nightly-scans").await;
    type_into(&client, "#key-data-sources", "shop, warehouse").await;
    click(&client, Locator::Css("#new-key button[type='submit']")).await;
    let id = wait_for_text(&client, "#new-key-id", "").await;
    let secret = wait_for_text(&client, "#new-key-secret", "").await;
    assert!(!id.is_empty() && secret.len() > 20, "{id} {secret}");
    let login = json!({"type": "login", "apiKeyId": id, "apiKeySecret": secret});
    assert_eq!(post_json(&server.addr, "/api/command", &login).0, 200);
    let row = format!("#api-keys tr[data-key-id='{id}']");
    wait_for_text(&client, &row, "nightly-scans").await;
    // Limited to the data sources given: shown in its row, and so the server keeps it.
    wait_for_text(&client, &row, "shop, warehouse").await;
    screenshots(&client, "settings").await;
    click(&client, Locator::Css(&format!("{row} button.revoke"))).await;
    wait_for_text(&client, &row, "Revoked").await;
    assert_eq!(post_json(&server.addr, "/api/command", &login).0, 401);
    wait_for_text(&client, "#users tbody tr", "ana@example.org").await;
    let users = texts(&client, "#users tbody tr").await;
    assert!(
        users.iter().any(|u| u.contains("ana@example.org")),
        "{users:?}"
    );

    let own_row = "#users tr[data-email='ana@example.org'] button";
    assert!(
        client
            .find_all(Locator::Css(own_row))
            .await
            .unwrap()
            .is_empty(),
        "the signed-in admin is not offered to disable themselves"
    );

    // A user added as an editor can sign in; disabled, they cannot. The confirmation shows the
    // email as the server stored it (lower-cased).
    type_into(&client, "#user-email", "Ben@Example.org").await;
    click(&client, Locator::Css("#user-role option[value='editor']")).await;
    type_into(&client, "#user-password", "short").await;
    click(&client, Locator::Css("#new-user button[type='submit']")).await;
    wait_for_text(
        &client,
        "#users-title ~ .error",
        "password: at least 12 characters",
    )
    .await;
    type_into(&client, "#user-password", "a long enough password").await;
    click(&client, Locator::Css("#new-user button[type='submit']")).await;
    wait_for_text(
        &client,
        "#user-added",
        "ben@example.org can now sign in as editor",
    )
    .await;
    let ben = "#users tr[data-email='ben@example.org']";
    wait_for_text(&client, ben, "editor").await;
    let sign_in_ben = json!({"email": "ben@example.org", "password": "a long enough password"});
    assert_eq!(
        post_json(&server.addr, "/api/auth/login", &sign_in_ben).0,
        200
    );
    click(&client, Locator::Css(&format!("{ben} button.disable-user"))).await;
    wait_for_text(&client, ben, "disabled").await;
    assert_eq!(
        post_json(&server.addr, "/api/auth/login", &sign_in_ben).0,
        401
    );

    // An attribute defined here is offered to Soda Core; deleted, it is not.
    type_into(&client, "#attribute-name", "team").await;
    click(
        &client,
        Locator::Css("#attribute-type option[value='singleSelect']"),
    )
    .await;
    type_into(&client, "#attribute-allowed", "core, growth").await;
    click(
        &client,
        Locator::Css("#new-attribute button[type='submit']"),
    )
    .await;
    let team = "#attributes tr[data-attribute='team']";
    wait_for_text(&client, team, "core, growth").await;
    let (key_id, key_secret) = create_api_key(&test_db.url, "attribute-check");
    let token = post_json(
        &server.addr,
        "/api/command",
        &json!({"type": "login", "apiKeyId": key_id, "apiKeySecret": key_secret}),
    )
    .1["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let offered = |token: &str| {
        let (_, body) = post_json(
            &server.addr,
            "/api/query",
            &json!({"type": "sodaCoreAvailableCheckAttributes", "token": token}),
        );
        body.to_string()
    };
    assert!(offered(&token).contains("growth"), "{}", offered(&token));
    screenshots(&client, "settings-users-attributes").await;
    click(
        &client,
        Locator::Css(&format!("{team} button.delete-attribute")),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !client
        .find_all(Locator::Css(team))
        .await
        .unwrap()
        .is_empty()
    {
        assert!(
            Instant::now() < deadline,
            "the deleted attribute is still listed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!offered(&token).contains("growth"));

    // The one failed request is the too-short password above, refused on purpose.
    let mut errors = console_errors(&client).await;
    errors.retain(|e| !(e.contains("/api/users ") && e.contains("status of 400")));
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    client.close().await.unwrap();
}

/// Benchmark (not run by the test command; `scripts/bench-dashboard.sh` runs it): a check with
/// 10,000 results, seeded through the ingest code. Prints what the first visit downloads, how
/// long the check page takes to chart all of it (downsampled by the server to 1,000 points),
/// and the longest the page went without painting a frame meanwhile.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: scripts/bench-dashboard.sh"]
async fn benchmark_charting_a_check_with_10000_results() {
    let test_db = TestDb::sqlite();
    create_user(&test_db.url, "ana@example.org", "correct horse battery");
    let seeded = Command::new(env!("CARGO_BIN_EXE_seltzer"))
        .args([
            "seed",
            "--checks",
            "1",
            "--scans",
            "10000",
            "--datasets",
            "1",
            "--database-url",
            &test_db.url,
        ])
        .stdout(Stdio::null())
        .status()
        .expect("seltzer seed");
    assert!(seeded.success());
    let server = RunningServer::start(&test_db.url, &[]);
    if !embeds_dashboard(&server) {
        return;
    }
    let Some(driver) = ChromeDriver::start() else {
        return;
    };
    let profile = tempfile::tempdir().expect("profile dir");
    let client = headless_chromium(&driver, profile.path()).await;
    client.goto(&server.url("/checks/1?range=7")).await.unwrap();
    sign_in(&client, "ana@example.org", "correct horse battery").await;
    wait_for_attr(&client, "#trend-chart", "data-state", "ready").await;
    let first_load: Value = client
        .execute(
            "const all = performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation')); \
             const sum = f => all.filter(f).reduce((n, e) => n + e.encodedBodySize, 0); \
             return { withoutEcharts: sum(e => !e.name.includes('echarts') && !e.name.includes('/api/')), \
                      echarts: sum(e => e.name.includes('echarts')) };",
            vec![],
        )
        .await
        .unwrap();

    // Watch the frames while the whole history is fetched and drawn.
    client
        .execute(
            "window.__gaps = []; let last = performance.now(); \
             const tick = now => { window.__gaps.push(now - last); last = now; if (window.__gaps.length < 100000) requestAnimationFrame(tick); }; \
             requestAnimationFrame(tick); window.__start = performance.now();",
            vec![],
        )
        .await
        .unwrap();
    click(&client, Locator::LinkText("All")).await;
    let summary = wait_for_text(&client, "#history-summary", "10000 results").await;
    wait_for_attr(&client, "#trend-chart", "data-state", "ready").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let timing: Value = client
        .execute(
            "const o = echarts.getInstanceByDom(document.getElementById('trend-chart')).getOption(); \
             return { ms: performance.now() - window.__start, longestFrameGap: Math.max(...window.__gaps), \
                      points: o.series[0].data.length };",
            vec![],
        )
        .await
        .unwrap();
    println!(
        "first visit, without ECharts: {} bytes as served (gzip)",
        first_load["withoutEcharts"]
    );
    println!(
        "ECharts, with the first chart: {} bytes as served (gzip)",
        first_load["echarts"]
    );
    println!("check page, all of 10,000 results: {summary}");
    println!(
        "  fetched and charted in {:.0} ms; {} points drawn; longest frame gap {:.0} ms",
        timing["ms"].as_f64().unwrap_or_default(),
        timing["points"],
        timing["longestFrameGap"].as_f64().unwrap_or_default()
    );
    screenshot(&client, "bench-10000").await;
    client.close().await.unwrap();
}

/// The pages over data ingested into each engine: the same test on SQLite and on PostgreSQL.
macro_rules! in_the_browser_on_both_engines {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread")]
            async fn sqlite() {
                super::$name(crate::support::TestDb::sqlite()).await;
            }
            #[tokio::test(flavor = "multi_thread")]
            async fn postgres() {
                if let Some(db) = crate::support::TestDb::postgres().await {
                    super::$name(db).await;
                }
            }
        }
    )*};
}

in_the_browser_on_both_engines!(
    the_app_shell_renders_and_client_routes_survive_a_reload,
    the_checks_page_shows_ingested_results_and_keeps_its_view_in_the_url,
    the_datasets_page_warns_when_the_latest_scan_of_a_dataset_failed,
    the_check_page_charts_history_with_zones_and_shows_failed_rows,
    the_editor_marks_errors_at_their_line_and_backtests_thresholds,
    scans_dataset_detail_and_settings_work_on_ingested_data,
);
