//! `/scans`: every scan, newest first — definition, data timestamp, when it ran and for how
//! long, its outcome counts and errors. Filters (failed only, scan definition, dataset) and the
//! page live in the URL.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use shared::api::{ScanList, ScanListItem};

use crate::api;
use crate::components::{loaded, outcome_counts_cell, page_count, pager};
use crate::prefs::Time;
use crate::url::{query_string, with_changes};

const KEYS: &[&str] = &["failed", "definition", "datasetId", "page", "size"];

#[component]
pub fn ScansPage() -> impl IntoView {
    let query = use_query_map();
    let list = LocalResource::new(move || {
        let q = query_string(&query.get(), KEYS);
        async move { api::scans(&q).await }
    });
    let failed_only = move || query.get().get("failed").as_deref() == Some("true");
    view! {
        <h1>"Scans"</h1>
        <nav class="counts" aria-label="Filters">
            <a class="count" href=move || with_changes("/scans", &query.get(), KEYS, &[("failed", None)])
                aria-current=move || (!failed_only()).then_some("true")>"All scans"</a>
            <a class="count count-fail" id="failed-only"
                href=move || with_changes("/scans", &query.get(), KEYS, &[("failed", Some("true".to_owned()))])
                aria-current=move || failed_only().then_some("true")>
                <span aria-hidden="true">"⚠"</span>" Failed only"</a>
            {move || query.get().get("definition").map(|d| view! {
                <a class="count" href=with_changes("/scans", &query.get(), KEYS, &[("definition", None)])
                    title="Show every scan definition">{format!("{d} ✕")}</a>
            })}
        </nav>
        {loaded("scans", None, list, |list| view! { <ScanTable list=list /> }.into_any())}
    }
}

#[component]
fn ScanTable(list: ScanList) -> impl IntoView {
    let query = use_query_map();
    let params = query.get_untracked();
    let pages = page_count(list.total, list.size);
    if list.total == 0 {
        return view! {
            <p class="summary" id="scans-total">"0 scans"</p>
            <p class="empty-state">"No scans match. Scans appear here as Soda Core sends its results."</p>
        }
        .into_any();
    }
    let rows = list
        .items
        .into_iter()
        .map(|s| view! { <ScanRow s=s /> })
        .collect_view();
    view! {
        <p class="summary" id="scans-total">{format!("{} scan{}", list.total, if list.total == 1 { "" } else { "s" })}</p>
        <div class="table-scroll">
            <table class="checks scans" id="scans">
                <thead><tr>
                    <th>"Status"</th><th>"Scan"</th><th>"Definition"</th><th>"Data timestamp"</th>
                    <th>"Ran"</th><th>"Duration"</th><th>"Outcomes"</th><th>"Errors"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {pager(list.page, pages, |page| {
            with_changes("/scans", &params, KEYS, &[("page", Some(page.to_string()))])
        })}
    }
    .into_any()
}

#[component]
fn ScanRow(s: ScanListItem) -> impl IntoView {
    let status = if s.has_errors {
        view! { <span class="status status-failed"><span aria-hidden="true">"⚠ "</span>"Failed"</span> }.into_any()
    } else {
        view! { <span class="status status-ok"><span aria-hidden="true">"✓ "</span>"OK"</span> }
            .into_any()
    };
    let definition_link = format!("/scans?definition={}", crate::url::encode(&s.definition));
    view! {
        <tr data-scan-id=s.id class:row-failed=s.has_errors>
            <td>{status}</td>
            <td><a href=format!("/scans/{}", s.id)>{format!("Scan {}", s.id)}</a></td>
            <td><a href=definition_link title="Only this scan definition">{s.definition}</a>
                <div class="muted">{s.data_source}</div></td>
            <td><Time ts=Some(s.data_timestamp) /></td>
            <td><Time ts=Some(s.ended) /></td>
            <td class="number">{format!("{:.1} s", s.duration_ms as f64 / 1000.0)}</td>
            {outcome_counts_cell(s.counts)}
            <td class="number">{s.errors}</td>
        </tr>
    }
}
