//! `/scan-definitions/{name}`: one definition Seltzer runs — its data source, schedule with the
//! next fire times, checks, its runs (newest first) and its versions; editors run it now and
//! change it (each change a new version).

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use shared::api::{Role, ScanDefinitionInfo, ScanRun};

use super::runs::{DefinitionFields, DefinitionForm, RunNow};
use crate::api;
use crate::components::{loaded, run_state_badge, table_of};
use crate::prefs::Time;

#[component]
pub fn ScanDefinitionPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.get().get("name").unwrap_or_default();
    let definition = LocalResource::new(move || {
        let name = name();
        async move { api::scan_definition(&name).await }
    });
    view! {
        {loaded("scan definition", Some("Scan definition"), definition, move |d| {
            view! { <DefinitionView d=d reload=definition /> }.into_any()
        })}
    }
}

#[component]
fn DefinitionView(
    d: ScanDefinitionInfo,
    reload: LocalResource<Result<ScanDefinitionInfo, shared::api::ApiError>>,
) -> impl IntoView {
    let session = crate::session::use_session();
    let name = d.definition.name.clone();
    let runs = LocalResource::new({
        let name = name.clone();
        move || {
            let name = name.clone();
            async move { api::definition_runs(&name, 0).await.map(|l| l.items) }
        }
    });
    let versions = LocalResource::new({
        let name = name.clone();
        move || {
            let name = name.clone();
            async move { api::definition_versions(&name).await }
        }
    });
    let schedule = d.definition.schedule.as_ref().map_or_else(
        || "on demand only".to_owned(),
        |s| format!("{} in {}", s.cron, s.timezone.as_deref().unwrap_or("UTC")),
    );
    let next = d
        .next_fire_times
        .iter()
        .map(|t| view! { <li><Time ts=Some(t.clone()) /></li> })
        .collect_view();
    let definition = d.definition.clone();
    view! {
        <p class="breadcrumb"><a href="/runs">"Runs"</a>" / "</p>
        <h1 id="definition-name">{name.clone()}</h1>
        <dl class="facts" id="definition-facts">
            <dt>"Data source"</dt><dd>{d.definition.data_source.clone()}</dd>
            <dt>"Soda Core"</dt><dd>{d.definition.engine.as_str()}</dd>
            <dt>"Schedule"</dt><dd id="definition-schedule">{schedule}{d.definition.paused.then_some(" (paused)")}</dd>
            <dt>"Timeout"</dt><dd>{format!("{} s", d.definition.timeout_seconds.unwrap_or(7200))}</dd>
            <dt>"Version"</dt><dd id="definition-version">{d.version}</dd>
        </dl>
        {(!d.next_fire_times.is_empty()).then(|| view! {
            <h2>"Next runs"</h2>
            <ol class="fire-times" id="next-fire-times">{next}</ol>
        })}
        <Suspense fallback=|| ()>
            {move || Suspend::new({
                let (name, definition) = (name.clone(), definition.clone());
                async move {
                    let editor = session.me.await.map(|m| m.role >= Role::Editor).unwrap_or(false);
                    editor.then(|| view! {
                        <p class="actions"><RunNow name=name /></p>
                        <EditDefinition definition=definition reload=reload />
                    })
                }
            })}
        </Suspense>
        <h2>"Checks"</h2>
        <pre class="definition"><code id="definition-checks-text">{d.definition.checks}</code></pre>
        <h2>"Runs"</h2>
        {table_of("runs", runs, "Not run yet.", "runs",
            &["Run", "State", "Started by", "Data timestamp", "Ended", "Results"],
            |r| view! { <RunRow r=r /> })}
        <h2>"Versions"</h2>
        {table_of("versions", versions, "No versions.", "versions", &["Version", "By", "At"],
            |v| view! { <tr><td>{v.version}</td><td>{v.author}</td><td><Time ts=Some(v.created_at) /></td></tr> })}
    }
}

#[component]
fn RunRow(r: ScanRun) -> impl IntoView {
    view! {
        <tr data-run-id=r.id>
            <td><a href=format!("/runs/{}", r.id)>{format!("Run {}", r.id)}</a></td>
            <td>{run_state_badge(r.state)}</td>
            <td>{format!("{} ({})", r.requested_by, r.origin.as_str())}</td>
            <td><Time ts=Some(r.data_timestamp) /></td>
            <td>{r.ended_at.map(|t| view! { <Time ts=Some(t) /> })}</td>
            <td>{r.scan_id.map(|s| view! { <a href=format!("/scans/{s}")>{format!("Scan {s}")}</a> })}</td>
        </tr>
    }
}

#[component]
fn EditDefinition(
    definition: shared::api::NewScanDefinition,
    reload: LocalResource<Result<ScanDefinitionInfo, shared::api::ApiError>>,
) -> impl IntoView {
    let fields = DefinitionFields::of(&definition);
    let error = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let changed = fields.definition();
        leptos::task::spawn_local(async move {
            match api::update_scan_definition(&changed).await {
                Ok(_) => {
                    error.set(None);
                    reload.refetch();
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    view! {
        <details class="edit-definition">
            <summary>"Change it"</summary>
            <form class="inline-form definition-form" id="edit-definition" on:submit=save>
                <DefinitionForm fields=fields new=false />
                <button type="submit">"Save as a new version"</button>
            </form>
            {move || error.get().map(|e| view! { <p class="error" role="alert" id="definition-error">{e}</p> })}
        </details>
    }
}
