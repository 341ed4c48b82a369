use leptos::prelude::*;

/// How many pages `total` items fill at `size` a page (at least one).
pub fn page_count(total: i64, size: i64) -> i64 {
    ((total + size - 1) / size.max(1)).max(1)
}

/// "← Previous · Page n of m · Next →" under a paged list; `href` links to a page (from 0).
pub fn pager(page: i64, pages: i64, href: impl Fn(i64) -> String) -> impl IntoView {
    let link = |target: i64, label: &'static str, enabled: bool| {
        if enabled {
            view! { <a class="page-link" href=href(target)>{label}</a> }.into_any()
        } else {
            view! { <span class="page-link disabled" aria-disabled="true">{label}</span> }
                .into_any()
        }
    };
    view! {
        <nav class="pager" aria-label="Pages">
            {link(page - 1, "← Previous", page > 0)}
            <span>{format!("Page {} of {pages}", page + 1)}</span>
            {link(page + 1, "Next →", page + 1 < pages)}
        </nav>
    }
}
