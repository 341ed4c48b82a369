//! Notifications set up from the settings page: a webhook channel added and tested against a
//! real receiver, an email channel, the delivery log, a rule, the check page naming the rule
//! that covers it, and a message's link opened cold (sign-in, then the linked result).

use super::*;
use crate::support::Receiver;

in_the_browser_on_both_engines!(notifications_are_set_up_and_tested_from_the_settings_page);

async fn notifications_are_set_up_and_tested_from_the_settings_page(test_db: TestDb) {
    let public = ["--public-url", "https://seltzer.example.com"];
    let Some(dashboard) = Dashboard::start(&test_db, &public).await else {
        return;
    };
    dashboard.ingest_recorded_scan("s01_first_scan");
    let receiver = Receiver::start().await;
    let (server, client) = (&dashboard.server, &dashboard.client);
    client.goto(&server.url("/settings")).await.unwrap();
    sign_in(client, EMAIL, PASSWORD).await;
    wait_for_text(client, "#notifications-title", "Notifications").await;

    // A signed webhook channel; its test message arrives, signed, and the log says delivered.
    type_into(client, "#channel-name", "hook").await;
    click(
        client,
        Locator::Css("#channel-type option[value='webhook']"),
    )
    .await;
    type_into(client, "#channel-url", &format!("{}/hook", receiver.url)).await;
    type_into(client, "#channel-secret", "s3cret").await;
    click(client, Locator::Css("#new-channel button[type='submit']")).await;
    let row = wait_for_text(client, "#channels tbody tr", "hook").await;
    assert!(row.contains("signed") && !row.contains("/hook"), "{row}");
    click(client, Locator::Css("#channels button.test-channel")).await;
    let received = receiver.wait_for(1).await;
    assert_eq!(received[0].json()["event"], "validate");
    assert!(received[0].header("x-seltzer-signature").starts_with("v1="));
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        click(client, Locator::Css("#refresh-deliveries")).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let status = client.find(Locator::Css("#deliveries tbody tr")).await.ok();
        if let Some(row) = status
            && row.attr("data-status").await.unwrap().as_deref() == Some("delivered")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the test message never showed as delivered"
        );
    }

    // An email channel: the URL field gives way to the SMTP server's; listed with its
    // recipients.
    type_into(client, "#channel-name", "mail").await;
    click(client, Locator::Css("#channel-type option[value='email']")).await;
    type_into(client, "#smtp-host", "127.0.0.1").await;
    clear(client, "#smtp-port").await;
    type_into(client, "#smtp-port", "2525").await;
    click(client, Locator::Css("#smtp-security option[value='none']")).await;
    type_into(client, "#smtp-from", "Seltzer <seltzer@example.com>").await;
    type_into(client, "#smtp-to", "data@example.com, oncall@example.com").await;
    click(client, Locator::Css("#new-channel button[type='submit']")).await;
    let row = wait_for_text(client, "#channels tbody tr:nth-child(2)", "mail").await;
    assert!(
        row.contains("smtp://127.0.0.1:2525 → data@example.com, oncall@example.com"),
        "{row}"
    );

    // A rule for the orders dataset's failures, on change, and when it goes a day without a
    // scan; pausing it shows.
    type_into(client, "#rule-name", "orders failures").await;
    click(client, Locator::Css(".rule-channel")).await;
    type_into(client, "#rule-dataset", "orders").await;
    type_into(client, "#rule-no-scan", "26").await;
    // Tried first on the stored results (the scan is from 23 Nov, within 30 days).
    click(client, Locator::Css("#preview-rule")).await;
    let preview = wait_for_text(client, "#rule-preview", "Over the last 30 days").await;
    assert!(
        preview.contains("would have sent 1 message telling of 5 results"),
        "{preview}"
    );
    click(client, Locator::Css("#new-rule button[type='submit']")).await;
    let rule = wait_for_text(client, "#rules tbody tr", "orders failures").await;
    assert!(
        rule.contains("fail · on change, with recovery · no scan for 26 h · orders"),
        "{rule}"
    );
    assert!(rule.contains("hook"), "{rule}");
    screenshots(client, "settings-notifications").await;

    // A rule that opens incidents needs no channel; it says how it opens and closes them.
    // Removed again: this test is about messages.
    type_into(client, "#rule-name", "orders incidents").await;
    click(client, Locator::Css("#rule-incidents")).await;
    click(
        client,
        Locator::Css("#rule-incident-severity option[value='critical']"),
    )
    .await;
    click(client, Locator::Css("#rule-incident-resolve")).await;
    click(client, Locator::Css("#new-rule button[type='submit']")).await;
    let rule = wait_for_text(
        client,
        "#rules tbody",
        "opens critical incidents, resolved on recovery",
    )
    .await;
    assert!(rule.contains("orders incidents"), "{rule}");
    click(
        client,
        Locator::XPath(
            "//tr[td[text()='orders incidents']]//button[contains(@class,'delete-rule')]",
        ),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while texts(client, "#rules tbody tr").await.len() != 1 {
        assert!(Instant::now() < deadline, "the deleted rule stayed listed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The check page of an orders check names the rule.
    client
        .goto(&server.url("/?search=orders&sort=dataset"))
        .await
        .unwrap();
    wait_for_text(client, "#checks-total", "checks").await;
    let link = client
        .find(Locator::XPath(
            "//tr[td/a[text()='orders']]/td[@class='check-name']/a",
        ))
        .await
        .unwrap();
    link.click().await.unwrap();
    wait_for_text(client, "#notified", "Notifications: orders failures").await;

    // A message's link to a result (`/checks/{id}?result={id}`), opened cold in a browser
    // with no session: sign-in first, then that result's page with the result open.
    let check_path = client.current_url().await.unwrap().path().to_owned();
    let result_id = client
        .find(Locator::Css("#results tbody tr"))
        .await
        .unwrap()
        .attr("data-result-id")
        .await
        .unwrap()
        .unwrap();
    let link = format!("{check_path}?result={result_id}");
    client.delete_all_cookies().await.unwrap();
    client.goto(&server.url(&link)).await.unwrap();
    sign_in(client, EMAIL, PASSWORD).await;
    let panel = client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("#result-panel"))
        .await
        .unwrap();
    assert_eq!(
        panel.attr("data-result-id").await.unwrap().as_deref(),
        Some(result_id.as_str())
    );
    let url = client.current_url().await.unwrap();
    assert_eq!(url.path(), check_path);
    assert_eq!(url.query(), Some(format!("result={result_id}").as_str()));

    dashboard.finish(|_| false).await;
}
