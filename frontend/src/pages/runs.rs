//! `/runs`: the scan definitions Seltzer runs — data source, schedule and its next fire time,
//! last run — with "Run now", and for editors a form that adds one (checks validated as the
//! editor validates them, the schedule checked by the server).

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use shared::api::{Engine, NewScanDefinition, Role, ScanDefinitionInfo, ScanSchedule};

use crate::api;
use crate::components::{run_state_badge, table_of};
use crate::prefs::Time;

#[component]
pub fn RunsPage() -> impl IntoView {
    let definitions = LocalResource::new(api::scan_definitions);
    let session = crate::session::use_session();
    view! {
        <h1>"Runs"</h1>
        <p class="hint">"Scan definitions Seltzer runs itself, on a schedule or now. Their results are stored as any pushed scan is."</p>
        {table_of("scan definitions", definitions,
            "No scan definition runs here yet. An admin adds a data source in Settings; an editor then adds a definition below.",
            "definitions", &["Definition", "Data source", "Schedule", "Next run", "Last run", ""],
            |d| view! { <DefinitionRow d=d /> })}
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let editor = session.me.await.map(|m| m.role >= Role::Editor).unwrap_or(false);
                editor.then(|| view! { <NewDefinition /> })
            })}
        </Suspense>
    }
}

#[component]
fn DefinitionRow(d: ScanDefinitionInfo) -> impl IntoView {
    let name = d.definition.name.clone();
    let schedule = d.definition.schedule.as_ref().map_or_else(
        || "on demand".to_owned(),
        |s| format!("{} ({})", s.cron, s.timezone.as_deref().unwrap_or("UTC")),
    );
    let schedule = if d.definition.paused {
        format!("{schedule}, paused")
    } else if !d.awaiting_approval.is_empty() {
        format!("{schedule}, awaiting approval")
    } else {
        schedule
    };
    let next = d.next_fire_times.first().cloned();
    let (row_key, label) = (name.clone(), name.clone());
    let link = format!("/scan-definitions/{}", crate::url::encode(&name));
    view! {
        <tr data-definition=row_key>
            <td><a href=link>{label}</a></td>
            <td>{d.definition.data_source.clone()}</td>
            <td>{schedule}</td>
            <td>{next.map(|t| view! { <Time ts=Some(t) /> })}</td>
            <td>{d.last_run.map(|r| view! {
                <a href=format!("/runs/{}", r.id)>{run_state_badge(r.state)}</a>
            })}</td>
            <td><RunNow name=name /></td>
        </tr>
    }
}

/// "Run now": queues a run and opens it.
#[component]
pub fn RunNow(name: String) -> impl IntoView {
    let navigate = use_navigate();
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let run = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        let name = name.clone();
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match api::run_now(&name).await {
                Ok(run) => navigate(&format!("/runs/{}", run.id), Default::default()),
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    view! {
        <button type="button" class="run-now" disabled=move || busy.get() on:click=run>"Run now"</button>
        {move || error.get().map(|e| view! { <span class="error" role="alert">{e}</span> })}
    }
}

/// The form's fields as a definition.
#[derive(Clone, Copy)]
pub struct DefinitionFields {
    pub name: RwSignal<String>,
    pub data_source: RwSignal<String>,
    pub checks: RwSignal<String>,
    pub cron: RwSignal<String>,
    pub timezone: RwSignal<String>,
    pub timeout: RwSignal<String>,
    pub attempts: RwSignal<String>,
    pub paused: RwSignal<bool>,
    pub engine: RwSignal<Engine>,
    /// `NAME=VALUE` lines.
    pub variables: RwSignal<String>,
    /// Emails, separated by commas or spaces.
    pub stakeholders: RwSignal<String>,
}

impl DefinitionFields {
    pub fn new() -> Self {
        Self {
            name: RwSignal::new(String::new()),
            data_source: RwSignal::new(String::new()),
            checks: RwSignal::new(String::new()),
            cron: RwSignal::new(String::new()),
            timezone: RwSignal::new(String::new()),
            timeout: RwSignal::new(String::new()),
            attempts: RwSignal::new(String::new()),
            paused: RwSignal::new(false),
            engine: RwSignal::new(Engine::V3),
            variables: RwSignal::new(String::new()),
            stakeholders: RwSignal::new(String::new()),
        }
    }

    /// Filled from a stored definition, for editing it.
    pub fn of(d: &NewScanDefinition) -> Self {
        let fields = Self::new();
        fields.name.set(d.name.clone());
        fields.data_source.set(d.data_source.clone());
        fields.checks.set(d.checks.clone());
        if let Some(s) = &d.schedule {
            fields.cron.set(s.cron.clone());
            fields.timezone.set(s.timezone.clone().unwrap_or_default());
        }
        fields
            .timeout
            .set(d.timeout_seconds.map(|t| t.to_string()).unwrap_or_default());
        fields
            .attempts
            .set(d.max_attempts.map(|t| t.to_string()).unwrap_or_default());
        fields.paused.set(d.paused);
        fields.engine.set(d.engine);
        fields.variables.set(
            d.variables
                .iter()
                .map(|(k, v)| format!("{k}={v}\n"))
                .collect(),
        );
        fields.stakeholders.set(d.stakeholders.join(", "));
        fields
    }

    pub fn definition(self) -> NewScanDefinition {
        let text = |s: RwSignal<String>| {
            let v = s.get_untracked().trim().to_owned();
            (!v.is_empty()).then_some(v)
        };
        NewScanDefinition {
            name: self.name.get_untracked().trim().to_owned(),
            data_source: self.data_source.get_untracked(),
            engine: self.engine.get_untracked(),
            checks: self.checks.get_untracked(),
            variables: self
                .variables
                .get_untracked()
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .filter(|(k, _)| !k.is_empty())
                .collect::<BTreeMap<_, _>>(),
            schedule: text(self.cron).map(|cron| ScanSchedule {
                cron,
                timezone: text(self.timezone),
            }),
            timeout_seconds: text(self.timeout).and_then(|t| t.parse().ok()),
            max_attempts: text(self.attempts).and_then(|t| t.parse().ok()),
            paused: self.paused.get_untracked(),
            stakeholders: self
                .stakeholders
                .get_untracked()
                .split([',', ' ', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

/// The fields of a definition's form (the name only when it is new).
#[component]
pub fn DefinitionForm(fields: DefinitionFields, new: bool) -> impl IntoView {
    let sources = LocalResource::new(api::data_sources);
    let options = move || {
        let chosen = fields.data_source.get_untracked();
        sources
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .map(|s| {
                let selected = s.name == chosen;
                let label = s.name.clone();
                view! { <option value=s.name selected=selected>{label}</option> }
            })
            .collect_view()
    };
    let f = fields;
    view! {
        {new.then(|| view! {
            <label for="definition-name">"Name"</label>
            <input id="definition-name" required placeholder="e.g. orders daily (soda scan -s)" prop:value=f.name
                on:input=move |ev| f.name.set(event_target_value(&ev)) />
        })}
        <label for="definition-engine">"Soda Core"</label>
        <select id="definition-engine" prop:value=move || f.engine.get().as_str()
            on:change=move |ev| f.engine.set(Engine::parse(&event_target_value(&ev)).unwrap_or_default())>
            <option value="v3">"3.5.6 (checks file)"</option>
            <option value="v4">"4 (contract)"</option>
        </select>
        <label for="definition-source">"Data source"</label>
        <select id="definition-source" required prop:value=f.data_source on:change=move |ev| f.data_source.set(event_target_value(&ev))>
            <option value="">"choose…"</option>
            {options}
        </select>
        <label for="definition-cron">"Schedule (cron)"</label>
        <input id="definition-cron" placeholder="on demand; e.g. 30 6 * * 1-5" prop:value=f.cron
            on:input=move |ev| f.cron.set(event_target_value(&ev)) />
        <label for="definition-timezone">"Time zone"</label>
        <input id="definition-timezone" placeholder="UTC; e.g. Europe/Amsterdam" prop:value=f.timezone
            on:input=move |ev| f.timezone.set(event_target_value(&ev)) />
        <label for="definition-timeout">"Timeout (s)"</label>
        <input id="definition-timeout" type="number" min="1" max="86400" class="narrow" placeholder="7200" prop:value=f.timeout
            on:input=move |ev| f.timeout.set(event_target_value(&ev)) />
        <label for="definition-attempts">"Attempts"</label>
        <input id="definition-attempts" type="number" min="1" max="10" class="narrow" placeholder="1" prop:value=f.attempts
            on:input=move |ev| f.attempts.set(event_target_value(&ev)) />
        <label class="checkbox"><input type="checkbox" id="definition-paused" prop:checked=f.paused
            on:change=move |ev| f.paused.set(event_target_checked(&ev)) />"paused"</label>
        <label for="definition-stakeholders" class="block">"Agreement: users who approve each version before its schedule runs it"</label>
        <input id="definition-stakeholders" class="wide" placeholder="none; e.g. ana@example.com, ben@example.com" prop:value=f.stakeholders
            on:input=move |ev| f.stakeholders.set(event_target_value(&ev)) />
        <label for="definition-variables" class="block">"Variables (NAME=VALUE, one per line)"</label>
        <textarea id="definition-variables" rows="2" spellcheck="false" class="code" placeholder="min_rows=1"
            prop:value=f.variables on:input=move |ev| f.variables.set(event_target_value(&ev))></textarea>
        <label for="definition-checks" class="block">
            {move || if f.engine.get() == Engine::V4 { "Contract (Soda Core 4 YAML)" } else { "Checks (SodaCL)" }}
        </label>
        <textarea id="definition-checks" rows="8" spellcheck="false" class="code" placeholder="checks for orders:\n  - row_count > 0"
            prop:value=f.checks on:input=move |ev| f.checks.set(event_target_value(&ev))></textarea>
    }
}

#[component]
fn NewDefinition() -> impl IntoView {
    let fields = DefinitionFields::new();
    let error = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let definition = fields.definition();
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match api::create_scan_definition(&definition).await {
                Ok(d) => navigate(
                    &format!(
                        "/scan-definitions/{}",
                        crate::url::encode(&d.definition.name)
                    ),
                    Default::default(),
                ),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    view! {
        <h2>"New scan definition"</h2>
        <form class="inline-form definition-form" id="new-definition" on:submit=create>
            <DefinitionForm fields=fields new=true />
            <button type="submit">"Add definition"</button>
        </form>
        {move || error.get().map(|e| view! { <p class="error" role="alert" id="definition-error">{e}</p> })}
    }
}
