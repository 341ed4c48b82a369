//! `/scans`: Scans.

use leptos::prelude::*;

#[component]
pub fn ScansPage() -> impl IntoView {
    view! {
        <h1>"Scans"</h1>
        <p class="empty-state">"Scans and their logs will appear here after the first scan."</p>
    }
}
