//! Seltzer's dashboard, a client-side-rendered Leptos app. Where things are:
//! - `app`: the shell (navigation, footer) and the routes;
//! - `pages/`: one module per route; `components/`: what several pages draw the same way;
//! - `api`: the single typed layer that talks to the server;
//! - `chart`: ECharts, loaded with the first chart;
//! - `prefs`: theme and time zone, and the `Time` every timestamp is shown with;
//! - `session`: who is signed in, and the gate that sends everyone else to sign in;
//! - `url`: view state kept in the URL's query string.

mod api;
mod app;
mod chart;
mod components;
mod pages;
mod prefs;
mod session;
mod url;

fn main() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show_crash_notice();
    }));
    leptos::mount::mount_to_body(app::App);
}

/// A panic stops the wasm for good (panic = abort), leaving a page that no longer reacts. The
/// likeliest cause in the field: Seltzer was upgraded while this tab was open, and a page's
/// chunk from the old build is gone. Say so, and offer the reload that fixes it. Plain DOM and a
/// plain link: no Rust code can run after this.
fn show_crash_notice() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let (Ok(notice), Some(body)) = (document.create_element("div"), document.body()) else {
        return;
    };
    notice.set_class_name("crash-notice");
    let _ = notice.set_attribute("role", "alert");
    notice.set_inner_html(
        "The dashboard stopped working (Seltzer may have been upgraded since this page was \
         opened). <a href=\"\">Reload the page</a>",
    );
    let _ = body.prepend_with_node_1(&notice);
}
