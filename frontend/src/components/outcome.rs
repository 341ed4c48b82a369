use leptos::prelude::*;
use shared::api::CheckOutcome;

/// The outcome as a symbol and a word, so it reads without colour.
pub fn outcome_badge(outcome: Option<CheckOutcome>) -> impl IntoView {
    let (class, symbol, word) = match outcome {
        Some(CheckOutcome::Pass) => ("pass", "✓", "pass"),
        Some(CheckOutcome::Warn) => ("warn", "!", "warn"),
        Some(CheckOutcome::Fail) => ("fail", "✕", "fail"),
        None => ("not-evaluated", "–", "not evaluated"),
    };
    view! {
        <span class=format!("outcome outcome-{class}")>
            <span aria-hidden="true">{symbol}</span>" "{word}
        </span>
    }
}
