//! `/datasets/{id}`: one dataset — its status (an unmistakable banner when its latest scan
//! failed, with that scan's errors), its checks by outcome, a stacked pass/warn/fail chart per
//! scan over time, its checks (worst first) and its recent scans.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use shared::api::{DatasetDetail, DatasetStatus};

use crate::api;
use crate::chart::{EChart, health};
use crate::components::{format_measure, health_badge, incident_badge, loaded, outcome_badge};
use crate::prefs::{Time, use_prefs};

#[component]
pub fn DatasetPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.get().get("id").unwrap_or_default();
    let dataset = LocalResource::new(move || {
        let id = id();
        async move { api::dataset(&id).await }
    });
    view! {
        {loaded("dataset", Some("Dataset"), dataset, |d| view! { <DatasetView d=d /> }.into_any())}
    }
}

#[component]
fn DatasetView(d: DatasetDetail) -> impl IntoView {
    let prefs = use_prefs();
    let id = d.id;
    let checks = LocalResource::new(move || async move {
        api::checks(&format!("datasetId={id}&sort=outcome&size=200")).await
    });
    let scans =
        LocalResource::new(
            move || async move { api::scans(&format!("datasetId={id}&size=20")).await },
        );
    let banner = match (d.status, d.last_scan.clone()) {
        (DatasetStatus::ScanFailed, Some(scan)) => view! {
            <div class="banner-failed" role="alert" id="dataset-scan-failed">
                <p><span aria-hidden="true">"⚠ "</span>"The latest scan of this dataset failed ("
                    <Time ts=Some(scan.ended.clone()) />"): its check results may be stale. "
                    <a href=format!("/scans/{}", scan.id)>"Open the scan's logs"</a></p>
                <ul class="scan-errors">
                    {d.scan_errors.iter().map(|e| view! { <li><code>{e.clone()}</code></li> }).collect_view()}
                </ul>
            </div>
        }.into_any(),
        (DatasetStatus::NotScanned, _) => view! { <p class="summary">"Not scanned yet."</p> }.into_any(),
        (_, Some(scan)) => view! {
            <p class="summary" id="dataset-health">{health_badge(d.health, &d.counts, Some(scan.id))}
                " · last scan " <a href=format!("/scans/{}", scan.id)>{scan.definition}</a>" · " <Time ts=Some(scan.ended) /></p>
        }.into_any(),
        _ => ().into_any(),
    };
    let contract = d.contract.map(|c| {
        view! {
            <details class="contract" id="dataset-contract">
                <summary>"Data contract in force · published "<Time ts=Some(c.published_at) /></summary>
                <pre><code>{c.contents}</code></pre>
            </details>
        }
    });
    let columns = (!d.columns.is_empty()).then(|| {
        let rows = d
            .columns
            .into_iter()
            .map(|c| view! { <tr><td><code>{c.name}</code></td><td>{c.source_type.unwrap_or_default()}</td></tr> })
            .collect_view();
        view! {
            <details class="columns" id="dataset-columns">
                <summary>"Columns"</summary>
                <table class="checks"><thead><tr><th>"Column"</th><th>"Type"</th></tr></thead><tbody>{rows}</tbody></table>
            </details>
        }
    });
    let c = d.counts;
    let points = d.health_by_scan.len();
    let chart = health(&d.health_by_scan, prefs.utc.get_untracked());
    view! {
        <p class="breadcrumb"><a href="/datasets">"Datasets"</a>" / "</p>
        <h1>{d.name.clone()}</h1>
        <p class="muted">{format!("Data source {}", d.data_source)}</p>
        {(d.open_incidents > 0).then(|| view! {
            <p><a class="incident-badge" id="dataset-incidents" href=format!("/incidents?datasetId={id}")
                title="Incidents about its checks, not yet resolved">
                {format!("{} open incident{}", d.open_incidents, if d.open_incidents == 1 { "" } else { "s" })}</a></p>
        })}
        {banner}
        {contract}
        {columns}
        <p class="outcome-counts" id="dataset-counts">
            <a class="outcome-fail" href=format!("/?datasetId={id}&outcome=fail")>{format!("✕ {} fail", c.fail)}</a>" · "
            <a class="outcome-warn" href=format!("/?datasetId={id}&outcome=warn")>{format!("! {} warn", c.warn)}</a>" · "
            <a class="outcome-pass" href=format!("/?datasetId={id}&outcome=pass")>{format!("✓ {} pass", c.pass)}</a>" · "
            <a class="outcome-not-evaluated" href=format!("/?datasetId={id}&outcome=notEvaluated")>{format!("– {} not evaluated", c.not_evaluated)}</a>
        </p>
        <h2>"Health per scan"</h2>
        {if points == 0 {
            view! { <p class="empty-state">"No check results yet."</p> }.into_any()
        } else {
            view! {
                <div id="health" data-scans=points>
                    <EChart id="health-chart" option=chart.to_string() height=240
                        label=format!("Pass, warn and fail counts of the last {points} scans, stacked") />
                </div>
            }.into_any()
        }}
        <h2>"Checks"</h2>
        {loaded("checks", None, checks, move |list| {
                    {
                        let more = list.total > list.items.len() as i64;
                        let rows = list.items.into_iter().map(|c| view! {
                            <tr data-check-id=c.id>
                                <td>{outcome_badge(c.outcome)}</td>
                                <td class="check-name"><a href=format!("/checks/{}", c.id)>{c.name}</a>" "{incident_badge(&c.open_incidents)}</td>
                                <td>{c.column.unwrap_or_default()}</td>
                                <td class="number">{c.value.map(|v| format_measure(v, c.unit)).unwrap_or_default()}</td>
                                <td><Time ts=c.data_timestamp /></td>
                            </tr>
                        }).collect_view();
                        view! {
                            <div class="table-scroll">
                                <table class="checks" id="dataset-checks">
                                    <thead><tr><th>"Outcome"</th><th>"Check"</th><th>"Column"</th><th>"Value"</th><th>"Data timestamp"</th></tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            </div>
                            {more.then(|| view! { <p><a href=format!("/?datasetId={id}")>"All checks of this dataset →"</a></p> })}
                        }.into_any()
                    }
        })}
        <h2>"Recent scans"</h2>
        {loaded("scans", None, scans, move |list| {
                    {
                        let rows = list.items.into_iter().map(|s| view! {
                            <tr class:row-failed=s.has_errors>
                                <td>{if s.has_errors { "⚠ Failed" } else { "✓ OK" }}</td>
                                <td><a href=format!("/scans/{}", s.id)>{format!("Scan {} · {}", s.id, s.definition)}</a></td>
                                <td><Time ts=Some(s.data_timestamp) /></td>
                                <td class="outcome-counts">{format!("✕ {} · ! {} · ✓ {}", s.counts.fail, s.counts.warn, s.counts.pass)}</td>
                            </tr>
                        }).collect_view();
                        view! {
                            <div class="table-scroll">
                                <table class="checks" id="dataset-scans">
                                    <thead><tr><th>"Status"</th><th>"Scan"</th><th>"Data timestamp"</th><th>"Outcomes"</th></tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            </div>
                            <p><a href=format!("/scans?datasetId={id}")>"All scans of this dataset →"</a></p>
                        }.into_any()
                    }
        })}
    }
}
