//! The application shell: header with navigation, the routed page, and a footer that shows
//! which server version and database the dashboard talks to.

use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;

use crate::api;
use crate::pages::{
    check::CheckPage, checks::ChecksPage, dataset::DatasetPage, datasets::DatasetsPage,
    editor::EditorPage, not_found::NotFoundPage, scan::ScanPage, scans::ScansPage,
    settings::SettingsPage, signin::SignInPage,
};
use crate::prefs::{PrefsMenu, provide_prefs};
use crate::session::{SignedIn, UserMenu, provide_session};

#[component]
pub fn App() -> impl IntoView {
    provide_session();
    provide_prefs();
    view! {
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <header class="app-header">
                <a class="brand" href="/">"Seltzer"</a>
                <nav aria-label="Main">
                    <A href="/" exact=true>"Checks"</A>
                    <A href="/datasets">"Datasets"</A>
                    <A href="/scans">"Scans"</A>
                    <A href="/editor">"Editor"</A>
                    <A href="/settings">"Settings"</A>
                </nav>
                <PrefsMenu />
                <UserMenu />
            </header>
            <main id="main">
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/signin") view=SignInPage />
                    <Route path=path!("/") view=|| view! { <SignedIn><ChecksPage /></SignedIn> } />
                    <Route path=path!("/checks/:id") view=|| view! { <SignedIn><CheckPage /></SignedIn> } />
                    <Route path=path!("/datasets") view=|| view! { <SignedIn><DatasetsPage /></SignedIn> } />
                    <Route path=path!("/datasets/:id") view=|| view! { <SignedIn><DatasetPage /></SignedIn> } />
                    <Route path=path!("/scans") view=|| view! { <SignedIn><ScansPage /></SignedIn> } />
                    <Route path=path!("/scans/:id") view=|| view! { <SignedIn><ScanPage /></SignedIn> } />
                    <Route path=path!("/editor") view=|| view! { <SignedIn><EditorPage /></SignedIn> } />
                    <Route path=path!("/settings") view=|| view! { <SignedIn><SettingsPage /></SignedIn> } />
                </Routes>
            </main>
            <ServerStatus />
        </Router>
    }
}

/// The footer: version and engine from `/api/health`, or why the server cannot be reached.
#[component]
fn ServerStatus() -> impl IntoView {
    let health = LocalResource::new(api::health);
    view! {
        <footer class="app-footer">
            <Suspense fallback=|| view! { <span>"Connecting…"</span> }>
                {move || Suspend::new(async move {
                    match health.await {
                        Ok(h) => view! {
                            <span id="server-status" data-status="ok">
                                {format!("Seltzer {} · {}", h.version, h.database.as_str())}
                            </span>
                        }
                        .into_any(),
                        Err(e) => view! {
                            <span id="server-status" data-status="error" role="alert">
                                {e.message}
                            </span>
                        }
                        .into_any(),
                    }
                })}
            </Suspense>
        </footer>
    }
}
