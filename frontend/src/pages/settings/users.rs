//! Users: added with a role, and disabled, by admins.

use leptos::prelude::*;
use shared::api::{NewUser, Role};

use super::{Requests, RoleSelect, forbidden_or};
use crate::api;
use crate::prefs::Time;

#[component]
pub(super) fn Users() -> impl IntoView {
    let users = LocalResource::new(api::users);
    let session = crate::session::use_session();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Viewer);
    let added = RwSignal::new(None::<String>);
    let requests = Requests::new();
    let (busy, error) = (requests.busy, requests.error);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        added.set(None);
        let user = NewUser {
            email: email.get_untracked(),
            role: role.get_untracked(),
            password: password.get_untracked(),
        };
        let role = user.role;
        requests.submit(
            async move { api::create_user(&user).await },
            move |stored_email| {
                added.set(Some(format!(
                    "{stored_email} can now sign in as {}.",
                    role.as_str()
                )));
                email.set(String::new());
                password.set(String::new());
                users.refetch();
            },
        );
    };
    let disable = move |email: String| {
        requests.act(users, async move { api::disable_user(&email).await });
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
                                    <RoleSelect id="user-role" role=role />
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
