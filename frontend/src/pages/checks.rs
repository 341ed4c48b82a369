//! `/`: the check results. Until scan results arrive, it explains how to point Soda Core here.

use leptos::prelude::*;

#[component]
pub fn ChecksPage() -> impl IntoView {
    let (host, port, scheme) = server_address();
    let snippet = format!(
        "soda_cloud:\n  host: {host}\n  port: {port}\n  scheme: {scheme}\n  api_key_id: <key id>\n  api_key_secret: <key secret>\n"
    );
    view! {
        <h1>"Checks"</h1>
        <section class="empty-state">
            <h2>"No scan results yet"</h2>
            <p>
                "Point Soda Core at Seltzer: add this to your Soda configuration file and run "
                <code>"soda scan"</code> " as usual."
            </p>
            <pre class="snippet"><code>{snippet}</code></pre>
        </section>
    }
}

/// Host, port and scheme of this Seltzer as the browser sees it, for the configuration snippet.
fn server_address() -> (String, String, String) {
    let location = web_sys::window().map(|w| w.location());
    let get = |f: fn(&web_sys::Location) -> Result<String, wasm_bindgen::JsValue>| {
        location
            .as_ref()
            .and_then(|l| f(l).ok())
            .unwrap_or_default()
    };
    let scheme = get(web_sys::Location::protocol)
        .trim_end_matches(':')
        .to_owned();
    let port = match get(web_sys::Location::port) {
        p if !p.is_empty() => p,
        _ if scheme == "https" => "443".to_owned(),
        _ => "80".to_owned(),
    };
    (get(web_sys::Location::hostname), port, scheme)
}
