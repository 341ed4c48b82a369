//! Who is signed in, shared by every page: the `/api/auth/me` answer, the gate that sends a
//! signed-out visitor (or an expired session) to the sign-in page and back, and the header's
//! sign-out.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_location, use_navigate};
use shared::api::{ApiError, ErrorCode, Me};

use crate::api;
use crate::url::encode;

/// The signed-in person, refetched after signing in or out.
#[derive(Clone, Copy)]
pub struct Session {
    pub me: LocalResource<Result<Me, ApiError>>,
}

pub fn provide_session() {
    provide_context(Session {
        me: LocalResource::new(api::me),
    });
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// Shows `children` to a signed-in person; anyone else goes to `/signin?next=<here>`.
#[component]
pub fn SignedIn(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let location = use_location();
    view! {
        <Suspense fallback=|| view! { <p class="loading" aria-busy="true">"Loading…"</p> }>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    match session.me.await {
                        Ok(_) => children().into_any(),
                        Err(e) if e.code == ErrorCode::Unauthorized => {
                            // `search` comes without its `?`.
                            let search = location.search.get_untracked();
                            let here = if search.is_empty() {
                                location.pathname.get_untracked()
                            } else {
                                format!("{}?{}", location.pathname.get_untracked(), search.trim_start_matches('?'))
                            };
                            let to = format!("/signin?next={}", encode(&here));
                            view! { <Redirect path=to /> }.into_any()
                        }
                        Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// The header's corner: who is signed in, and a sign-out button.
#[component]
pub fn UserMenu() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let sign_out = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            let _ = api::logout().await;
            session.me.refetch();
            navigate("/signin", Default::default());
        });
    };
    view! {
        <Transition fallback=|| ()>
            {move || {
                let sign_out = sign_out.clone();
                Suspend::new(async move {
                match session.me.await {
                    Ok(me) => {
                        let who = me.email.or(me.api_key_id).unwrap_or_default();
                        view! {
                            <div class="user-menu">
                                <span id="signed-in-as" title=format!("role: {}", me.role.as_str())>{who}</span>
                                <button type="button" class="link-button" on:click=sign_out.clone()>"Sign out"</button>
                            </div>
                        }
                        .into_any()
                    }
                    Err(_) => ().into_any(),
                }
            })
            }}
        </Transition>
    }
}
