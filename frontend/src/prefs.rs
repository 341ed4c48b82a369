//! The viewer's display preferences, kept in the browser (localStorage) and applied everywhere:
//! the colour theme (system, light or dark) and whether times show in UTC or the browser's zone.
//! `Time` is the one way a timestamp is shown: short text, the absolute UTC time on hover.

use leptos::prelude::*;
use wasm_bindgen::JsValue;

const THEME_KEY: &str = "seltzer.theme";
const ZONE_KEY: &str = "seltzer.timeZone";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ThemeChoice {
    System,
    Light,
    Dark,
}

impl ThemeChoice {
    fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "light" => Self::Light,
            "dark" => Self::Dark,
            _ => Self::System,
        }
    }
}

#[derive(Clone, Copy)]
pub struct Prefs {
    pub theme: RwSignal<ThemeChoice>,
    /// True: show times in UTC; false: in the browser's time zone.
    pub utc: RwSignal<bool>,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn stored(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

fn store(key: &str, value: &str) {
    if let Some(s) = storage() {
        // A full or disabled storage only means the choice is not remembered.
        let _ = s.set_item(key, value);
    }
}

/// Reads the stored choices, applies the theme to `<html data-theme>`, and keeps both stored.
pub fn provide_prefs() {
    let theme = RwSignal::new(ThemeChoice::parse(&stored(THEME_KEY).unwrap_or_default()));
    let utc = RwSignal::new(stored(ZONE_KEY).as_deref() != Some("local"));
    Effect::new(move || {
        let choice = theme.get();
        store(THEME_KEY, choice.as_str());
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = match choice {
                ThemeChoice::System => root.remove_attribute("data-theme"),
                other => root.set_attribute("data-theme", other.as_str()),
            };
        }
    });
    Effect::new(move || store(ZONE_KEY, if utc.get() { "utc" } else { "local" }));
    provide_context(Prefs { theme, utc });
}

pub fn use_prefs() -> Prefs {
    expect_context::<Prefs>()
}

/// Whether the page is dark now (the chosen theme, or the system's when none is chosen).
pub fn is_dark(choice: ThemeChoice) -> bool {
    match choice {
        ThemeChoice::Dark => true,
        ThemeChoice::Light => false,
        ThemeChoice::System => web_sys::window()
            .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
            .is_some_and(|m| m.matches()),
    }
}

/// `2026-11-23T04:23:08Z` → `2026-11-23 04:23 UTC`, or in the browser's zone
/// (`2026-11-23 05:23 UTC+1`).
pub fn format_time(ts: &str, utc: bool) -> String {
    if utc {
        return match (ts.get(..10), ts.get(11..16)) {
            (Some(date), Some(time)) => format!("{date} {time} UTC"),
            _ => ts.to_owned(),
        };
    }
    let date = js_sys::Date::new(&JsValue::from_str(ts));
    if date.get_time().is_nan() {
        return ts.to_owned();
    }
    let offset = -date.get_timezone_offset();
    let zone = if offset == 0.0 {
        "UTC".to_owned()
    } else {
        let (h, m) = ((offset.abs() / 60.0).trunc(), offset.abs() % 60.0);
        let sign = if offset > 0.0 { '+' } else { '-' };
        if m == 0.0 {
            format!("UTC{sign}{h}")
        } else {
            format!("UTC{sign}{h}:{m:02}")
        }
    };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} {zone}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes()
    )
}

/// A timestamp as the viewer chose to see it; hovering shows the exact UTC time.
#[component]
pub fn Time(#[prop(into)] ts: Option<String>) -> impl IntoView {
    let prefs = use_prefs();
    let shown = ts.clone();
    view! {
        <time datetime=ts.clone() title=ts>
            {move || shown.as_deref().map(|t| format_time(t, prefs.utc.get())).unwrap_or_default()}
        </time>
    }
}

/// The header's switches: theme and time zone.
#[component]
pub fn PrefsMenu() -> impl IntoView {
    let prefs = use_prefs();
    let next_theme = move || match prefs.theme.get() {
        ThemeChoice::System => ThemeChoice::Light,
        ThemeChoice::Light => ThemeChoice::Dark,
        ThemeChoice::Dark => ThemeChoice::System,
    };
    view! {
        <div class="prefs-menu">
            <button type="button" class="link-button" id="theme-toggle"
                title="Colour theme: system, light or dark"
                on:click=move |_| prefs.theme.set(next_theme())>
                {move || match prefs.theme.get() {
                    ThemeChoice::System => "◐ System",
                    ThemeChoice::Light => "☀ Light",
                    ThemeChoice::Dark => "☾ Dark",
                }}
            </button>
            <button type="button" class="link-button" id="zone-toggle"
                title="Show times in UTC or in this browser's time zone"
                on:click=move |_| prefs.utc.update(|u| *u = !*u)>
                {move || if prefs.utc.get() { "UTC" } else { "Local time" }}
            </button>
        </div>
    }
}
