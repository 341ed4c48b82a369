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

/// Values as a person reads them: integers without decimals, others with up to 4.
pub fn format_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}
