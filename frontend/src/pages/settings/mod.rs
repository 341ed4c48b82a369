//! `/settings`: display preferences (theme, time zone) for everyone; API keys (create with the
//! secret shown once and a copy button, revoke) and users (add with a role, disable) for
//! admins; check attribute definitions as Soda Core receives them (define, delete: editors).

use leptos::prelude::*;
use shared::api::{ApiError, ErrorCode, Role};

mod api_keys;
mod attributes;
mod display;
mod users;

use api_keys::ApiKeys;
use attributes::Attributes;
use display::Display;
use users::Users;

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
