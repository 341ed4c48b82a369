//! Incidents on the dashboard: opened from a failing result on its check's page, moved along
//! with each change on the timeline, commented, resolved only with notes, and found again in
//! the incidents list.

use super::*;

in_the_browser_on_both_engines!(an_incident_goes_from_a_failing_result_to_resolved);

async fn an_incident_goes_from_a_failing_result_to_resolved(test_db: TestDb) {
    let Some(dashboard) = Dashboard::start(&test_db, &[]).await else {
        return;
    };
    dashboard.replay_v4("s01_first_verify").await;
    dashboard.replay_v4("s02_second_verify").await;
    let db = server::Database::connect(&dashboard.database_url)
        .await
        .unwrap();
    let (result_id, check_id, name): (i64, i64, String) = sqlx::query_as(
        "SELECT id, check_id, name FROM check_results WHERE outcome = 'fail' ORDER BY id LIMIT 1",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    // Its next failure, from the second verification.
    let next_result: i64 =
        sqlx::query_scalar("SELECT MAX(id) FROM check_results WHERE check_id = $1")
            .bind(check_id)
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert!(next_result > result_id);
    let dataset_id: i64 = sqlx::query_scalar("SELECT dataset_id FROM checks WHERE id = $1")
        .bind(check_id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    db.close().await;
    let (server, client) = (&dashboard.server, &dashboard.client);

    // From the failing result's panel.
    client
        .goto(&server.url(&format!("/checks/{check_id}?result={result_id}")))
        .await
        .unwrap();
    sign_in(client, EMAIL, PASSWORD).await;
    wait_for_text(client, "#result-panel h2", "Result").await;
    clear(client, "#incident-title").await;
    type_into(client, "#incident-title", "Duplicate order ids").await;
    click(
        client,
        Locator::Css("#incident-severity option[value='critical']"),
    )
    .await;
    click(client, Locator::Css("#open-incident button[type='submit']")).await;
    wait_for_text(client, "main h1", "Incident #1: Duplicate order ids").await;
    wait_for_text(client, "#incident-results", &name).await;
    wait_for_text(client, "#incident-facts", "critical").await;
    // The check's trend, the incident's result among its points.
    wait_for_attr(client, "#incident-trend-0", "data-state", "ready").await;
    let label = client
        .find(Locator::Css("#incident-trend-0"))
        .await
        .unwrap()
        .attr("aria-label")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(label.contains("2 results"), "{label}");
    // The check, its dataset's list entry, and the datasets list show it while it is open.
    client
        .goto(&server.url(&format!("/checks/{check_id}")))
        .await
        .unwrap();
    wait_for_text(client, ".incident-badge", "Incident #1").await;
    // Its next failure joins the open incident.
    client
        .goto(&server.url(&format!("/checks/{check_id}?result={next_result}")))
        .await
        .unwrap();
    wait_for_text(client, "#join-incident button", "Add to incident #1").await;
    click(client, Locator::Css("#join-incident button")).await;
    wait_for_text(client, "main h1", "Incident #1").await;
    wait_for_text(
        client,
        "#incident-timeline",
        &format!("linked result {next_result}"),
    )
    .await;
    client
        .goto(&server.url(&format!("/datasets/{dataset_id}")))
        .await
        .unwrap();
    wait_for_text(client, "#dataset-incidents", "1 open incident").await;
    client.goto(&server.url("/datasets")).await.unwrap();
    wait_for_text(client, "table.datasets .incident-badge", "1 open incident").await;
    click(client, Locator::Css("table.datasets .incident-badge")).await;
    wait_for_text(client, "#incidents tbody tr", "#1 Duplicate order ids").await;
    // Filtered by that dataset, which the form shows chosen.
    wait_for_text(client, "#incident-dataset option:checked", " / ").await;
    click(client, Locator::Css("#incidents tbody tr a")).await;
    wait_for_text(client, "main h1", "Incident #1").await;

    // Investigating, then a comment: both on the timeline.
    click(
        client,
        Locator::Css("#incident-status-select option[value='investigating']"),
    )
    .await;
    click(
        client,
        Locator::Css("#change-incident button[type='submit']"),
    )
    .await;
    wait_for_text(client, "#incident-status", "investigating").await;
    wait_for_text(
        client,
        "#incident-timeline",
        "changed the status from reported to investigating",
    )
    .await;
    type_into(client, "#incident-comment", "The loader ran twice.").await;
    click(
        client,
        Locator::Css("#comment-incident button[type='submit']"),
    )
    .await;
    wait_for_text(
        client,
        "#incident-timeline",
        "commented: The loader ran twice.",
    )
    .await;

    // Resolved only with notes.
    click(
        client,
        Locator::Css("#incident-status-select option[value='resolved']"),
    )
    .await;
    click(
        client,
        Locator::Css("#change-incident button[type='submit']"),
    )
    .await;
    wait_for_text(client, "#change-error", "resolutionNotes").await;
    type_into(
        client,
        "#incident-notes",
        "Loader fixed; duplicates removed",
    )
    .await;
    click(
        client,
        Locator::Css("#change-incident button[type='submit']"),
    )
    .await;
    wait_for_text(client, "#incident-status", "resolved").await;
    wait_for_text(client, "#resolution-notes", "Loader fixed").await;

    // The list shows open incidents first: none; the resolved one under its filter.
    click(
        client,
        Locator::Css("nav[aria-label='Main'] a[href='/incidents']"),
    )
    .await;
    wait_for_text(client, "#incidents-total", "0 incidents").await;
    click(client, Locator::Css("#status-resolved")).await;
    wait_for_text(client, "#incidents tbody tr", "#1 Duplicate order ids").await;
    screenshots(client, "incident-list").await;
    // By severity and by lead, in the URL as in the form.
    click(
        client,
        Locator::Css("#incident-severity option[value='minor']"),
    )
    .await;
    click(
        client,
        Locator::Css("#incident-filters button[type='submit']"),
    )
    .await;
    wait_for_text(client, "#incidents-total", "0 incidents").await;
    wait_for_query(
        client,
        |q| q.is_some_and(|q| q.contains("severity=minor")),
        "severity",
    )
    .await;
    click(
        client,
        Locator::Css("#incident-severity option[value='critical']"),
    )
    .await;
    click(
        client,
        Locator::Css("#incident-filters button[type='submit']"),
    )
    .await;
    wait_for_text(client, "#incidents tbody tr", "#1 Duplicate order ids").await;
    type_into(client, "#incident-lead", "nobody@example.com").await;
    click(
        client,
        Locator::Css("#incident-filters button[type='submit']"),
    )
    .await;
    wait_for_text(client, "#incidents-total", "0 incidents").await;

    // The one refused change (no resolution notes) is the page's only error.
    dashboard
        .finish(|e| e.contains("/api/incidents/1 ") && e.contains("400"))
        .await;
}
