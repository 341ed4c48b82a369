//! `/editor`: Checks editor.

use leptos::prelude::*;

#[component]
pub fn EditorPage() -> impl IntoView {
    view! {
        <h1>"Checks editor"</h1>
        <p class="empty-state">"Paste a checks YAML file to validate it in the browser."</p>
    }
}
