use leptos::prelude::*;
use shared::api::{CheckOutcome, OutcomeCounts};

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

/// Checks by outcome in a table cell: fail, warn, pass, not evaluated, each with its symbol.
pub fn outcome_counts_cell(c: OutcomeCounts) -> impl IntoView {
    view! {
        <td class="outcome-counts">
            <span class="outcome-fail" title="fail">{format!("✕ {}", c.fail)}</span>" "
            <span class="outcome-warn" title="warn">{format!("! {}", c.warn)}</span>" "
            <span class="outcome-pass" title="pass">{format!("✓ {}", c.pass)}</span>" "
            <span class="outcome-not-evaluated" title="not evaluated">{format!("– {}", c.not_evaluated)}</span>
        </td>
    }
}
