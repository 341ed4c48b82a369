//! Any route the dashboard does not know.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    let location = use_location();
    view! {
        <h1>"Page not found"</h1>
        <p>"There is no page at " <code>{move || location.pathname.get()}</code> ". "
            <a href="/">"Go to the checks"</a></p>
    }
}
