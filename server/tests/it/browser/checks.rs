//! The checks list (counts, filters, search, sorting, the view in the URL) and one check's page
//! (trend chart with zones, failed rows).

use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};

use super::*;

in_the_browser_on_both_engines!(
    the_checks_page_shows_ingested_results_and_keeps_its_view_in_the_url,
    the_check_page_charts_history_with_zones_and_shows_failed_rows
);

/// The check results dashboard over a scan Soda Core really sent (recorded traffic, through
/// the ingest API): rows, counts that filter, search, sorting, and a URL that reproduces the
/// view after a reload.
async fn the_checks_page_shows_ingested_results_and_keeps_its_view_in_the_url(test_db: TestDb) {
    let Some(dashboard) = Dashboard::start(&test_db, &[]).await else {
        return;
    };
    dashboard.ingest_recorded_scan("s01_first_scan");
    let (server, client) = (&dashboard.server, &dashboard.client);

    // A deep link while signed out: sign in, and land on that exact view.
    client.goto(&server.url("/?outcome=fail")).await.unwrap();
    sign_in(client, EMAIL, PASSWORD).await;
    wait_for_text(client, "#checks-total", "13 checks").await;
    let url = client.current_url().await.unwrap();
    assert_eq!(url.query(), Some("outcome=fail"));
    let outcomes = texts(client, "table.checks tbody td:first-child").await;
    assert_eq!(outcomes.len(), 13);
    assert!(outcomes.iter().all(|o| o.contains("fail")), "{outcomes:?}");
    let active = text_of(client, Locator::Css(".counts a[aria-current='true']")).await;
    assert!(active.contains("13") && active.contains("fail"), "{active}");
    screenshots(client, "checks-fail").await;

    // The counts cover every outcome; clicking the active one shows everything again.
    // Each count reads "<symbol> <n> <outcome>" (layout may break it into lines).
    let counts = texts(client, ".counts a")
        .await
        .iter()
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(" | ");
    for expected in ["13 fail", "3 warn", "16 pass", "0 not evaluated"] {
        assert!(counts.contains(expected), "{counts}");
    }
    click(client, Locator::Css(".counts a[aria-current='true']")).await;
    wait_for_text(client, "#checks-total", "32 checks").await;
    assert_eq!(client.current_url().await.unwrap().query(), None);

    // Search, then sort by value descending: both land in the URL.
    send_keys(client, "#check-search", "row_count").await;
    click(client, Locator::Css(".search button")).await;
    wait_for_text(client, "#checks-total", "checks").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.current_url().await.unwrap().query() != Some("search=row_count") {
        assert!(Instant::now() < deadline, "search did not reach the URL");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The URL changes first; the list follows when the new page of checks arrives.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let names = texts(client, "table.checks tbody td.check-name").await;
        if !names.is_empty() && names.iter().all(|n| n.contains("row_count")) {
            break;
        }
        assert!(Instant::now() < deadline, "{names:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    screenshot(client, "checks-search").await;

    client
        .goto(&server.url("/?sort=value&order=desc"))
        .await
        .unwrap();
    wait_for_text(client, "#checks-total", "32 checks").await;
    let values: Vec<f64> = texts(client, "table.checks tbody td.number")
        .await
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    assert!(values.len() > 5);
    assert!(
        values.windows(2).all(|w| w[0] >= w[1]),
        "not descending: {values:?}"
    );
    // Values read in their units: a freshness (reported in milliseconds) as a duration.
    let stale = text_of(
        client,
        Locator::XPath(
            "//tr[td[contains(., 'Customers freshness')]]/td[contains(@class, 'number')]",
        ),
    )
    .await;
    assert_eq!(stale, "1043d 9h");
    let sorted = text_of(client, Locator::Css("th[aria-sort='descending']")).await;
    assert_eq!(sorted, "Value");

    // The same URL after a reload shows the same view.
    client.refresh().await.unwrap();
    wait_for_text(client, "#checks-total", "32 checks").await;
    let again: Vec<f64> = texts(client, "table.checks tbody td.number")
        .await
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    assert_eq!(again, values);
    screenshot(client, "checks-sorted").await;

    // Since when each outcome holds: one scan, so each check's run is that one result, and no
    // check flaps (the filter, in the URL, finds none).
    let runs = texts(client, "table.checks tbody td.since .streak").await;
    assert!(
        runs.len() > 5 && runs.iter().all(|r| r.trim() == "· 1 result"),
        "{runs:?}"
    );
    click(client, Locator::Css("#flapping-filter")).await;
    wait_for_query(
        client,
        |q| q.is_some_and(|q| q.contains("minFlips=4")),
        "the flapping filter",
    )
    .await;
    wait_for_text(client, "main", "No checks match").await;

    // A dataset whose scan ran but whose checks fail is not "OK": it says how many fail, and
    // the health filter keeps only such datasets, in the URL.
    client.goto(&server.url("/datasets")).await.unwrap();
    wait_for_text(client, "#datasets-summary", "2 datasets").await;
    let healths = texts(client, "table.datasets tbody td:first-child").await;
    assert_eq!(healths, ["✕ 8 failing", "✕ 5 failing"], "customers, orders");
    click(client, Locator::LinkText("✓ Healthy")).await;
    wait_for_query(client, |q| q == Some("health=healthy"), "the health filter").await;
    wait_for_text(client, "main", "No datasets").await;
    click(client, Locator::LinkText("✕ Failing")).await;
    wait_for_query(client, |q| q == Some("health=failing"), "the health filter").await;
    wait_for_text(client, "#datasets-summary", "2 datasets").await;

    // A freshness check's page: its chart reads in days, with the "older than 1d" fail zone
    // (which Soda Core does not report) drawn from its definition; the tooltip names the age.
    client
        .goto(&server.url("/?search=Customers%20freshness"))
        .await
        .unwrap();
    wait_for_text(client, "#checks-total", "1 check").await;
    click(
        client,
        Locator::XPath("//a[contains(., 'Customers freshness')]"),
    )
    .await;
    wait_for_attr(client, "#trend-chart", "data-state", "ready").await;
    let axis: Value = client
        .execute(
            "const o = echarts.getInstanceByDom(document.getElementById('trend-chart')).getOption(); \
             return { label: o.yAxis[0].axisLabel.formatter, name: o.series[0].data[0].name, \
                      failBands: ((o.series[1].markArea || {}).data || []).length };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(axis["label"], "{value} d", "{axis}");
    assert!(
        axis["name"].as_str().unwrap().contains("1043d 9h"),
        "{axis}"
    );
    assert_eq!(axis["failBands"], 1, "{axis}");

    // Signing out ends the session: the next visit asks to sign in again.
    click(client, Locator::Css(".user-menu button")).await;
    wait_for_text(client, "main h1", "Sign in").await;
    client.goto(&server.url("/")).await.unwrap();
    wait_for_text(client, "main h1", "Sign in").await;

    dashboard.finish(|_| false).await;
}

/// The check page over 14 days of history sent by real Soda Core (s12, a backfill) and a scan
/// with failed-row samples (s01): the trend chart has its points and its fail band, ECharts is
/// only loaded with it, a click on a point opens that result, and the failed rows tab shows the
/// sample rows.
async fn the_check_page_charts_history_with_zones_and_shows_failed_rows(test_db: TestDb) {
    let Some(dashboard) = Dashboard::start(&test_db, &[]).await else {
        return;
    };
    dashboard.replay("s01_first_scan").await;
    let backfill = dashboard.replay("s12_history_backfill").await;
    assert_eq!(backfill.len(), 14);
    let (server, client) = (&dashboard.server, &dashboard.client);

    client
        .goto(&server.url("/?search=change%20for%20row_count"))
        .await
        .unwrap();
    sign_in(client, EMAIL, PASSWORD).await;
    wait_for_text(client, "#checks-total", "1 check").await;
    let echarts: Value = client
        .execute("return typeof window.echarts", vec![])
        .await
        .unwrap();
    assert_eq!(
        echarts, "undefined",
        "a page without charts loads no ECharts"
    );
    click(client, Locator::Css("table.checks tbody td.check-name a")).await;
    wait_for_text(client, "#check-name", "change for row_count < 50").await;
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .path()
            .starts_with("/checks/")
    );
    let definition = wait_for_text(client, "#check-definition", "change").await;
    assert_eq!(
        definition,
        "checks for orders_history [daily]:\n  change for row_count < 50"
    );
    let location = wait_for_text(client, "#check-location", "line").await;
    assert!(location.contains("checks.yml"), "{location}");

    // All of its history: 13 daily points (the first day had nothing to compare with) and the
    // fail zone (a change of 50 or more) as a band.
    click(client, Locator::LinkText("All")).await;
    wait_for_query(client, |q| q == Some("range=all"), "the range").await;
    wait_for_attr(client, "#trend-chart", "data-state", "ready").await;
    let trend = client.find(Locator::Css("#trend")).await.unwrap();
    assert_eq!(
        trend.attr("data-points").await.unwrap().as_deref(),
        Some("13")
    );
    let drawn: Value = client
        .execute(
            "const el = document.getElementById('trend-chart'); \
             const o = echarts.getInstanceByDom(el).getOption(); \
             return { points: o.series[0].data.length, \
                      failBands: ((o.series[1].markArea || {}).data || []).length, \
                      canvas: !!el.querySelector('canvas') };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(drawn["points"], 13, "{drawn}");
    assert!(drawn["failBands"].as_u64().unwrap() >= 1, "{drawn}");
    assert_eq!(drawn["canvas"], true);
    wait_for_text(client, "#history-summary", "13 results").await;
    let rows = texts(client, "#results tbody tr").await;
    assert_eq!(rows.len(), 13);

    // Since when: the run of equal outcomes the newest result (the first row) ends, as the
    // history table shows it.
    let outcomes = texts(client, "#results tbody tr td:first-child").await;
    let streak = outcomes.iter().take_while(|o| *o == &outcomes[0]).count();
    let state = match outcomes[0].as_str() {
        o if o.contains("fail") => "Failing since",
        o if o.contains("warn") => "Warning since",
        o if o.contains("pass") => "Passing since",
        _ => "Not evaluated since",
    };
    let since = wait_for_text(client, "#since", state).await;
    let in_a_row = if streak == 1 {
        "1 result.".to_owned()
    } else {
        format!("{streak} results in a row.")
    };
    assert!(since.contains(&in_a_row), "{since} ({outcomes:?})");
    let changes = outcomes.windows(2).filter(|w| w[0] != w[1]).count();
    assert_eq!(
        attr_of(client, "#since", "data-flips").await,
        Some(changes.to_string()),
        "{outcomes:?}"
    );
    screenshots(client, "check-trend").await;

    // A click on the fourth point opens that result (once the resize after the phone-width
    // screenshot has finished animating the points to their places). A pointer only reaches
    // what is on screen: the chart is scrolled to the middle of the window first.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let offset: Value = client
        .execute(
            "const el = document.getElementById('trend-chart'); \
             el.scrollIntoView({block: 'center'}); \
             const c = echarts.getInstanceByDom(el); \
             const p = c.convertToPixel({seriesIndex: 0}, c.getOption().series[0].data[3].value); \
             const r = el.getBoundingClientRect(); \
             return [p[0] - r.width / 2, p[1] - r.height / 2];",
            vec![],
        )
        .await
        .unwrap();
    let chart = client.find(Locator::Id("trend-chart")).await.unwrap();
    let actions = MouseActions::new("mouse".to_owned())
        .then(PointerAction::MoveToElement {
            element: chart,
            duration: Some(Duration::from_millis(200)),
            x: offset[0].as_f64().unwrap(),
            y: offset[1].as_f64().unwrap(),
        })
        .then(PointerAction::Pause {
            duration: Duration::from_millis(300),
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Pause {
            duration: Duration::from_millis(50),
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    client.perform_actions(actions).await.unwrap();
    wait_for_query(
        client,
        |q| q.is_some_and(|q| q.contains("result=")),
        "a click on a point",
    )
    .await;
    let query = client
        .current_url()
        .await
        .unwrap()
        .query()
        .unwrap()
        .to_owned();
    let result_id = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("result="))
        .unwrap()
        .to_owned();
    let fourth = client
        .find(Locator::Css("#results tbody tr:nth-child(10)"))
        .await
        .unwrap();
    assert_eq!(
        fourth.attr("data-result-id").await.unwrap().as_deref(),
        Some(result_id.as_str()),
        "the 4th oldest point is the 10th row (newest first)"
    );
    wait_for_attr(
        client,
        "#results tbody tr:nth-child(10)",
        "aria-selected",
        "true",
    )
    .await;
    wait_for_attr(client, "#result-panel", "data-result-id", &result_id).await;
    wait_for_text(client, "#diagnostics", "Outcome").await;
    // The zone Soda Core reported reads as a sentence (`change … < N` fails from N up).
    wait_for_text(client, "#verdicts", "Fails when the value is at least").await;
    // A result's Open link opens it too.
    click(
        client,
        Locator::Css("#results tbody tr:nth-child(3) a[href*='result=']"),
    )
    .await;
    wait_for_attr(
        client,
        "#results tbody tr:nth-child(3)",
        "aria-selected",
        "true",
    )
    .await;

    // A check with failed rows: its samples, as Soda Core uploaded them.
    client
        .goto(&server.url("/?search=duplicate_count(order_id)"))
        .await
        .unwrap();
    wait_for_text(client, "#checks-total", "1 check").await;
    click(client, Locator::Css("table.checks tbody td.check-name a")).await;
    wait_for_text(client, "#check-name", "duplicate_count(order_id) = 0").await;
    let tab = wait_for_text(client, "#tab-rows", "Failed rows").await;
    let count: usize = tab
        .trim_start_matches("Failed rows (")
        .trim_end_matches(')')
        .parse()
        .unwrap();
    assert!(count > 0, "{tab}");
    click(client, Locator::Css("#tab-rows")).await;
    wait_for_query(
        client,
        |q| q.is_some_and(|q| q.contains("tab=rows")),
        "the tab",
    )
    .await;
    wait_for_text(client, "#failed-rows", "row").await;
    let header = texts(client, "#failed-rows thead th").await;
    assert!(header.iter().any(|h| h == "order_id"), "{header:?}");
    let sample_rows = texts(client, "#failed-rows tbody tr").await;
    assert_eq!(sample_rows.len(), count);
    screenshots(client, "check-failed-rows").await;
    // The open tab survives a reload.
    client.refresh().await.unwrap();
    wait_for_text(client, "#failed-rows", "row").await;

    dashboard.finish(|_| false).await;
}
