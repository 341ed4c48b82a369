//! The application shell: header with navigation, the routed page, and a footer that shows
//! which server version and database the dashboard talks to.

use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::{Lazy, LazyRoute, lazy_route, path};

use crate::api;
use crate::pages::{
    check::CheckPage, checks::ChecksPage, dataset::DatasetPage, datasets::DatasetsPage,
    editor::EditorPage, incident::IncidentPage, incidents::IncidentsPage, not_found::NotFoundPage,
    runs::RunsPage, scan::ScanPage, scan_definition::ScanDefinitionPage, scan_run::ScanRunPage,
    scans::ScansPage, settings::SettingsPage, signin::SignInPage,
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
                    <A href="/runs">"Runs"</A>
                    <A href="/incidents">"Incidents"</A>
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
                    // People type /checks for the list whose pages are /checks/{id}.
                    <Route path=path!("/checks") view=|| view! { <SignedIn><ChecksPage /></SignedIn> } />
                    <Route path=path!("/checks/:id") view={Lazy::<CheckRoute>::new()} />
                    <Route path=path!("/datasets") view={Lazy::<DatasetsRoute>::new()} />
                    <Route path=path!("/datasets/:id") view={Lazy::<DatasetRoute>::new()} />
                    <Route path=path!("/scans") view={Lazy::<ScansRoute>::new()} />
                    <Route path=path!("/scans/:id") view={Lazy::<ScanRoute>::new()} />
                    <Route path=path!("/runs") view={Lazy::<RunsRoute>::new()} />
                    <Route path=path!("/runs/:id") view={Lazy::<ScanRunRoute>::new()} />
                    <Route path=path!("/scan-definitions/:name") view={Lazy::<ScanDefinitionRoute>::new()} />
                    <Route path=path!("/incidents") view={Lazy::<IncidentsRoute>::new()} />
                    <Route path=path!("/incidents/:id") view={Lazy::<IncidentRoute>::new()} />
                    <Route path=path!("/editor") view={Lazy::<EditorRoute>::new()} />
                    <Route path=path!("/settings") view={Lazy::<SettingsRoute>::new()} />
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

/// Every page but the checks list (where most visits start) and sign-in is split into its own
/// wasm chunk by `scripts/build-app.sh` and fetched when first visited: the first load carries
/// only the shell and the checks page (the 300 KB budget). `lazy_pages!` declares one
/// `LazyRoute` per page; each page still sits behind the sign-in gate.
macro_rules! lazy_pages {
    ($($route:ident => $page:ident),* $(,)?) => {$(
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                view! { <SignedIn><$page /></SignedIn> }.into_any()
            }
        }
    )*};
}

lazy_pages! {
    CheckRoute => CheckPage,
    DatasetsRoute => DatasetsPage,
    DatasetRoute => DatasetPage,
    ScansRoute => ScansPage,
    ScanRoute => ScanPage,
    RunsRoute => RunsPage,
    ScanRunRoute => ScanRunPage,
    ScanDefinitionRoute => ScanDefinitionPage,
    IncidentsRoute => IncidentsPage,
    IncidentRoute => IncidentPage,
    EditorRoute => EditorPage,
    SettingsRoute => SettingsPage,
}
