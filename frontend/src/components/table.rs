use leptos::prelude::*;
use shared::api::ApiError;

use super::loaded;

/// A listed resource as a table (`id`, its `headers`), a row per item drawn by `row`, or
/// `empty` when there is none; "Loading {what}…" and errors as [`loaded`] draws them.
pub fn table_of<T, F, V>(
    what: &'static str,
    resource: LocalResource<Result<Vec<T>, ApiError>>,
    empty: &'static str,
    id: &'static str,
    headers: &'static [&'static str],
    row: F,
) -> impl IntoView
where
    T: Clone + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    loaded(what, None, resource, move |list: Vec<T>| {
        if list.is_empty() {
            return view! { <p class="empty-state">{empty}</p> }.into_any();
        }
        let rows = list.into_iter().map(row.clone()).collect_view();
        view! {
            <div class="table-scroll">
                <table class="checks" id=id>
                    <thead><tr>{headers.iter().map(|h| view! { <th>{*h}</th> }).collect_view()}</tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    })
}
