//! `/settings`: Settings.

use leptos::prelude::*;

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <h1>"Settings"</h1>
        <p class="empty-state">"API keys, users and check attributes are managed here."</p>
    }
}
