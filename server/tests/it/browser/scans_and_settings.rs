//! Scans, a dataset's detail, and the settings page.

use super::*;

in_the_browser_on_both_engines!(scans_dataset_detail_and_settings_work_on_ingested_data);

/// Scans (a filter in the URL that survives a reload, a failed scan marked), a dataset's detail
/// (the failed-scan banner with its errors, the health chart, its checks and scans), and the
/// settings page: theme and time zone switches, and an API key created (its secret shown once,
/// and working) and revoked (and no longer working).
async fn scans_dataset_detail_and_settings_work_on_ingested_data(test_db: TestDb) {
    let Some(dashboard) = Dashboard::start(&test_db, &[]).await else {
        return;
    };
    dashboard.replay("s01_first_scan").await;
    dashboard.replay("s04_unknown_column_scan_abort").await;
    let (server, client) = (&dashboard.server, &dashboard.client);

    client.goto(&server.url("/scans")).await.unwrap();
    sign_in(client, EMAIL, PASSWORD).await;
    wait_for_text(client, "#scans-total", "2 scans").await;
    let failed = texts(client, "#scans tbody tr.row-failed td:first-child").await;
    assert_eq!(failed, ["⚠ Failed"]);
    screenshots(client, "scans").await;
    click(client, Locator::Css("#failed-only")).await;
    wait_for_query(client, |q| q == Some("failed=true"), "the filter").await;
    wait_for_text(client, "#scans-total", "1 scan").await;
    client.refresh().await.unwrap();
    wait_for_text(client, "#scans-total", "1 scan").await;
    assert_eq!(texts(client, "#scans tbody tr").await.len(), 1);

    // The dataset whose latest scan failed: the banner, why, and its health over time.
    client.goto(&server.url("/datasets")).await.unwrap();
    wait_for_text(client, "#datasets-summary", "2 datasets").await;
    click(client, Locator::LinkText("orders")).await;
    wait_for_text(client, "main h1", "orders").await;
    let banner = wait_for_text(client, "#dataset-scan-failed", "failed").await;
    assert!(banner.contains("no_such_column"), "{banner}");
    wait_for_attr(client, "#health-chart", "data-state", "ready").await;
    assert_eq!(
        attr_of(client, "#health", "data-scans").await.as_deref(),
        Some("1")
    );
    wait_for_text(client, "#dataset-checks tbody tr", "").await;
    let checks = texts(client, "#dataset-checks tbody tr").await;
    assert!(checks.len() > 5, "{checks:?}");
    assert!(checks[0].contains("fail"), "worst first: {checks:?}");
    wait_for_text(client, "#dataset-scans tbody tr", "").await;
    let scans = texts(client, "#dataset-scans tbody tr").await;
    assert_eq!(scans.len(), 2);
    screenshots(client, "dataset").await;

    // Settings: the time zone switch changes how every time reads; the theme is remembered.
    client.goto(&server.url("/settings")).await.unwrap();
    wait_for_text(client, "main h1", "Settings").await;
    click(client, Locator::Css("#theme-dark")).await;
    wait_for_attr(client, "html", "data-theme", "dark").await;
    client.refresh().await.unwrap();
    wait_for_attr(client, "html", "data-theme", "dark").await;
    // The theme is applied before the page behind the sign-in gate renders again: wait for it.
    wait_for_text(client, "main h1", "Settings").await;
    click(client, Locator::Css("#theme-system")).await;

    // An API key: created with its secret shown once; it logs Soda Core in; revoked, it cannot.
    type_into(client, "#key-name", "nightly-scans").await;
    type_into(client, "#key-data-sources", "shop, warehouse").await;
    click(client, Locator::Css("#new-key button[type='submit']")).await;
    let id = wait_for_text(client, "#new-key-id", "").await;
    let secret = wait_for_text(client, "#new-key-secret", "").await;
    assert!(!id.is_empty() && secret.len() > 20, "{id} {secret}");
    let login = json!({"type": "login", "apiKeyId": id, "apiKeySecret": secret});
    assert_eq!(post_json(&server.addr, "/api/command", &login).0, 200);
    let row = format!("#api-keys tr[data-key-id='{id}']");
    wait_for_text(client, &row, "nightly-scans").await;
    // Limited to the data sources given: shown in its row, and so the server keeps it.
    wait_for_text(client, &row, "shop, warehouse").await;
    screenshots(client, "settings").await;
    click(client, Locator::Css(&format!("{row} button.revoke"))).await;
    wait_for_text(client, &row, "Revoked").await;
    assert_eq!(post_json(&server.addr, "/api/command", &login).0, 401);
    wait_for_text(client, "#users tbody tr", "ana@example.org").await;
    let users = texts(client, "#users tbody tr").await;
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
    type_into(client, "#user-email", "Ben@Example.org").await;
    click(client, Locator::Css("#user-role option[value='editor']")).await;
    type_into(client, "#user-password", "short").await;
    click(client, Locator::Css("#new-user button[type='submit']")).await;
    wait_for_text(
        client,
        "#users-title ~ .error",
        "password: at least 12 characters",
    )
    .await;
    type_into(client, "#user-password", "a long enough password").await;
    click(client, Locator::Css("#new-user button[type='submit']")).await;
    wait_for_text(
        client,
        "#user-added",
        "ben@example.org can now sign in as editor",
    )
    .await;
    let ben = "#users tr[data-email='ben@example.org']";
    wait_for_text(client, ben, "editor").await;
    let sign_in_ben = json!({"email": "ben@example.org", "password": "a long enough password"});
    assert_eq!(
        post_json(&server.addr, "/api/auth/login", &sign_in_ben).0,
        200
    );
    click(client, Locator::Css(&format!("{ben} button.disable-user"))).await;
    wait_for_text(client, ben, "disabled").await;
    assert_eq!(
        post_json(&server.addr, "/api/auth/login", &sign_in_ben).0,
        401
    );

    // An attribute defined here is offered to Soda Core; deleted, it is not.
    type_into(client, "#attribute-name", "team").await;
    click(
        client,
        Locator::Css("#attribute-type option[value='singleSelect']"),
    )
    .await;
    type_into(client, "#attribute-allowed", "core, growth").await;
    click(client, Locator::Css("#new-attribute button[type='submit']")).await;
    let team = "#attributes tr[data-attribute='team']";
    wait_for_text(client, team, "core, growth").await;
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
    screenshots(client, "settings-users-attributes").await;
    click(
        client,
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
    dashboard
        .finish(|e| e.contains("/api/users ") && e.contains("status of 400"))
        .await;
}
