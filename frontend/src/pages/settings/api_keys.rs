//! API keys: created (the secret shown once, with a copy button) and revoked, by admins.

use leptos::prelude::*;
use shared::api::{CreatedApiKey, Role};

use super::{Requests, RoleSelect, comma_list, forbidden_or};
use crate::api;
use crate::prefs::Time;

#[component]
pub(super) fn ApiKeys() -> impl IntoView {
    let keys = LocalResource::new(api::api_keys);
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Viewer);
    let data_sources = RwSignal::new(String::new());
    let created = RwSignal::new(None::<CreatedApiKey>);
    let requests = Requests::new();
    let (busy, error) = (requests.busy, requests.error);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let sources = Some(comma_list(&data_sources.get_untracked())).filter(|l| !l.is_empty());
        let request = api::create_api_key(name.get_untracked(), role.get_untracked(), sources);
        requests.submit(request, move |key| {
            created.set(Some(key));
            name.set(String::new());
            data_sources.set(String::new());
            keys.refetch();
        });
    };
    let revoke = move |id: String| {
        requests.act(keys, async move { api::revoke_api_key(&id).await });
    };
    view! {
        <section class="settings-section" aria-labelledby="keys-title">
            <h2 id="keys-title">"API keys"</h2>
            <p class="hint">"Soda Core logs in with an API key (its "<code>"soda_cloud:"</code>" configuration), and so do scripts using the API (HTTP Basic id:secret)."</p>
            <form class="inline-form" id="new-key" on:submit=create>
                <label for="key-name">"Name"</label>
                <input id="key-name" required placeholder="e.g. warehouse-scans" prop:value=name
                    on:input=move |ev| name.set(event_target_value(&ev)) />
                <label for="key-role">"Role"</label>
                <RoleSelect id="key-role" role=role />
                <label for="key-data-sources">"Data sources"</label>
                <input id="key-data-sources" placeholder="any (or: warehouse, sales_db)" prop:value=data_sources
                    title="The data sources this key may send scans of, separated by commas; empty: any"
                    on:input=move |ev| data_sources.set(event_target_value(&ev)) />
                <button type="submit" disabled=move || busy.get()>"Create key"</button>
            </form>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || created.get().map(|key| view! { <NewSecret key=key /> })}
            <Transition fallback=|| view! { <p class="loading" aria-busy="true">"Loading keys…"</p> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty-state">"No API keys yet."</p> }.into_any(),
                        Ok(list) => {
                            let rows = list.into_iter().map(|k| {
                                let id = k.id.clone();
                                let revoked = k.revoked_at.is_some();
                                view! {
                                    <tr data-key-id=k.id class:revoked=revoked>
                                        <td>{k.name.clone()}</td>
                                        <td><code>{k.id.clone()}</code></td>
                                        <td>{k.role.clone()}</td>
                                        <td>{k.data_sources.as_ref().map_or_else(|| "any".to_owned(), |d| d.join(", "))}</td>
                                        <td><Time ts=Some(k.created_at.clone()) /></td>
                                        <td>{if revoked {
                                            view! { <span class="muted">"Revoked " <Time ts=k.revoked_at.clone() /></span> }.into_any()
                                        } else {
                                            let name = k.name;
                                            view! {
                                                <button type="button" class="danger revoke"
                                                    aria-label=format!("Revoke the key {name}")
                                                    on:click=move |_| revoke(id.clone())>"Revoke"</button>
                                            }.into_any()
                                        }}</td>
                                    </tr>
                                }
                            }).collect_view();
                            view! {
                                <div class="table-scroll">
                                    <table class="checks" id="api-keys">
                                        <thead><tr><th>"Name"</th><th>"Id"</th><th>"Role"</th><th>"Data sources"</th><th>"Created"</th><th></th></tr></thead>
                                        <tbody>{rows}</tbody>
                                    </table>
                                </div>
                            }.into_any()
                        }
                        Err(e) => view! { <p class="muted">{forbidden_or(&e, "API keys")}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The one time a secret is shown: with the `soda_cloud:` lines to paste and a copy button.
#[component]
fn NewSecret(key: CreatedApiKey) -> impl IntoView {
    let copied = RwSignal::new(false);
    let secret = key.secret.clone();
    let copy = move |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.navigator().clipboard().write_text(&secret);
            copied.set(true);
        }
    };
    view! {
        <div class="new-secret" id="new-secret" role="status">
            <p><strong>{format!("Key “{}” created.", key.name)}</strong>" Copy the secret now: it is not shown again."</p>
            <dl class="facts">
                <dt>"api_key_id"</dt><dd><code id="new-key-id">{key.id.clone()}</code></dd>
                <dt>"api_key_secret"</dt><dd><code id="new-key-secret">{key.secret}</code></dd>
            </dl>
            <button type="button" id="copy-secret" on:click=copy>
                {move || if copied.get() { "Copied ✓" } else { "Copy secret" }}
            </button>
        </div>
    }
}
