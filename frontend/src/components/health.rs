use leptos::prelude::*;
use shared::api::{DatasetHealth, OutcomeCounts};

/// A dataset's health as a symbol and words, so it reads without colour: a failed scan (a link
/// to it when known), failing or warning checks with their number, healthy, or not scanned.
pub fn health_badge(health: DatasetHealth, counts: &OutcomeCounts, scan: Option<i64>) -> AnyView {
    match (health, scan) {
        (DatasetHealth::ScanFailed, Some(scan)) => view! {
            <a class="status status-failed" href=format!("/scans/{scan}")
                title="The latest scan of this dataset failed: its checks may be stale. Open the scan's logs.">
                <span aria-hidden="true">"⚠ "</span>"Scan failed"
            </a>
        }
        .into_any(),
        (DatasetHealth::ScanFailed, None) => {
            view! { <span class="status status-failed">"⚠ Scan failed"</span> }.into_any()
        }
        (DatasetHealth::Failing, _) => view! {
            <span class="status status-failing"><span aria-hidden="true">"✕ "</span>
                {format!("{} failing", counts.fail)}</span>
        }
        .into_any(),
        (DatasetHealth::Warning, _) => view! {
            <span class="status status-warning"><span aria-hidden="true">"! "</span>
                {format!("{} warning", counts.warn)}</span>
        }
        .into_any(),
        (DatasetHealth::Healthy, _) => view! {
            <span class="status status-ok"><span aria-hidden="true">"✓ "</span>"Healthy"</span>
        }
        .into_any(),
        (DatasetHealth::NotScanned, _) => view! {
            <span class="status"><span aria-hidden="true">"– "</span>"Not scanned"</span>
        }
        .into_any(),
    }
}
