//! `/datasets`: one row per dataset — its status (an unmistakable warning when its latest scan
//! failed, with a link to that scan), its checks by outcome, and when it was last scanned.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use shared::api::{DatasetListItem, DatasetStatus};

use crate::api;
use crate::components::{health_badge, loaded, outcome_counts_cell};
use crate::prefs::Time;

/// The health filters, in the order they are offered: `(value, label)`.
const HEALTH_FILTERS: &[(&str, &str)] = &[
    ("scanFailed", "⚠ Scan failed"),
    ("failing", "✕ Failing"),
    ("warning", "! Warning"),
    ("healthy", "✓ Healthy"),
    ("notScanned", "– Not scanned"),
];

#[component]
pub fn DatasetsPage() -> impl IntoView {
    let query = use_query_map();
    let health = move || query.get().get("health");
    let list = LocalResource::new(move || {
        let health = health();
        async move { api::datasets(health.as_deref()).await }
    });
    let filter = move |value: Option<&'static str>, label: &'static str| {
        let href = value.map_or_else(
            || "/datasets".to_owned(),
            |v| format!("/datasets?health={v}"),
        );
        view! {
            <a class="count" href=href aria-current=move || (health().as_deref() == value).then_some("true")>{label}</a>
        }
    };
    view! {
        <h1>"Datasets"</h1>
        <nav class="counts" aria-label="Health" id="health-filters">
            {filter(None, "All datasets")}
            {HEALTH_FILTERS.iter().map(|(value, label)| filter(Some(*value), label)).collect_view()}
        </nav>
        {loaded("datasets", None, list, move |list| {
                match list {
                    list if list.items.is_empty() && health().is_some() => view! {
                        <p class="empty-state">"No datasets of this health. "
                            <a href="/datasets">"Show all datasets"</a></p>
                    }.into_any(),
                    list if list.items.is_empty() => view! {
                        <section class="empty-state">
                            <h2>"No datasets yet"</h2>
                            <p>"Datasets appear with the first scan results Soda Core sends. "
                               <a href="/">"How to point Soda Core here"</a></p>
                        </section>
                    }.into_any(),
                    list => {
                        let failed = list.items.iter().filter(|d| d.status == DatasetStatus::ScanFailed).count();
                        let rows = list.items.into_iter().map(|d| view! { <DatasetRow d=d /> }).collect_view();
                        view! {
                            <p class="summary" id="datasets-summary">
                                {format!("{} dataset{}", list.total, if list.total == 1 { "" } else { "s" })}
                                {(failed > 0).then(|| view! {
                                    <span class="status-failed">{format!(" · ⚠ {failed} with a failed scan")}</span>
                                })}
                            </p>
                            <div class="table-scroll">
                                <table class="checks datasets">
                                    <thead><tr>
                                        <th>"Status"</th><th>"Dataset"</th><th>"Data source"</th>
                                        <th>"Checks by outcome"</th><th>"Failed checks per scan"</th><th>"Last scan"</th>
                                    </tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            </div>
                        }.into_any()
                    }
                }
        })}
    }
}

#[component]
fn DatasetRow(d: DatasetListItem) -> impl IntoView {
    let status = health_badge(d.health, &d.counts, d.last_scan_id);
    let c = d.counts;
    let failed = d.status == DatasetStatus::ScanFailed;
    view! {
        <tr data-dataset-id=d.id class:row-failed=failed>
            <td>{status}</td>
            <td><a href=format!("/datasets/{}", d.id)>{d.name}</a>
                {(d.open_incidents > 0).then(|| view! {
                    " "<a class="incident-badge" href=format!("/incidents?datasetId={}", d.id) title="Open incidents about its checks">
                        {format!("{} open incident{}", d.open_incidents, if d.open_incidents == 1 { "" } else { "s" })}</a>
                })}</td>
            <td>{d.data_source}</td>
            {outcome_counts_cell(c)}
            <td>{failed_sparkline(&d.recent_failed)}</td>
            <td><Time ts=d.last_scan_time.clone() /></td>
        </tr>
    }
}

/// Failed checks in the dataset's latest scans as tiny bars (oldest left), so a dataset that
/// started failing recently stands out.
fn failed_sparkline(counts: &[i64]) -> AnyView {
    if counts.is_empty() {
        return ().into_any();
    }
    let (w, h, gap) = (4.0, 24.0, 1.0);
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let bars = counts
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let bar = if *n == 0 {
                1.0
            } else {
                (*n as f64 / max * h).max(2.0)
            };
            let colour = if *n == 0 {
                "var(--border)"
            } else {
                "var(--fail)"
            };
            view! {
                <rect x=format!("{:.1}", i as f64 * (w + gap)) y=format!("{:.1}", h - bar)
                    width=w height=format!("{bar:.1}") fill=colour />
            }
        })
        .collect_view();
    let width = counts.len() as f64 * (w + gap);
    let label = format!(
        "Failed checks in the last {} scans, oldest first: {}",
        counts.len(),
        counts
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    view! {
        <svg class="sparkline" viewBox=format!("0 0 {width} {h}") width=width height=h role="img"
            aria-label=label>{bars}</svg>
    }
    .into_any()
}
