//! `/scans/{id}`: one scan — when, how long, its outcome counts, its checks, and its logs
//! (errors first when it failed), filterable by level.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use shared::api::ScanDetailView;

use crate::api;
use crate::components::{format_measure, loaded, outcome_badge};
use crate::prefs::Time;

#[component]
pub fn ScanPage() -> impl IntoView {
    let params = use_params_map();
    let scan = LocalResource::new(move || {
        let id = params.get().get("id").unwrap_or_default();
        async move { api::scan(&id).await }
    });
    view! {
        {loaded("scan", Some("Scan"), scan, |detail| view! { <ScanDetail detail=detail /> }.into_any())}
    }
}

#[component]
fn ScanDetail(detail: ScanDetailView) -> impl IntoView {
    let s = detail.scan;
    let level = RwSignal::new(String::from("all"));
    let logs = RwSignal::new(detail.logs);
    let logs_total = detail.logs_total;
    let loading_more = RwSignal::new(false);
    let more_error = RwSignal::new(None::<String>);
    let scan_id = s.id;
    let show_more = move |_| {
        loading_more.set(true);
        let offset = logs.with_untracked(Vec::len);
        leptos::task::spawn_local(async move {
            match api::scan_log_page(scan_id, offset).await {
                Ok(page) => {
                    logs.update(|l| l.extend(page.logs));
                    more_error.set(None);
                }
                Err(e) => more_error.set(Some(e.message)),
            }
            loading_more.set(false);
        });
    };
    let shown = move || logs.with(Vec::len);
    let visible = move || {
        let wanted = level.get();
        logs.with(|logs| {
            logs.iter()
                .filter(|l| wanted == "all" || l.level.eq_ignore_ascii_case(&wanted))
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let no_checks = detail.checks.is_empty();
    let checks = detail
        .checks
        .into_iter()
        .map(|c| {
            view! {
                <tr>
                    <td>{outcome_badge(c.outcome)}</td>
                    <td class="check-name"><a href=format!("/checks/{}?result={}", c.check_id, c.result_id)>{c.name}</a></td>
                    <td>{c.dataset.unwrap_or_default()}</td>
                    <td class="number">{c.value.map(|v| format_measure(v, c.unit)).unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    let failed = s.has_errors;
    let contract = detail.contract.map(|c| {
        view! {
            <details class="contract" id="scan-contract">
                <summary>"Data contract verified (Soda Core 4)"</summary>
                <pre><code>{c.contents}</code></pre>
            </details>
        }
    });
    view! {
        <p class="breadcrumb"><a href="/scans">"Scans"</a>" / "</p>
        <h1>{format!("Scan {} · {}", s.id, s.definition)}</h1>
        {failed.then(|| view! {
            <p class="banner-failed" role="alert" id="scan-failed">
                <span aria-hidden="true">"⚠ "</span>
                {format!("This scan failed: {} error{} in its log (below, first).", s.errors, if s.errors == 1 { "" } else { "s" })}
            </p>
        })}
        <dl class="facts">
            <dt>"Data timestamp"</dt><dd><Time ts=Some(s.data_timestamp.clone()) /></dd>
            <dt>"Ran"</dt><dd><Time ts=Some(s.ended.clone()) /></dd>
            <dt>"Duration"</dt><dd>{format!("{:.1} s", s.duration_ms as f64 / 1000.0)}</dd>
            <dt>"Data source"</dt><dd>{s.data_source}</dd>
            <dt>"Outcomes"</dt><dd>{format!("✕ {} fail · ! {} warn · ✓ {} pass · – {} not evaluated", s.counts.fail, s.counts.warn, s.counts.pass, s.counts.not_evaluated)}</dd>
        </dl>
        {contract}
        <h2>"Logs"</h2>
        <label for="log-level">"Level "</label>
        <select id="log-level" on:change=move |ev| level.set(event_target_value(&ev))>
            <option value="all">"All"</option>
            <option value="error">"Errors"</option>
            <option value="warning">"Warnings"</option>
            <option value="info">"Info"</option>
        </select>
        <ol class="logs" id="scan-logs">
            <For each=visible key=|l| (l.index, l.message.clone()) let:log>
                // Soda Core's levels are ASCII words (ERROR, WARNING, INFO, DEBUG).
                <li class=format!("log log-{}", log.level.to_ascii_lowercase())>
                    <span class="log-level">{log.level.to_ascii_uppercase()}</span>" "{log.message}
                </li>
            </For>
        </ol>
        <Show when=move || (shown() as i64) < logs_total>
            <p class="hint" id="scan-logs-more">
                {move || format!("Showing the first {} of {} log lines. ", shown(), logs_total)}
                <button type="button" on:click=show_more disabled=move || loading_more.get()>
                    {move || if loading_more.get() { "Loading…" } else { "Show more" }}
                </button>
                <span class="error" role="alert">{move || more_error.get()}</span>
            </p>
        </Show>
        <h2>"Checks"</h2>
        {if no_checks {
            view! { <p class="empty-state">"No check results in this scan."</p> }.into_any()
        } else {
            view! {
                <div class="table-scroll">
                    <table class="checks">
                        <thead><tr><th>"Outcome"</th><th>"Check"</th><th>"Dataset"</th><th>"Value"</th></tr></thead>
                        <tbody>{checks}</tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}
