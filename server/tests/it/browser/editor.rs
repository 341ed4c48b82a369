//! The checks editor: validated on every keystroke, backtested against stored history.

use super::*;

in_the_browser_on_both_engines!(the_editor_marks_errors_at_their_line_and_backtests_thresholds);

/// The checks editor validates in the browser on every keystroke (an error marked on its line,
/// none for a valid file) and backtests the edited thresholds against stored history.
async fn the_editor_marks_errors_at_their_line_and_backtests_thresholds(test_db: TestDb) {
    let Some(dashboard) = Dashboard::start(&test_db, &[]).await else {
        return;
    };
    dashboard.replay("s12_history_backfill").await;
    let (server, client) = (&dashboard.server, &dashboard.client);
    client.goto(&server.url("/editor")).await.unwrap();
    sign_in(client, EMAIL, PASSWORD).await;
    wait_for_text(client, "main h1", "Checks editor").await;
    wait_for_text(client, "#no-problems", "No problems").await;

    // A broken line: marked in the gutter at line 3 and listed with its message.
    type_into(
        client,
        "#checks-yaml",
        "checks for orders:\n  - row_count > 0\n  - row_count between 10\n",
    )
    .await;
    let problem = wait_for_text(client, "#problems li", "line 3").await;
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
    screenshots(client, "editor-error").await;

    // The file Soda Core ran (s12), as its author has it: valid, and its checks have history.
    let file = std::fs::read_to_string(fixture_dir("s12_history_backfill").join("checks.yml"))
        .expect("checks.yml");
    type_into(client, "#data-source", "shop").await;
    type_into(client, "#checks-yaml", &file).await;
    wait_for_text(client, "#no-problems", "No problems").await;
    assert!(
        client
            .find_all(Locator::Css(".gutter .line-error"))
            .await
            .unwrap()
            .is_empty()
    );
    let row_count = wait_for_attr(
        client,
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
    screenshots(client, "editor-backtest").await;

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
        client,
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
        client,
        "#checks-yaml",
        &text.replace("row_count > 0", "row_count > 1000000"),
    )
    .await;
    let stricter = wait_for_attr(
        client,
        "#parsed-checks tr[data-line='5'] .backtest-result",
        "data-fail",
        "14",
    )
    .await;
    assert_eq!(
        stricter.attr("data-changed").await.unwrap().as_deref(),
        Some("14")
    );

    dashboard.finish(|_| false).await;
}
