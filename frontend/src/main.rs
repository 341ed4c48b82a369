//! Seltzer's dashboard, a client-side-rendered Leptos app. Where things are:
//! - `app`: the shell (navigation, footer) and the routes;
//! - `pages/`: one module per route;
//! - `api`: the single typed layer that talks to the server;
//! - `chart`: ECharts (through charming), loaded with the first chart;
//! - `prefs`: theme and time zone, and the `Time` every timestamp is shown with;
//! - `session`: who is signed in, and the gate that sends everyone else to sign in;
//! - `url`: view state kept in the URL's query string.

mod api;
mod app;
mod chart;
mod pages;
mod prefs;
mod session;
mod url;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
