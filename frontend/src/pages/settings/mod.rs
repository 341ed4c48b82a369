//! `/settings`: display preferences (theme, time zone) for everyone; API keys (create with the
//! secret shown once and a copy button, revoke) and users (add with a role, disable) for
//! admins; check attribute definitions as Soda Core receives them (define, delete: editors);
//! notification channels, rules and the delivery log; data sources and secrets for runs, and
//! the agents that run scans near the data.

use std::future::Future;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{ApiError, ErrorCode, Role};

mod agents;
mod api_keys;
mod attributes;
mod data_sources;
mod display;
mod notifications;
mod users;

use agents::Agents;
use api_keys::ApiKeys;
use attributes::Attributes;
use data_sources::DataSources;
use display::Display;
use notifications::Notifications;
use users::Users;

#[component]
pub fn SettingsPage() -> impl IntoView {
    // Shared: a new agent is offered in the data source form, a new data source listed with
    // its agent.
    let agents = LocalResource::new(crate::api::agents);
    view! {
        <h1>"Settings"</h1>
        <Display />
        <ApiKeys />
        <Users />
        <Attributes />
        <Notifications />
        <DataSources agents=agents />
        <Agents agents=agents />
    }
}

fn forbidden_or(e: &ApiError, what: &str) -> String {
    if e.code == ErrorCode::Forbidden {
        format!("Only admins manage {what}.")
    } else {
        e.message.clone()
    }
}

/// A role picker; its value goes to `role`.
#[component]
fn RoleSelect(id: &'static str, role: RwSignal<Role>) -> impl IntoView {
    view! {
        <select id=id on:change=move |ev| role.set(Role::parse(&event_target_value(&ev)).unwrap_or(Role::Viewer))>
            <option value="viewer">"viewer"</option>
            <option value="editor">"editor"</option>
            <option value="admin">"admin"</option>
        </select>
    }
}

/// "warehouse, sales_db" → the names, without blanks.
fn comma_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A panel's requests: one form submission at a time (`busy` disables its button), and the
/// error of the last request shown above the list.
#[derive(Clone, Copy)]
struct Requests {
    busy: RwSignal<bool>,
    error: RwSignal<Option<String>>,
}

impl Requests {
    fn new() -> Self {
        Self {
            busy: RwSignal::new(false),
            error: RwSignal::new(None),
        }
    }

    /// Sends a form's request unless one is under way; `done` gets the answer.
    fn submit<T: 'static>(
        self,
        request: impl Future<Output = Result<T, ApiError>> + 'static,
        done: impl FnOnce(T) + 'static,
    ) {
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        self.error.set(None);
        spawn_local(async move {
            match request.await {
                Ok(answer) => done(answer),
                Err(e) => self.error.set(Some(e.message)),
            }
            self.busy.set(false);
        });
    }

    /// A row's action (revoke, disable, delete): `list` reloads after it.
    fn act<T: 'static>(
        self,
        list: LocalResource<T>,
        request: impl Future<Output = Result<(), ApiError>> + 'static,
    ) {
        spawn_local(async move {
            match request.await {
                Ok(()) => list.refetch(),
                Err(e) => self.error.set(Some(e.message)),
            }
        });
    }
}
