//! Runs on the dashboard: an admin stores a secret and a data source that refers to it, an
//! editor adds a scheduled definition (its next fire times shown), runs it now and follows its
//! log live until it ends, and cancels a run that would go on for minutes; an admin registers
//! an agent and gives it a data source. Soda Core is the runner tests' stand-in
//! (`tests/data/runner/fake-soda`).

use super::*;

in_the_browser_on_both_engines!(a_definition_is_added_run_followed_and_canceled);

async fn a_definition_is_added_run_followed_and_canceled(test_db: TestDb) {
    let fake = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/runner/fake-soda");
    let fake = fake.to_string_lossy().into_owned();
    let Some(dashboard) = Dashboard::start(
        &test_db,
        &["--soda-v3", fake.as_str(), "--run-tick-ms", "100"],
    )
    .await
    else {
        return;
    };
    let (server, client) = (&dashboard.server, &dashboard.client);
    client.goto(&server.url("/settings")).await.unwrap();
    sign_in(client, EMAIL, PASSWORD).await;

    // A secret, then a data source that names it: the list says what it refers to.
    wait_for_text(client, "#data-sources-title", "Data sources").await;
    type_into(client, "#secret-name", "warehouse").await;
    type_into(client, "#secret-value", "s3cr3t-value").await;
    click(client, Locator::Css("#new-secret button[type='submit']")).await;
    wait_for_text(client, "#secrets tbody", "warehouse").await;
    type_into(client, "#source-name", "shop").await;
    type_into(client, "#source-type", "duckdb").await;
    type_into(
        client,
        "#source-configuration",
        "path: /data/shop.duckdb\npassword: ${secret:warehouse}",
    )
    .await;
    click(
        client,
        Locator::Css("#new-data-source button[type='submit']"),
    )
    .await;
    wait_for_text(client, "#data-sources tbody", "secret:warehouse").await;
    let page = text_of(client, Locator::Css("main")).await;
    assert!(!page.contains("s3cr3t-value"), "the secret's value shows");

    // A definition on a schedule: its page lists the next fire times.
    click(
        client,
        Locator::Css("nav[aria-label='Main'] a[href='/runs']"),
    )
    .await;
    wait_for_text(client, "main h1", "Runs").await;
    type_into(client, "#definition-name", "orders nightly").await;
    click(
        client,
        Locator::Css("#definition-source option[value='shop']"),
    )
    .await;
    type_into(client, "#definition-cron", "30 6 * * 1-5").await;
    type_into(client, "#definition-timezone", "Europe/Amsterdam").await;
    type_into(
        client,
        "#definition-checks",
        "# fake: echo hello from the scan\n# fake: sleep 1\nchecks for orders:\n  - row_count > 0\n",
    )
    .await;
    click(
        client,
        Locator::Css("#new-definition button[type='submit']"),
    )
    .await;
    wait_for_text(client, "#definition-name", "orders nightly").await;
    wait_for_text(
        client,
        "#definition-schedule",
        "30 6 * * 1-5 in Europe/Amsterdam",
    )
    .await;
    assert_eq!(texts(client, "#next-fire-times li").await.len(), 5);
    screenshots(client, "scan-definition").await;

    // Run now: the run's page follows its log until it ends (no results: failed, saying why).
    click(client, Locator::Css(".run-now")).await;
    wait_for_text(client, "#run-title", "of orders nightly").await;
    wait_for_text(client, "#run-log", "hello from the scan").await;
    wait_for_attr(client, "#run-state .run-state", "data-state", "failed").await;
    wait_for_text(client, "#run-error", "Soda Core sent no results").await;
    wait_for_text(client, "#run-log", "ended: failed").await;
    screenshots(client, "scan-run").await;

    // An agreement: the signed-in user is its stakeholder; the schedule waits for the approval
    // of the new version.
    click(client, Locator::Css("#run-facts dd a")).await;
    wait_for_text(client, "#definition-name", "orders nightly").await;
    click(client, Locator::Css(".edit-definition summary")).await;
    type_into(client, "#definition-stakeholders", EMAIL).await;
    click(
        client,
        Locator::Css("#edit-definition button[type='submit']"),
    )
    .await;
    wait_for_text(client, "#agreement-title", "Agreement on version 2").await;
    wait_for_text(client, "#agreement-state", "Awaiting approval").await;
    click(client, Locator::Css("#approve-definition")).await;
    wait_for_text(client, "#agreement-state", "Approved").await;
    wait_for_text(client, "#agreement .approvals", EMAIL).await;
    screenshots(client, "scan-definition-agreement").await;

    // A dry run of edited checks, then the two runs compared on its page.
    click(client, Locator::Css(".edit-definition summary")).await;
    send_keys(client, "#definition-checks", "  - row_count < 1000\n").await;
    click(client, Locator::Css("#dry-run")).await;
    wait_for_text(client, "#run-log", "ended: failed").await;
    wait_for_text(client, "#dry-run-outcomes", "Soda Core reported no checks.").await;
    let first = attr_of(client, "#compare-with option:nth-child(2)", "value")
        .await
        .expect("another run to compare with");
    click(
        client,
        Locator::Css(&format!("#compare-with option[value='{first}']")),
    )
    .await;
    wait_for_text(client, "#compare-summary", &format!("Run {first} → run")).await;
    wait_for_text(client, "#compare-diff", "+  - row_count < 1000").await;
    screenshots(client, "scan-run-compare").await;

    // The list shows it as the last run; a long run is canceled from its page.
    click(
        client,
        Locator::Css("nav[aria-label='Main'] a[href='/runs']"),
    )
    .await;
    wait_for_text(client, "#definitions tbody tr", "failed").await;
    type_into(client, "#definition-name", "long one").await;
    click(
        client,
        Locator::Css("#definition-source option[value='shop']"),
    )
    .await;
    type_into(
        client,
        "#definition-checks",
        "# fake: echo started\n# fake: sleep 300\nchecks for orders:\n  - row_count > 0\n",
    )
    .await;
    click(
        client,
        Locator::Css("#new-definition button[type='submit']"),
    )
    .await;
    wait_for_text(client, "#definition-name", "long one").await;
    click(client, Locator::Css(".run-now")).await;
    wait_for_text(client, "#run-log", "started").await;
    click(client, Locator::Css("#cancel-run")).await;
    wait_for_attr(client, "#run-state .run-state", "data-state", "canceled").await;
    wait_for_text(client, "#run-log", "cancel asked").await;

    // An agent near the data: registered with its key and start command shown once, then a
    // data source it runs.
    client.goto(&server.url("/settings")).await.unwrap();
    wait_for_text(client, "#agents-title", "Agents").await;
    type_into(client, "#agent-name", "eu-warehouse").await;
    click(client, Locator::Css("#new-agent button[type='submit']")).await;
    wait_for_text(client, "#new-agent-key", "eu-warehouse").await;
    let command = text_of(client, Locator::Css("#agent-command")).await;
    assert!(
        command.starts_with("SELTZER_AGENT_KEY=seltzer-agent-")
            && command.contains(&format!("seltzer agent --server {}", server.url(""))),
        "{command}"
    );
    wait_for_text(client, "#agents tbody", "never connected").await;
    type_into(client, "#source-name", "remote").await;
    type_into(client, "#source-type", "postgres").await;
    click(
        client,
        Locator::Css("#source-agent option[value='eu-warehouse']"),
    )
    .await;
    type_into(
        client,
        "#source-configuration",
        "host: db.internal\npassword: ${env:PGPASSWORD}",
    )
    .await;
    click(
        client,
        Locator::Css("#new-data-source button[type='submit']"),
    )
    .await;
    wait_for_text(client, "#data-sources tbody", "agent eu-warehouse").await;
    wait_for_text(client, "#agents tbody", "remote").await;
    client
        .execute(
            "document.getElementById('data-sources').scrollIntoView({block: 'start'})",
            vec![],
        )
        .await
        .unwrap();
    screenshots(client, "settings-agents").await;
    dashboard.finish(|_| false).await;
}
