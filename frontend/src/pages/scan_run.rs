//! `/runs/{id}`: one run — its state, times, why it failed, the scan its results became — and
//! its log, followed live while it runs (the page asks for the lines after the last it has,
//! every second, until the run is over). Editors cancel a queued or running run.

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use shared::api::{ChangeKind, Role, RunComparison, RunLogLine, ScanRun};

use crate::api;
use crate::components::{outcome_badge, run_state_badge};
use crate::prefs::Time;

/// How often a running run is asked about.
const FOLLOW: Duration = Duration::from_secs(1);

#[component]
pub fn ScanRunPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.get().get("id").unwrap_or_default();
    let run = RwSignal::new(None::<Result<ScanRun, String>>);
    let lines = RwSignal::new(Vec::<RunLogLine>::new());
    let after = StoredValue::new(0_i64);
    let alive = StoredValue::new(true);
    on_cleanup(move || alive.set_value(false));
    // One follower per page: fetch, then again after `FOLLOW` until the run and its log end.
    let follow = move || {
        let id = id();
        leptos::task::spawn_local(async move {
            let Ok(run_id) = id.parse::<i64>() else {
                run.set(Some(Err(format!("no scan run '{id}'"))));
                return;
            };
            let mut finished = false;
            loop {
                if !alive.get_value() {
                    return;
                }
                // The log first: once it says the run is over, the run read after it is in its
                // final state (read the other way round, the page could stop on a stale one).
                if let Ok(page) = api::run_logs(run_id, after.get_value()).await {
                    after.set_value(page.next);
                    finished = page.finished;
                    if !page.lines.is_empty() {
                        lines.update(|l| l.extend(page.lines));
                    }
                }
                match api::scan_run(&id).await {
                    Ok(r) => run.set(Some(Ok(r))),
                    Err(e) => {
                        run.set(Some(Err(e.message)));
                        return;
                    }
                }
                if finished {
                    return;
                }
                sleep(FOLLOW).await;
            }
        });
    };
    follow();
    view! {
        <p class="breadcrumb"><a href="/runs">"Runs"</a>" / "</p>
        {move || match run.get() {
            None => view! { <p class="loading" aria-busy="true">"Loading the run…"</p> }.into_any(),
            Some(Err(e)) => view! { <h1>"Scan run"</h1><p class="error" role="alert">{e}</p> }.into_any(),
            Some(Ok(r)) => view! { <RunFacts r=r /> }.into_any(),
        }}
        <h2>"Log"</h2>
        <pre class="run-log" id="run-log" aria-live="polite">
            {move || lines.get().into_iter().map(|l| {
                let class = format!("log-{}", l.stream);
                view! { <span class=class data-seq=l.seq>{l.line}"\n"</span> }
            }).collect_view()}
        </pre>
    }
}

#[component]
fn RunFacts(r: ScanRun) -> impl IntoView {
    let session = crate::session::use_session();
    let over = r.state.is_final();
    let id = r.id;
    view! {
        <h1 id="run-title">{format!("Run {} of {}", r.id, r.definition)}</h1>
        <p class="check-status" id="run-state">{run_state_badge(r.state)}</p>
        <dl class="facts" id="run-facts">
            <dt>"Definition"</dt>
            <dd><a href=format!("/scan-definitions/{}", crate::url::encode(&r.definition))>{r.definition.clone()}</a>
                {format!(" (version {})", r.version)}</dd>
            <dt>"Started by"</dt><dd>{format!("{} ({})", r.requested_by, origin_words(r.origin))}</dd>
            <dt>"Data timestamp"</dt><dd><Time ts=Some(r.data_timestamp.clone()) /></dd>
            <dt>"Runs on"</dt>
            <dd id="run-runner">{match (&r.runner, &r.agent) {
                (Some(runner), _) => runner.clone(),
                (None, Some(agent)) if r.state == shared::api::RunState::Queuing =>
                    format!("agent {agent} (waiting for it to ask for work: Settings → Agents shows whether it is online)"),
                (None, Some(agent)) => format!("agent {agent}"),
                (None, None) => "Seltzer".to_owned(),
            }}</dd>
            {r.started_at.clone().map(|t| view! { <dt>"Started"</dt><dd><Time ts=Some(t) /></dd> })}
            {r.ended_at.clone().map(|t| view! { <dt>"Ended"</dt><dd><Time ts=Some(t) /></dd> })}
            {(r.attempt > 1).then(|| view! { <dt>"Attempt"</dt><dd>{r.attempt}</dd> })}
            {r.exit_code.map(|c| view! { <dt>"Exit code"</dt><dd>{c}</dd> })}
            {r.error.clone().map(|e| view! { <dt>"Why"</dt><dd id="run-error">{e}</dd> })}
            {r.scan_id.map(|s| view! {
                <dt>"Results"</dt><dd><a id="run-scan" href=format!("/scans/{s}")>{format!("Scan {s}")}</a></dd>
            })}
        </dl>
        {(r.origin == shared::api::RunOrigin::DryRun).then(|| view! { <DryRunOutcomes r=r.clone() /> })}
        {over.then(|| view! { <Compare id=r.id definition=r.definition.clone() /> })}
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let editor = session.me.await.map(|m| m.role >= Role::Editor).unwrap_or(false);
                (editor && !over).then(|| view! { <CancelRun id=id /> })
            })}
        </Suspense>
    }
}

/// What started a run, in words.
pub fn origin_words(origin: shared::api::RunOrigin) -> &'static str {
    match origin {
        shared::api::RunOrigin::DryRun => "dry run",
        other => other.as_str(),
    }
}

/// "Compare with": another run of the definition, side by side with this one — outcomes and
/// values that changed, checks added and removed, and how the checks changed.
#[component]
fn Compare(id: i64, definition: String) -> impl IntoView {
    let runs = LocalResource::new(move || {
        let definition = definition.clone();
        async move { api::definition_runs(&definition, 0).await.map(|l| l.items) }
    });
    let comparison = RwSignal::new(None::<Result<RunComparison, String>>);
    let choose = move |ev: leptos::ev::Event| {
        let Ok(other) = event_target_value(&ev).parse::<i64>() else {
            comparison.set(None);
            return;
        };
        leptos::task::spawn_local(async move {
            comparison.set(Some(
                api::compare_runs(id, other).await.map_err(|e| e.message),
            ));
        });
    };
    let options = move || {
        runs.get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.id != id && r.state.is_final())
            .map(|r| {
                let label = format!("Run {} · {}", r.id, r.state.as_str());
                view! { <option value=r.id.to_string()>{label}</option> }
            })
            .collect_view()
    };
    view! {
        <section class="compare" aria-labelledby="compare-title">
            <h2 id="compare-title">"Compare"</h2>
            <label for="compare-with">"With "</label>
            <select id="compare-with" on:change=choose>
                <option value="">"another run of this definition…"</option>
                {options}
            </select>
            {move || comparison.get().map(|c| match c {
                Err(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                Ok(c) => view! { <ComparisonView c=c /> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn ComparisonView(c: RunComparison) -> impl IntoView {
    let value = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    let none = c.checks.is_empty();
    let changed = c
        .checks
        .iter()
        .filter(|k| k.change != ChangeKind::Same)
        .count();
    let rows = c
        .checks
        .into_iter()
        .map(|k| {
            let delta = k
                .delta
                .filter(|d| *d != 0.0)
                .map(|d| if d > 0.0 { format!("+{d}") } else { d.to_string() })
                .unwrap_or_default();
            let (key, name) = (k.name.clone(), k.name);
            view! {
                <tr data-change=k.change.as_str() data-check=key>
                    <td>{k.change.as_str()}</td>
                    <td>{name}</td>
                    <td>{k.dataset}</td>
                    <td>{(k.change != ChangeKind::Added).then(|| outcome_badge(k.before_outcome))}</td>
                    <td>{(k.change != ChangeKind::Removed).then(|| outcome_badge(k.after_outcome))}</td>
                    <td class="number">{value(k.before_value)}</td>
                    <td class="number">{value(k.after_value)}</td>
                    <td class="number">{delta}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p id="compare-summary">{format!(
            "Run {} → run {}: {changed} checks changed",
            c.before.id, c.after.id
        )}</p>
        {none.then(|| view! { <p class="empty">"Neither run has check results."</p> })}
        <div class="table-scroll" hidden=none>
            <table id="compare-checks" class="data-table">
                <thead><tr><th>"Change"</th><th>"Check"</th><th>"Dataset"</th><th>"Before"</th><th>"After"</th>
                    <th>"Value before"</th><th>"Value after"</th><th>"Δ"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {(!c.checks_diff.is_empty()).then(|| view! {
            <h3>"Checks changed"</h3>
            <pre class="definition" id="compare-diff"><code>{c.checks_diff}</code></pre>
        })}
    }
}

/// What a dry run's checks came to: told by Soda Core, not stored as a scan.
#[component]
fn DryRunOutcomes(r: ScanRun) -> impl IntoView {
    let rows = r.outcomes.clone().unwrap_or_default();
    let empty = rows.is_empty();
    let rows = rows
        .into_iter()
        .map(|c| {
            let value = c.value.map(|v| v.to_string()).unwrap_or_default();
            let (key, name) = (c.name.clone(), c.name);
            view! {
                <tr data-check=key>
                    <td>{outcome_badge(c.outcome)}</td>
                    <td>{name}</td>
                    <td>{c.dataset}{c.column.map(|col| format!(" · {col}"))}</td>
                    <td class="number">{value}</td>
                    <td class="number">{c.line}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h2>"Dry run outcomes"</h2>
        <p class="hint">"These checks ran on the data source as edited; nothing was saved or stored as a scan."</p>
        {if empty {
            view! { <p id="dry-run-outcomes" class="empty">{if r.state.is_final() { "Soda Core reported no checks." } else { "Waiting for Soda Core…" }}</p> }.into_any()
        } else {
            view! {
                <div class="table-scroll">
                    <table id="dry-run-outcomes" class="data-table">
                        <thead><tr><th>"Outcome"</th><th>"Check"</th><th>"Dataset"</th><th>"Value"</th><th>"Line"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}

#[component]
fn CancelRun(id: i64) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let asked = RwSignal::new(false);
    let cancel = move |_| {
        asked.set(true);
        leptos::task::spawn_local(async move {
            if let Err(e) = api::cancel_run(id).await {
                error.set(Some(e.message));
            }
        });
    };
    view! {
        <p class="actions">
            <button type="button" class="danger" id="cancel-run" disabled=move || asked.get() on:click=cancel>"Cancel the run"</button>
            {move || error.get().map(|e| view! { <span class="error" role="alert">{e}</span> })}
        </p>
    }
}

/// Waits `d` (the browser's timer).
async fn sleep(d: Duration) {
    let ms = i32::try_from(d.as_millis()).unwrap_or(i32::MAX);
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
