//! `/runs/{id}`: one run — its state, times, why it failed, the scan its results became — and
//! its log, followed live while it runs (the page asks for the lines after the last it has,
//! every second, until the run is over). Editors cancel a queued or running run.

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use shared::api::{Role, RunLogLine, ScanRun};

use crate::api;
use crate::components::run_state_badge;
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
    let finished = StoredValue::new(false);
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
            loop {
                if !alive.get_value() {
                    return;
                }
                // The log first: once it says the run is over, the run read after it is in its
                // final state (read the other way round, the page could stop on a stale one).
                if let Ok(page) = api::run_logs(run_id, after.get_value()).await {
                    after.set_value(page.next);
                    finished.set_value(page.finished);
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
                if finished.get_value() {
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
            <dt>"Started by"</dt><dd>{format!("{} ({})", r.requested_by, r.origin.as_str())}</dd>
            <dt>"Data timestamp"</dt><dd><Time ts=Some(r.data_timestamp.clone()) /></dd>
            {r.started_at.clone().map(|t| view! { <dt>"Started"</dt><dd><Time ts=Some(t) /></dd> })}
            {r.ended_at.clone().map(|t| view! { <dt>"Ended"</dt><dd><Time ts=Some(t) /></dd> })}
            {(r.attempt > 1).then(|| view! { <dt>"Attempt"</dt><dd>{r.attempt}</dd> })}
            {r.exit_code.map(|c| view! { <dt>"Exit code"</dt><dd>{c}</dd> })}
            {r.error.clone().map(|e| view! { <dt>"Why"</dt><dd id="run-error">{e}</dd> })}
            {r.scan_id.map(|s| view! {
                <dt>"Results"</dt><dd><a id="run-scan" href=format!("/scans/{s}")>{format!("Scan {s}")}</a></dd>
            })}
        </dl>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let editor = session.me.await.map(|m| m.role >= Role::Editor).unwrap_or(false);
                (editor && !over).then(|| view! { <CancelRun id=id /> })
            })}
        </Suspense>
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
