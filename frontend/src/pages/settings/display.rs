//! Theme and time zone, for everyone (kept in this browser).

use leptos::prelude::*;

use crate::prefs::{ThemeChoice, use_prefs};

#[component]
pub(super) fn Display() -> impl IntoView {
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
