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
        .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn screenshot(client: &Client, name: &str) {
    let dir: PathBuf = target_dir().join("browser-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
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

    client.goto(&server.url("/")).await.unwrap();
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
