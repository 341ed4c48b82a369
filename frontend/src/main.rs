//! Seltzer's dashboard, a client-side-rendered Leptos app. Where things are:
//! - `app`: the shell (navigation, footer) and the routes;
//! - `pages/`: one module per route;
//! - `api`: the single typed layer that talks to the server.

mod api;
mod app;
mod pages;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
