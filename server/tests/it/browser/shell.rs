//! The app shell: sign-in, client routes that survive a reload, code split per page, and a tab
//! left open across an upgrade.

use super::*;

in_the_browser_on_both_engines!(the_app_shell_renders_and_client_routes_survive_a_reload);

async fn the_app_shell_renders_and_client_routes_survive_a_reload(test_db: TestDb) {
    let Some(dashboard) = Dashboard::start(&test_db, &[]).await else {
        return;
    };
    let (server, client) = (&dashboard.server, &dashboard.client);

    // Signed out: the app asks to sign in, then comes back to where the visitor was going.
    client.goto(&server.url("/")).await.unwrap();
    wait_for_text(client, "main h1", "Sign in").await;
    assert_eq!(client.current_url().await.unwrap().path(), "/signin");
    screenshots(client, "signin").await;
    sign_in(client, "ana@example.org", "wrong password!!").await;
    let error = wait_for_text(client, "#signin-error", "password").await;
    assert!(!error.is_empty());
    clear(client, "#email").await;
    clear(client, "#password").await;
    sign_in(client, EMAIL, PASSWORD).await;
    wait_for_text(client, "#signed-in-as", "ana@example.org").await;
    assert_eq!(client.current_url().await.unwrap().path(), "/");

    let status = wait_for_text(client, "#server-status[data-status='ok']", "Seltzer").await;
    assert!(status.contains(test_db.engine), "{status}");
    let nav = client.find(Locator::Css("header nav")).await.unwrap();
    assert!(nav.is_displayed().await.unwrap(), "navigation is visible");
    let links = nav.find_all(Locator::Css("a")).await.unwrap();
    let mut names = Vec::new();
    for link in &links {
        names.push(link.text().await.unwrap());
    }
    assert_eq!(
        names,
        [
            "Checks",
            "Datasets",
            "Scans",
            "Runs",
            "Incidents",
            "Editor",
            "Settings"
        ]
    );
    wait_for_text(client, "main h1", "Checks").await;
    let snippet = wait_for_text(client, ".snippet", "soda_cloud:").await;
    assert!(snippet.contains("host: 127.0.0.1"), "{snippet}");
    screenshots(client, "checks").await;

    // The first load carries the shell and the checks page; every other page's code is a chunk
    // fetched on its first visit (scripts/build-app.sh splits them).
    let wasm = loaded_wasm(client).await;
    assert!(
        wasm.iter().any(|w| w.ends_with("/frontend_bg.wasm")),
        "{wasm:?}"
    );
    assert!(!wasm.iter().any(|w| w.contains("/split_")), "{wasm:?}");

    // A client-side navigation, then a reload of the deep link: the server must answer the
    // route with index.html and the app must render the same page again.
    click(client, Locator::LinkText("Datasets")).await;
    wait_for_text(client, "main h1", "Datasets").await;
    assert_eq!(client.current_url().await.unwrap().path(), "/datasets");
    let wasm = loaded_wasm(client).await;
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
    screenshot(client, "datasets").await;
    client.refresh().await.unwrap();
    wait_for_text(client, "main h1", "Datasets").await;
    assert_eq!(client.current_url().await.unwrap().path(), "/datasets");
    screenshot(client, "datasets-after-reload").await;

    // `/checks` is the checks list too (its pages are `/checks/{id}`).
    client.goto(&server.url("/checks")).await.unwrap();
    wait_for_text(client, "main h1", "Checks").await;

    client.goto(&server.url("/no/such/page")).await.unwrap();
    wait_for_text(client, "main h1", "Page not found").await;
    screenshots(client, "not-found").await;

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

    dashboard.finish(|_| false).await;
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
    let dist_arg = dist.path().to_str().expect("utf-8 path");
    let Some(dashboard) = Dashboard::start(&test_db, &["--dist", dist_arg]).await else {
        return;
    };
    let (server, client) = (&dashboard.server, &dashboard.client);
    client.goto(&server.url("/")).await.unwrap();
    wait_for_text(client, "main h1", "Sign in").await;
    sign_in(client, EMAIL, PASSWORD).await;
    wait_for_text(client, "main h1", "Checks").await;

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

    click(client, Locator::LinkText("Settings")).await;
    let notice = wait_for_text(client, ".crash-notice[role='alert']", "Reload the page").await;
    assert!(notice.contains("upgraded"), "{notice}");
    let reload = client.find(Locator::Css(".crash-notice a")).await.unwrap();
    assert_eq!(reload.attr("href").await.unwrap().as_deref(), Some(""));
    screenshot(client, "stale-tab-notice").await;
    // The notice is the answer to a panic, which the console logs: no console check here.
    dashboard.close().await;
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
