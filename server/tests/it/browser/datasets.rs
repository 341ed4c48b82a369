//! Datasets and their health: a failed latest scan is a warning that links to it.

use super::*;

in_the_browser_on_both_engines!(the_datasets_page_warns_when_the_latest_scan_of_a_dataset_failed);

/// The datasets page: a dataset whose latest scan failed carries an unmistakable warning that
/// links to that scan; the others show their status; each links to its checks.
async fn the_datasets_page_warns_when_the_latest_scan_of_a_dataset_failed(test_db: TestDb) {
    let Some(dashboard) = Dashboard::start(&test_db, &[]).await else {
        return;
    };
    dashboard.ingest_recorded_scan("s01_first_scan");
    dashboard.ingest_recorded_scan("s04_unknown_column_scan_abort");
    let (server, client) = (&dashboard.server, &dashboard.client);

    client.goto(&server.url("/datasets")).await.unwrap();
    sign_in(client, EMAIL, PASSWORD).await;
    wait_for_text(client, "#datasets-summary", "2 datasets").await;
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
    screenshots(client, "datasets-scan-failed").await;

    // The warning opens the failing scan: why it failed comes first, and the log filters.
    link.click().await.unwrap();
    wait_for_text(client, "#scan-failed", "This scan failed").await;
    let first_log = wait_for_text(client, "#scan-logs li:first-child", "ERROR").await;
    assert!(first_log.contains("no_such_column"), "{first_log}");
    let all = texts(client, "#scan-logs li").await.len();
    click(client, Locator::Css("#log-level option[value='error']")).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let shown = texts(client, "#scan-logs li").await;
        if shown.len() < all && shown.iter().all(|l| l.starts_with("ERROR")) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the level filter did not apply: {shown:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    screenshots(client, "scan-failed").await;
    client.back().await.unwrap();
    wait_for_text(client, "#datasets-summary", "2 datasets").await;
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
    wait_for_text(client, "main h1", "orders").await;
    wait_for_text(client, "#dataset-scan-failed", "failed").await;
    wait_for_text(client, "#dataset-checks tbody tr", "").await;
    let rows = texts(client, "#dataset-checks tbody tr").await;
    assert!(!rows.is_empty());

    dashboard.finish(|_| false).await;
}
