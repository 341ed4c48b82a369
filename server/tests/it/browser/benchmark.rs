//! Charting a check with 10,000 results (ignored by the test command).

use super::*;

/// Benchmark (not run by the test command; `scripts/bench-dashboard.sh` runs it): a check with
/// 10,000 results, seeded through the ingest code. Prints what the first visit downloads, how
/// long the check page takes to chart all of it (downsampled by the server to 1,000 points),
/// and the longest the page went without painting a frame meanwhile.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: scripts/bench-dashboard.sh"]
async fn benchmark_charting_a_check_with_10000_results() {
    let test_db = TestDb::sqlite();
    let seeded = Command::new(env!("CARGO_BIN_EXE_seltzer"))
        .args([
            "seed",
            "--checks",
            "1",
            "--scans",
            "10000",
            "--datasets",
            "1",
            "--database-url",
            &test_db.url,
        ])
        .stdout(Stdio::null())
        .status()
        .expect("seltzer seed");
    assert!(seeded.success());
    let Some(dashboard) = Dashboard::start(&test_db, &[]).await else {
        return;
    };
    let (server, client) = (&dashboard.server, &dashboard.client);
    client.goto(&server.url("/checks/1?range=7")).await.unwrap();
    sign_in(client, EMAIL, PASSWORD).await;
    wait_for_attr(client, "#trend-chart", "data-state", "ready").await;
    let first_load: Value = client
        .execute(
            "const all = performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation')); \
             const sum = f => all.filter(f).reduce((n, e) => n + e.encodedBodySize, 0); \
             return { withoutEcharts: sum(e => !e.name.includes('echarts') && !e.name.includes('/api/')), \
                      echarts: sum(e => e.name.includes('echarts')) };",
            vec![],
        )
        .await
        .unwrap();

    // Watch the frames while the whole history is fetched and drawn.
    client
        .execute(
            "window.__gaps = []; let last = performance.now(); \
             const tick = now => { window.__gaps.push(now - last); last = now; if (window.__gaps.length < 100000) requestAnimationFrame(tick); }; \
             requestAnimationFrame(tick); window.__start = performance.now();",
            vec![],
        )
        .await
        .unwrap();
    click(client, Locator::LinkText("All")).await;
    let summary = wait_for_text(client, "#history-summary", "10000 results").await;
    wait_for_attr(client, "#trend-chart", "data-state", "ready").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let timing: Value = client
        .execute(
            "const o = echarts.getInstanceByDom(document.getElementById('trend-chart')).getOption(); \
             return { ms: performance.now() - window.__start, longestFrameGap: Math.max(...window.__gaps), \
                      points: o.series[0].data.length };",
            vec![],
        )
        .await
        .unwrap();
    println!(
        "first visit, without ECharts: {} bytes as served (gzip)",
        first_load["withoutEcharts"]
    );
    println!(
        "ECharts, with the first chart: {} bytes as served (gzip)",
        first_load["echarts"]
    );
    println!("check page, all of 10,000 results: {summary}");
    println!(
        "  fetched and charted in {:.0} ms; {} points drawn; longest frame gap {:.0} ms",
        timing["ms"].as_f64().unwrap_or_default(),
        timing["points"],
        timing["longestFrameGap"].as_f64().unwrap_or_default()
    );
    screenshot(client, "bench-10000").await;
    dashboard.close().await;
}
