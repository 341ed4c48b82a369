//! `/settings`: display preferences (theme, time zone) for everyone; API keys (create with the
//! secret shown once and a copy button, revoke) and users (add with a role, disable) for
//! admins; check attribute definitions as Soda Core receives them (define, delete: editors).

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{
    ATTRIBUTE_TYPES, ApiError, CreatedApiKey, ErrorCode, NewAttribute, NewUser, Role,
};

use crate::api;
use crate::prefs::{ThemeChoice, Time, use_prefs};

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <h1>"Settings"</h1>
        <Display />
        <ApiKeys />
        <Users />
        <Attributes />
    }
}

fn forbidden_or(e: &ApiError, what: &str) -> String {
    if e.code == ErrorCode::Forbidden {
        format!("Only admins manage {what}.")
    } else {
        e.message.clone()
    }
}

#[component]
fn Display() -> impl IntoView {
    let prefs = use_prefs();
    let theme_option = move |value: ThemeChoice, label: &'static str, id: &'static str| {
        view! {
            <label class="choice" for=id>
                <input type="radio" name="theme" id=id prop:checked=move || prefs.theme.get() == value
                    on:change=move |_| prefs.theme.set(value) />
                {label}
            </label>
        }
    };
    view! {
        <section class="settings-section" aria-labelledby="display-title">
            <h2 id="display-title">"Display"</h2>
            <fieldset>
                <legend>"Theme"</legend>
                {theme_option(ThemeChoice::System, "Follow the system", "theme-system")}
                {theme_option(ThemeChoice::Light, "Light", "theme-light")}
                {theme_option(ThemeChoice::Dark, "Dark", "theme-dark")}
            </fieldset>
            <fieldset>
                <legend>"Times"</legend>
                <label class="choice" for="zone-utc">
                    <input type="radio" name="zone" id="zone-utc" prop:checked=move || prefs.utc.get()
                        on:change=move |_| prefs.utc.set(true) />"UTC"
                </label>
                <label class="choice" for="zone-local">
                    <input type="radio" name="zone" id="zone-local" prop:checked=move || !prefs.utc.get()
                        on:change=move |_| prefs.utc.set(false) />"This browser's time zone"
                </label>
            </fieldset>
        </section>
    }
}

/// "warehouse, sales_db" → the names; empty → `None` (any data source).
fn data_source_list(text: &str) -> Option<Vec<String>> {
    let names: Vec<String> = text
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect();
    (!names.is_empty()).then_some(names)
}

#[component]
fn ApiKeys() -> impl IntoView {
    let keys = LocalResource::new(api::api_keys);
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Viewer);
    let data_sources = RwSignal::new(String::new());
    let created = RwSignal::new(None::<CreatedApiKey>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let sources = data_source_list(&data_sources.get_untracked());
            match api::create_api_key(name.get_untracked(), role.get_untracked(), sources).await {
                Ok(key) => {
                    created.set(Some(key));
                    name.set(String::new());
                    data_sources.set(String::new());
                    keys.refetch();
                }
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    let revoke = move |id: String| {
        spawn_local(async move {
            match api::revoke_api_key(&id).await {
                Ok(()) => keys.refetch(),
                Err(e) => error.set(Some(e.message)),
            }
        });
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
                <select id="key-role" on:change=move |ev| role.set(Role::parse(&event_target_value(&ev)).unwrap_or(Role::Viewer))>
                    <option value="viewer">"viewer"</option>
                    <option value="editor">"editor"</option>
                    <option value="admin">"admin"</option>
                </select>
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

#[component]
fn Users() -> impl IntoView {
    let users = LocalResource::new(api::users);
    let session = crate::session::use_session();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Viewer);
    let error = RwSignal::new(None::<String>);
    let added = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        added.set(None);
        let user = NewUser {
            email: email.get_untracked(),
            role: role.get_untracked(),
            password: password.get_untracked(),
        };
        spawn_local(async move {
            match api::create_user(&user).await {
                Ok(stored_email) => {
                    added.set(Some(format!(
                        "{stored_email} can now sign in as {}.",
                        user.role.as_str()
                    )));
                    email.set(String::new());
                    password.set(String::new());
                    users.refetch();
                }
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    let disable = move |email: String| {
        spawn_local(async move {
            match api::disable_user(&email).await {
                Ok(()) => users.refetch(),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    view! {
        <section class="settings-section" aria-labelledby="users-title">
            <h2 id="users-title">"Users"</h2>
            <Transition fallback=|| view! { <p class="loading" aria-busy="true">"Loading users…"</p> }>
                {move || Suspend::new(async move {
                    let me = session.me.await.ok().and_then(|m| m.email);
                    match users.await {
                        Ok(list) => {
                            let rows = list.into_iter().map(|u| {
                                // Nobody disables themselves by accident (another admin can).
                                let is_me = me.as_deref() == Some(u.email.as_str());
                                let (address, row_key) = (u.email.clone(), u.email.clone());
                                let action = format!("Disable the user {}", u.email);
                                view! {
                                    <tr class:revoked=u.disabled data-email=row_key>
                                        <td>{u.email}</td>
                                        <td>{u.role.as_str()}</td>
                                        <td>{if u.disabled { "disabled" } else { "active" }}</td>
                                        <td><Time ts=Some(u.created_at) /></td>
                                        <td>{(!u.disabled && !is_me).then(|| view! {
                                            <button type="button" class="danger disable-user"
                                                aria-label=action
                                                on:click=move |_| disable(address.clone())>"Disable"</button>
                                        })}</td>
                                    </tr>
                                }
                            }).collect_view();
                            view! {
                                <form class="inline-form" id="new-user" on:submit=create>
                                    <label for="user-email">"Email"</label>
                                    <input id="user-email" type="email" required autocomplete="off" prop:value=email
                                        on:input=move |ev| email.set(event_target_value(&ev)) />
                                    <label for="user-role">"Role"</label>
                                    <select id="user-role" on:change=move |ev| role.set(Role::parse(&event_target_value(&ev)).unwrap_or(Role::Viewer))>
                                        <option value="viewer">"viewer"</option>
                                        <option value="editor">"editor"</option>
                                        <option value="admin">"admin"</option>
                                    </select>
                                    <label for="user-password">"Password"</label>
                                    <input id="user-password" type="password" required autocomplete="new-password"
                                        placeholder="12 characters or more" prop:value=password
                                        on:input=move |ev| password.set(event_target_value(&ev)) />
                                    <button type="submit" disabled=move || busy.get()>"Add user"</button>
                                </form>
                                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                                {move || added.get().map(|m| view! { <p class="notice" role="status" id="user-added">{m}</p> })}
                                <div class="table-scroll">
                                    <table class="checks" id="users">
                                        <thead><tr><th>"Email"</th><th>"Role"</th><th>"Status"</th><th>"Created"</th><th></th></tr></thead>
                                        <tbody>{rows}</tbody>
                                    </table>
                                </div>
                            }.into_any()
                        }
                        Err(e) => view! { <p class="muted">{forbidden_or(&e, "users")}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Check attribute definitions: listed for everyone, created and deleted by editors.
#[component]
fn Attributes() -> impl IntoView {
    let attributes = LocalResource::new(api::attributes);
    let name = RwSignal::new(String::new());
    let label = RwSignal::new(String::new());
    let kind = RwSignal::new(ATTRIBUTE_TYPES[0].to_owned());
    let allowed = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let selects = move || kind.get().ends_with("Select");
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let label = label.get_untracked();
        let allowed_values = if kind.get_untracked().ends_with("Select") {
            allowed
                .get_untracked()
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .collect()
        } else {
            Vec::new()
        };
        let attribute = NewAttribute {
            name: name.get_untracked().trim().to_owned(),
            attribute_type: kind.get_untracked(),
            label: (!label.trim().is_empty()).then(|| label.trim().to_owned()),
            allowed_values,
        };
        spawn_local(async move {
            match api::create_attribute(&attribute).await {
                Ok(()) => {
                    name.set(String::new());
                    allowed.set(String::new());
                    attributes.refetch();
                }
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    let remove = move |name: String| {
        spawn_local(async move {
            match api::delete_attribute(&name).await {
                Ok(()) => attributes.refetch(),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    view! {
        <section class="settings-section" aria-labelledby="attributes-title">
            <h2 id="attributes-title">"Check attributes"</h2>
            <p class="hint">"Soda Core skips a whole scan whose checks use an attribute not defined here (editors define them)."</p>
            <form class="inline-form" id="new-attribute" on:submit=create>
                <label for="attribute-name">"Name"</label>
                <input id="attribute-name" required placeholder="e.g. owner" prop:value=name
                    on:input=move |ev| name.set(event_target_value(&ev)) />
                <label for="attribute-label">"Label"</label>
                <input id="attribute-label" placeholder="optional" prop:value=label
                    on:input=move |ev| label.set(event_target_value(&ev)) />
                <label for="attribute-type">"Type"</label>
                <select id="attribute-type" on:change=move |ev| kind.set(event_target_value(&ev))>
                    {ATTRIBUTE_TYPES.iter().map(|t| view! { <option value=*t>{*t}</option> }).collect_view()}
                </select>
                <Show when=selects>
                    <label for="attribute-allowed">"Allowed values"</label>
                    <input id="attribute-allowed" required placeholder="comma-separated" prop:value=allowed
                        on:input=move |ev| allowed.set(event_target_value(&ev)) />
                </Show>
                <button type="submit" disabled=move || busy.get()>"Define attribute"</button>
            </form>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <Transition fallback=|| view! { <p class="loading" aria-busy="true">"Loading attributes…"</p> }>
                {move || Suspend::new(async move {
                    match attributes.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty-state">"No attributes defined."</p> }.into_any(),
                        Ok(list) => {
                            let rows = list.into_iter().map(|a| {
                                let allowed = a.allowed_values.map(|v| v.iter().map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned)).collect::<Vec<_>>().join(", ")).unwrap_or_default();
                                let (target, row_key) = (a.name.clone(), a.name.clone());
                                let action = format!("Delete the attribute {}", a.name);
                                view! {
                                    <tr data-attribute=row_key>
                                        <td><code>{a.name}</code></td><td>{a.label}</td><td>{a.attribute_type}</td><td>{allowed}</td>
                                        <td><button type="button" class="danger delete-attribute"
                                            aria-label=action
                                            on:click=move |_| remove(target.clone())>"Delete"</button></td>
                                    </tr>
                                }
                            }).collect_view();
                            view! {
                                <div class="table-scroll">
                                    <table class="checks" id="attributes">
                                        <thead><tr><th>"Name"</th><th>"Label"</th><th>"Type"</th><th>"Allowed values"</th><th></th></tr></thead>
                                        <tbody>{rows}</tbody>
                                    </table>
                                </div>
                            }.into_any()
                        }
                        Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
