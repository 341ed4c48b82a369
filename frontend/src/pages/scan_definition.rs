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
        {(!d.definition.stakeholders.is_empty()).then(|| view! { <Agreement d=d.clone() reload=reload /> })}
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

/// A definition's agreement: who approved its current version, who is awaited, and for a
/// stakeholder who has not approved yet, the button that does.
#[component]
fn Agreement(
    d: ScanDefinitionInfo,
    reload: LocalResource<Result<ScanDefinitionInfo, shared::api::ApiError>>,
) -> impl IntoView {
    let session = crate::session::use_session();
    let error = RwSignal::new(None::<String>);
    let (name, version) = (d.definition.name.clone(), d.version);
    let awaiting = d.awaiting_approval.clone();
    let approved = d
        .approvals
        .iter()
        .map(|a| view! { <li class="approved">{a.approver.clone()}" approved "<Time ts=Some(a.approved_at.clone()) /></li> })
        .collect_view();
    let waiting = d
        .awaiting_approval
        .iter()
        .map(|s| view! { <li class="awaiting">{s.clone()}" has not approved"</li> })
        .collect_view();
    let approve = move |_| {
        let name = name.clone();
        leptos::task::spawn_local(async move {
            match api::approve_definition(&name, version).await {
                Ok(_) => reload.refetch(),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    let state = if d.awaiting_approval.is_empty() {
        "Approved: the schedule runs this version."
    } else {
        "Awaiting approval: the schedule skips its runs until every stakeholder approves this version."
    };
    view! {
        <section class="agreement" id="agreement" aria-labelledby="agreement-title">
            <h2 id="agreement-title">{format!("Agreement on version {version}")}</h2>
            <p id="agreement-state">{state}</p>
            <ul class="approvals">{approved}{waiting}</ul>
            <Suspense fallback=|| ()>
                {move || Suspend::new({
                    let (awaiting, approve) = (awaiting.clone(), approve.clone());
                    async move {
                        let me = session.me.await.ok().and_then(|m| m.email);
                        me.filter(|e| awaiting.iter().any(|s| s.eq_ignore_ascii_case(e))).map(|_| view! {
                            <button type="button" id="approve-definition" on:click=approve>{format!("Approve version {version}")}</button>
                        })
                    }
                })}
            </Suspense>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}

#[component]
fn RunRow(r: ScanRun) -> impl IntoView {
    let origin = super::scan_run::origin_words(r.origin);
    view! {
        <tr data-run-id=r.id data-origin=r.origin.as_str()>
            <td><a href=format!("/runs/{}", r.id)>{format!("Run {}", r.id)}</a></td>
            <td>{run_state_badge(r.state)}</td>
            <td>{format!("{} ({origin})", r.requested_by)}</td>
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
    let navigate = leptos_router::hooks::use_navigate();
    // The checks as edited, run now on the data source without saving or storing anything.
    let dry_run = move |_| {
        let (name, checks) = (fields.name.get_untracked(), fields.checks.get_untracked());
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match api::dry_run(&name, &checks).await {
                Ok(run) => navigate(&format!("/runs/{}", run.id), Default::default()),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
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
                <button type="button" id="dry-run" class="secondary" on:click=dry_run
                    title="Runs these checks on the data source now; nothing is saved or stored">"Dry run"</button>
            </form>
            {move || error.get().map(|e| view! { <p class="error" role="alert" id="definition-error">{e}</p> })}
        </details>
    }
}
