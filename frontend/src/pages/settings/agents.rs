//! Agents: `seltzer agent` processes that run the scans of the data sources naming them, near
//! the data. Listed for everyone (online or not, where, for which data sources); registered,
//! given a new key and removed by admins. A key is shown once, with the command that starts
//! the agent.

use leptos::prelude::*;
use shared::api::{AgentInfo, AgentKey, ApiError};

use super::{Requests, forbidden_or};
use crate::api;
use crate::components::table_of;
use crate::prefs::Time;

#[component]
pub(super) fn Agents(agents: LocalResource<Result<Vec<AgentInfo>, ApiError>>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let shown = RwSignal::new(None::<AgentKey>);
    let requests = Requests::new();
    let (busy, error) = (requests.busy, requests.error);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = api::create_agent(name.get_untracked().trim().to_owned());
        let request = async move {
            request
                .await
                .map_err(|e| ApiError::new(e.code, forbidden_or(&e, "agents")))
        };
        requests.submit(request, move |key| {
            shown.set(Some(key));
            name.set(String::new());
            agents.refetch();
        });
    };
    let new_key = move |name: String| {
        requests.submit(async move { api::new_agent_key(&name).await }, move |key| {
            shown.set(Some(key));
        });
    };
    let remove = move |name: String| {
        requests.act(agents, async move { api::delete_agent(&name).await });
    };
    view! {
        <section class="settings-section" aria-labelledby="agents-title">
            <h2 id="agents-title">"Agents"</h2>
            <p class="hint">"An agent runs the scans of the data sources that name it on another machine, near the data: it asks Seltzer for work over HTTPS with its key, and its "
                <code>"${env:…}"</code>" and "<code>"${file:…}"</code>" references are read there, so those credentials never reach Seltzer."</p>
            <form class="inline-form" id="new-agent" on:submit=create>
                <label for="agent-name">"Name"</label>
                <input id="agent-name" required placeholder="e.g. eu-warehouse" prop:value=name
                    on:input=move |ev| name.set(event_target_value(&ev)) />
                <button type="submit" disabled=move || busy.get()>"Register agent"</button>
            </form>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || shown.get().map(|key| view! { <AgentKeyShown key=key /> })}
            {table_of("agents", agents, "No agents: Seltzer runs every scan itself.", "agents",
                &["Name", "Status", "Host", "Runs", "Running", ""], move |a| {
                let (for_key, for_remove) = (a.name.clone(), a.name.clone());
                let status = if a.online {
                    view! { <span class="agent-online">"online"</span> }.into_any()
                } else if a.last_seen_at.is_some() {
                    view! { <span class="muted">"offline since " <Time ts=a.last_seen_at.clone() /></span> }.into_any()
                } else {
                    view! { <span class="muted">"never connected"</span> }.into_any()
                };
                let sources = if a.data_sources.is_empty() {
                    "no data source".to_owned()
                } else {
                    a.data_sources.join(", ")
                };
                view! {
                    <tr data-agent=a.name>
                        <td><code>{a.name.clone()}</code></td>
                        <td>{status}</td>
                        <td title=a.version.clone().unwrap_or_default()>{a.host.clone().unwrap_or_default()}</td>
                        <td>{sources}</td>
                        <td class="number">{a.executing}</td>
                        <td>
                            <button type="button" class="secondary new-agent-key" aria-label=format!("A new key for the agent {}", a.name)
                                on:click=move |_| new_key(for_key.clone())>"New key"</button>
                            " "
                            <button type="button" class="danger delete-agent" aria-label=format!("Remove the agent {}", a.name)
                                on:click=move |_| remove(for_remove.clone())>"Remove"</button>
                        </td>
                    </tr>
                }
            })}
        </section>
    }
}

/// The one time an agent's key is shown: with the command that starts the agent.
#[component]
fn AgentKeyShown(key: AgentKey) -> impl IntoView {
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    let command = format!(
        "SELTZER_AGENT_KEY={} seltzer agent --server {origin} --soda-v3 soda/soda-core-3.5.6/bin/soda",
        key.key
    );
    let copied = RwSignal::new(false);
    let secret = key.key.clone();
    let copy = move |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.navigator().clipboard().write_text(&secret);
            copied.set(true);
        }
    };
    view! {
        <div class="new-secret" id="new-agent-key" role="status">
            <p><strong>{format!("The key of agent “{}”.", key.name)}</strong>" Copy it now: it is not shown again. Start the agent on the machine near the data with:"</p>
            <pre class="command"><code id="agent-command">{command}</code></pre>
            <button type="button" id="copy-agent-key" on:click=copy>
                {move || if copied.get() { "Copied ✓" } else { "Copy key" }}
            </button>
        </div>
    }
}
