use leptos::prelude::*;
use shared::api::ApiError;

/// `resource` drawn by `show` once it arrives, "Loading {what}…" until then, and its error as
/// an alert (under `heading`, for a page that has no other). When the resource loads again the
/// old view stays until the new one is ready.
pub fn loaded<T, F>(
    what: &'static str,
    heading: Option<&'static str>,
    resource: LocalResource<Result<T, ApiError>>,
    show: F,
) -> impl IntoView
where
    T: Clone + 'static,
    F: Fn(T) -> AnyView + Clone + Send + Sync + 'static,
{
    view! {
        <Transition fallback=move || view! { <p class="loading" aria-busy="true">{format!("Loading {what}…")}</p> }>
            {move || {
                let show = show.clone();
                Suspend::new(async move {
                    match resource.await {
                        Ok(value) => show(value),
                        Err(e) => view! {
                            {heading.map(|h| view! { <h1>{h}</h1> })}
                            <p class="error" role="alert">{e.message}</p>
                        }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}
