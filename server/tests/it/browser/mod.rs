//! The dashboard in real headless Chromium (Debian's chromium + chromedriver, driven over
//! WebDriver by fantoccini) against a real `seltzer serve` that carries the embedded dashboard.
//! Each visited page is saved as a screenshot under `target/browser-screenshots/`.
//!
//! - `shell`: the app shell, client routes, and a tab left open across an upgrade;
//! - `checks`: the checks list and one check's page (trend chart, failed rows);
//! - `datasets`: datasets and their health;
//! - `editor`: the checks editor and its backtest;
//! - `scans_and_settings`: scans, a dataset's detail, and the settings page;
//! - `notifications`: channels, rules and the delivery log from the settings page;
//! - `benchmark`: charting 10,000 results (ignored; `scripts/bench-dashboard.sh`).

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::{
    RunningServer, ServedSeltzer, TestDb, fixture_dir, http_post_json, http_request, replay,
    replay_v4, skip_or_fail, target_dir,
};

/// The pages over data ingested into each engine: the same test on SQLite and on PostgreSQL.
macro_rules! in_the_browser_on_both_engines {
    ($($name:ident),* $(,)?) => {
        crate::support::on_both_engines!(multi_thread: $($name),*);
    };
}

mod benchmark;
mod checks;
mod contracts;
mod datasets;
mod editor;
mod incidents;
mod notifications;
mod runs;
mod scans_and_settings;
mod shell;

/// A JSON command or sign-in over HTTP: the status and the JSON answer.
fn post_json(addr: &str, path: &str, body: &Value) -> (u16, Value) {
    let answer = http_post_json(addr, path, body);
    (answer.status, answer.json_or_null())
}

/// The user every test signs in as (an admin).
const EMAIL: &str = "ana@example.org";
const PASSWORD: &str = "correct horse battery";

/// A `seltzer serve` carrying the dashboard, with a user who may sign in, and headless Chromium
/// to drive it. Ends with `finish`, which also asserts the page logged no errors.
struct Dashboard {
    server: RunningServer,
    client: Client,
    database_url: String,
    _driver: ChromeDriver,
    _profile: TempDir,
}

impl Dashboard {
    /// `None` (after a printed skip, or a failure under CI) when this test binary embeds no
    /// dashboard (`trunk build --release` did not run before it) or Chromium cannot start.
    async fn start(test_db: &TestDb, server_args: &[&str]) -> Option<Self> {
        create_user(&test_db.url, EMAIL, PASSWORD);
        // Secrets can be stored (a fixed test key: 32 bytes, 0 to 31).
        let server = RunningServer::start_with_env(
            &test_db.url,
            server_args,
            &[(
                "SELTZER_SECRET_KEY",
                "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            )],
        );
        let index = http_request(&server.addr, "GET", "/");
        if !String::from_utf8_lossy(&index.body).contains(".wasm") {
            skip_or_fail(
                "this test binary embeds no dashboard: run `trunk build --release` before \
                 `cargo test` (scripts/test.sh does)",
            );
            return None;
        }
        let driver = ChromeDriver::start()?;
        let profile = tempfile::tempdir().expect("profile dir");
        let client = headless_chromium(&driver, profile.path()).await;
        Some(Self {
            server,
            client,
            database_url: test_db.url.clone(),
            _driver: driver,
            _profile: profile,
        })
    }

    /// Every request Soda Core sent in a recorded scenario, replayed in order over HTTP with a
    /// new API key. The ids of the stored scans.
    async fn replay(&self, scenario: &str) -> Vec<i64> {
        replay(&self.soda_core(), scenario).await.scan_ids()
    }

    /// The dashboard's server as Soda Core reaches it, with a new (viewer's) API key.
    fn soda_core(&self) -> ServedSeltzer<'_> {
        let (key_id, secret) = create_api_key(&self.database_url, "browser-replay");
        ServedSeltzer {
            server: &self.server,
            key_id,
            secret,
        }
    }

    /// The same for a recorded Soda Core 4 scenario.
    async fn replay_v4(&self, scenario: &str) -> Vec<i64> {
        replay_v4(&self.soda_core(), scenario).await.scan_ids()
    }

    /// Soda Core's own scan results of a recorded scenario, sent the way Soda Core sends them:
    /// log in with an API key, then `sodaCoreInsertScanResults`.
    fn ingest_recorded_scan(&self, scenario: &str) {
        let (id, secret) = create_api_key(&self.database_url, "browser-test");
        let login = http_post_json(
            &self.server.addr,
            "/api/command",
            &json!({"type": "login", "apiKeyId": id, "apiKeySecret": secret}),
        );
        assert_eq!(login.status, 200, "{:?}", login.json_or_null());
        let path = fixture_dir(scenario).join("scan_results.json");
        let mut scan: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json");
        scan["token"] = login.json()["token"].clone();
        scan["type"] = json!("sodaCoreInsertScanResults");
        let answer = http_post_json(&self.server.addr, "/api/command", &scan);
        assert_eq!(answer.status, 200, "{:?}", answer.json_or_null());
    }

    /// Asserts the page logged no errors but the `expected` ones, and ends the session.
    async fn finish(self, expected: impl Fn(&str) -> bool) {
        let mut errors = console_errors(&self.client).await;
        errors.retain(|e| !expected(e));
        assert!(errors.is_empty(), "console errors: {errors:#?}");
        self.close().await;
    }

    async fn close(self) {
        self.client.close().await.unwrap();
    }
}

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

async fn sign_in(client: &Client, email: &str, password: &str) {
    wait_for_text(client, "main h1", "Sign in").await;
    send_keys(client, "#email", email).await;
    send_keys(client, "#password", password).await;
    click(client, Locator::Css(".signin button[type='submit']")).await;
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

/// The texts of the elements `css` finds. A list can re-render between finding its elements
/// and reading them (a stale element): then it is read again.
async fn texts(client: &Client, css: &str) -> Vec<String> {
    for _ in 0..50 {
        let mut out = Vec::new();
        let mut stale = false;
        for element in client.find_all(Locator::Css(css)).await.unwrap() {
            match element.text().await {
                Ok(text) => out.push(text),
                Err(_) => {
                    stale = true;
                    break;
                }
            }
        }
        if !stale {
            return out;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("`{css}` kept re-rendering while read");
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

/// The text of the element `locator` finds now.
async fn text_of(client: &Client, locator: Locator<'_>) -> String {
    client.find(locator).await.unwrap().text().await.unwrap()
}

/// An attribute of the element `css` finds now.
async fn attr_of(client: &Client, css: &str, attr: &str) -> Option<String> {
    let element = client.find(Locator::Css(css)).await.unwrap();
    element.attr(attr).await.unwrap()
}

/// Types `text` at the end of a text field's content.
async fn send_keys(client: &Client, css: &str, text: &str) {
    let field = client.find(Locator::Css(css)).await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn clear(client: &Client, css: &str) {
    let field = client.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
}

/// Replaces the whole text of a text field the way a person would: select all, type.
async fn type_into(client: &Client, css: &str, text: &str) {
    clear(client, css).await;
    send_keys(client, css, text).await;
}
