//! `/signin`: email and password; afterwards back to where the visitor was going (`next`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api;
use crate::session::use_session;

/// Whether `next` is a path of this dashboard, so signing in never sends anyone to another
/// site. Browsers read `\\` as `/` and drop tabs and newlines from URLs, so `/\\evil.example`
/// and `/<tab>/evil.example` both mean `//evil.example` (another host): any backslash or
/// control character is refused along with `//`. (Spaces are fine: `?search=a b`.)
pub fn is_dashboard_path(next: &str) -> bool {
    next.starts_with('/')
        && !next.starts_with("//")
        && !next.chars().any(|c| c == '\\' || c.is_control())
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let navigate = use_navigate();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let navigate = navigate.clone();
        let next = query
            .get_untracked()
            .get("next")
            .filter(|n| is_dashboard_path(n))
            .unwrap_or_else(|| "/".to_owned());
        spawn_local(async move {
            match api::login(email.get_untracked(), password.get_untracked()).await {
                Ok(_) => {
                    session.me.refetch();
                    navigate(
                        &next,
                        NavigateOptions {
                            replace: true,
                            ..Default::default()
                        },
                    );
                }
                Err(e) => {
                    error.set(Some(e.message));
                    busy.set(false);
                }
            }
        });
    };

    view! {
        <section class="signin">
            <h1>"Sign in"</h1>
            <form on:submit=submit aria-describedby="signin-error">
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required
                    prop:value=email on:input=move |ev| email.set(event_target_value(&ev)) />
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required
                    prop:value=password on:input=move |ev| password.set(event_target_value(&ev)) />
                <button type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Signing in…" } else { "Sign in" }}
                </button>
                <p id="signin-error" class="error" role="alert">{move || error.get()}</p>
            </form>
            <p class="hint">
                "No account yet? An administrator creates one with "
                <code>"seltzer user create --email … --role viewer"</code> "."
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::is_dashboard_path;

    #[test]
    fn only_paths_of_this_dashboard_are_followed_after_sign_in() {
        for ok in [
            "/",
            "/checks/3",
            "/scans?failed=true",
            "/datasets/1#x",
            "/%09/x",
        ] {
            assert!(is_dashboard_path(ok), "{ok}");
        }
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r//evil.example",
            "https://evil.example",
            "evil.example",
            "javascript:alert(1)",
            "",
        ] {
            assert!(!is_dashboard_path(bad), "{bad:?}");
        }
    }
}
