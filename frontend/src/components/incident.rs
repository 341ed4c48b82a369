use leptos::prelude::*;

/// A link to the newest open incident, with how many more there are; nothing without one.
pub fn incident_badge(open: &[i64]) -> impl IntoView + use<> {
    open.first().map(|id| {
        let more = match open.len() {
            1 => String::new(),
            n => format!(" +{}", n - 1),
        };
        view! {
            <a class="incident-badge" href=format!("/incidents/{id}") title="An open incident">
                {format!("Incident #{id}{more}")}
            </a>
        }
    })
}
