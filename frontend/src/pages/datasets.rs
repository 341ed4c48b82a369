//! `/datasets`: Datasets.

use leptos::prelude::*;

#[component]
pub fn DatasetsPage() -> impl IntoView {
    view! {
        <h1>"Datasets"</h1>
        <p class="empty-state">"Datasets and their status will appear here after the first scan."</p>
    }
}
