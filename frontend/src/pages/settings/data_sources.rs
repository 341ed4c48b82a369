//! What Seltzer's runs connect with: data sources (their Soda configuration; listed for
//! everyone, managed by admins) and secrets (write-only: names and times listed, values never
//! shown again), which configurations name as `${secret:NAME}`.

use leptos::prelude::*;
use shared::api::{AgentInfo, ApiError, NewDataSource, NewSecret};

use super::{Requests, forbidden_or};
use crate::api;
use crate::components::table_of;
use crate::prefs::Time;

#[component]
pub(super) fn DataSources(
    agents: LocalResource<Result<Vec<AgentInfo>, ApiError>>,
) -> impl IntoView {
    let sources = LocalResource::new(api::data_sources);
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new(String::new());
    let configuration = RwSignal::new(String::new());
    let configuration_v4 = RwSignal::new(String::new());
    let limit = RwSignal::new(String::new());
    let agent = RwSignal::new(String::new());
    let requests = Requests::new();
    let (busy, error) = (requests.busy, requests.error);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let source = NewDataSource {
            name: name.get_untracked().trim().to_owned(),
            source_type: kind.get_untracked().trim().to_owned(),
            configuration: configuration.get_untracked(),
            configuration_v4: Some(configuration_v4.get_untracked())
                .filter(|c| !c.trim().is_empty()),
            max_concurrent: limit.get_untracked().trim().parse().ok(),
            agent: Some(agent.get_untracked()).filter(|a| !a.is_empty()),
        };
        let request = async move {
            api::create_data_source(&source)
                .await
                .map_err(|e| ApiError::new(e.code, forbidden_or(&e, "data sources")))
        };
        requests.submit(request, move |()| {
            name.set(String::new());
            configuration.set(String::new());
            configuration_v4.set(String::new());
            sources.refetch();
            agents.refetch();
        });
    };
    let remove = move |name: String| {
        requests.act(sources, async move { api::delete_data_source(&name).await });
    };
    view! {
        <section class="settings-section" aria-labelledby="data-sources-title">
            <h2 id="data-sources-title">"Data sources for runs"</h2>
            <p class="hint">"How Soda Core connects when Seltzer runs a scan. For Soda Core 3.5.6 checks files: the properties under "
                <code>"data_source NAME:"</code>" in Soda's configuration.yml. For Soda Core 4 contracts: the data source file without "
                <code>"type"</code>" and "<code>"name"</code>" (its "<code>"connection:"</code>"). Either or both. Write passwords as "
                <code>"${secret:NAME}"</code>" (a secret below), "<code>"${env:NAME}"</code>
                " (the environment of whatever runs the scan) or "<code>"${file:/PATH}"</code>" (a mounted secret file); they are resolved only when a scan starts. A data source run by an agent has its scans run there, near the data."</p>
            <form class="inline-form" id="new-data-source" on:submit=create>
                <label for="source-name">"Name"</label>
                <input id="source-name" required placeholder="as in soda scan -d" prop:value=name
                    on:input=move |ev| name.set(event_target_value(&ev)) />
                <label for="source-type">"Type"</label>
                <input id="source-type" required placeholder="duckdb, postgres…" prop:value=kind
                    on:input=move |ev| kind.set(event_target_value(&ev)) />
                <label for="source-limit">"Scans at once"</label>
                <input id="source-limit" type="number" min="1" max="20" class="narrow" placeholder="1" prop:value=limit
                    on:input=move |ev| limit.set(event_target_value(&ev)) />
                <label for="source-agent">"Runs on"</label>
                <select id="source-agent" on:change=move |ev| agent.set(event_target_value(&ev))>
                    <option value="">"Seltzer"</option>
                    {move || agents.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|a| {
                        let label = format!("agent {}", a.name);
                        view! { <option value=a.name>{label}</option> }
                    }).collect_view()}
                </select>
                <label for="source-configuration" class="block">"Soda Core 3 configuration (YAML)"</label>
                <textarea id="source-configuration" rows="4" spellcheck="false" class="code"
                    placeholder="host: db.example.com\nusername: soda\npassword: ${secret:warehouse}"
                    prop:value=configuration on:input=move |ev| configuration.set(event_target_value(&ev))></textarea>
                <label for="source-configuration-v4" class="block">"Soda Core 4 data source (YAML)"</label>
                <textarea id="source-configuration-v4" rows="4" spellcheck="false" class="code"
                    placeholder="connection:\n  host: db.example.com\n  user: soda\n  password: ${secret:warehouse}"
                    prop:value=configuration_v4 on:input=move |ev| configuration_v4.set(event_target_value(&ev))></textarea>
                <button type="submit" disabled=move || busy.get()>"Add data source"</button>
            </form>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {table_of("data sources", sources, "No data source is configured for runs.", "data-sources",
                &["Name", "Type", "Soda Core", "Runs on", "Refers to", "Scans at once", ""], move |s| {
                let target = s.name.clone();
                let engines = [
                    (!s.configuration.trim().is_empty()).then_some("3"),
                    s.configuration_v4.as_ref().map(|_| "4"),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
                view! {
                    <tr data-source=s.name>
                        <td><code>{s.name.clone()}</code></td><td>{s.source_type}</td><td class="engines">{engines}</td>
                        <td class="runs-on">{s.agent.map_or_else(|| "Seltzer".to_owned(), |a| format!("agent {a}"))}</td>
                        <td>{s.references.join(", ")}</td><td class="number">{s.max_concurrent}</td>
                        <td><button type="button" class="danger delete-source" aria-label=format!("Remove the data source {}", s.name)
                            on:click=move |_| remove(target.clone())>"Remove"</button></td>
                    </tr>
                }
            })}
            <Secrets />
        </section>
    }
}

#[component]
fn Secrets() -> impl IntoView {
    let secrets = LocalResource::new(api::secrets);
    let name = RwSignal::new(String::new());
    let value = RwSignal::new(String::new());
    let requests = Requests::new();
    let (busy, error) = (requests.busy, requests.error);
    let store = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let secret = NewSecret {
            name: name.get_untracked().trim().to_owned(),
            value: value.get_untracked(),
        };
        let request = async move { api::put_secret(&secret).await };
        requests.submit(request, move |()| {
            name.set(String::new());
            value.set(String::new());
            secrets.refetch();
        });
    };
    view! {
        <h3>"Secrets"</h3>
        <form class="inline-form" id="new-secret" on:submit=store>
            <label for="secret-name">"Name"</label>
            <input id="secret-name" required placeholder="e.g. warehouse" prop:value=name
                on:input=move |ev| name.set(event_target_value(&ev)) />
            <label for="secret-value">"Value"</label>
            <input id="secret-value" type="password" required autocomplete="new-password" prop:value=value
                on:input=move |ev| value.set(event_target_value(&ev)) />
            <button type="submit" disabled=move || busy.get()>"Store secret"</button>
        </form>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        {table_of("secrets", secrets, "No secrets stored.", "secrets", &["Name", "Stored", "Changed"], |s| view! {
            <tr><td><code>{s.name}</code></td><td><Time ts=Some(s.created_at) /></td><td><Time ts=Some(s.updated_at) /></td></tr>
        })}
    }
}
