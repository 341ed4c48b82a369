//! Soda Core 4 on the dashboard: a contract verification's scan shows the contract it
//! verified, its freshness check reads in time, and its dataset under its qualified name with
//! the columns its schema check reported.

use super::*;

in_the_browser_on_both_engines!(a_contract_verification_reads_like_a_scan);

async fn a_contract_verification_reads_like_a_scan(test_db: TestDb) {
    let Some(dashboard) = Dashboard::start(&test_db, &[]).await else {
        return;
    };
    let scan_id = dashboard.replay_v4("s01_first_verify").await[0];
    let (server, client) = (&dashboard.server, &dashboard.client);

    client
        .goto(&server.url(&format!("/scans/{scan_id}")))
        .await
        .unwrap();
    sign_in(client, EMAIL, PASSWORD).await;
    wait_for_text(client, "main h1", "shop/main/orders").await;
    let summary = wait_for_text(client, "#scan-contract summary", "Data contract").await;
    assert!(summary.contains("verified"), "{summary}");
    click(client, Locator::Css("#scan-contract summary")).await;
    let contract = wait_for_text(client, "#scan-contract pre", "dataset: shop/main/orders").await;
    assert!(contract.contains("columns:"), "{contract}");
    // The freshness check's value in time, not in milliseconds.
    let fresh = client
        .find(Locator::XPath(
            "//tr[td[@class='check-name']/a[text()='Data is fresh']]/td[@class='number']",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(fresh, "30m 0s");

    // Its dataset, by its qualified name.
    client.goto(&server.url("/datasets")).await.unwrap();
    wait_for_text(client, "#datasets-summary", "1 dataset").await;
    let row = wait_for_text(client, "table tbody tr", "main/orders").await;
    assert!(row.contains("shop"), "{row}");
    // Its page: the columns its schema check reported.
    click(client, Locator::XPath("//a[text()='main/orders']")).await;
    wait_for_text(client, "#dataset-columns summary", "Columns").await;
    click(client, Locator::Css("#dataset-columns summary")).await;
    let columns = wait_for_text(client, "#dataset-columns table", "DECIMAL(10,2)").await;
    assert!(columns.contains("created_at"), "{columns}");

    dashboard.finish(|_| false).await;
}
