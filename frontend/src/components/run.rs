use leptos::prelude::*;
use shared::api::RunState;

/// A run's state as a symbol and words, in the colour of the outcome it stands for.
pub fn run_state_badge(state: RunState) -> impl IntoView {
    let (class, symbol, words) = match state {
        RunState::Queuing => ("not-evaluated", "…", "queued"),
        RunState::Executing => ("not-evaluated", "▶", "running"),
        RunState::CancelationRequested => ("not-evaluated", "■", "canceling"),
        RunState::Canceled => ("not-evaluated", "■", "canceled"),
        RunState::TimedOut => ("fail", "⏱", "timed out"),
        RunState::Failed => ("fail", "✕", "failed"),
        RunState::Skipped => ("not-evaluated", "⏸", "skipped"),
        RunState::CompletedWithErrors => ("fail", "✕", "completed with errors"),
        RunState::CompletedWithFailures => ("fail", "✕", "completed with failures"),
        RunState::CompletedWithWarnings => ("warn", "!", "completed with warnings"),
        RunState::Completed => ("pass", "✓", "completed"),
    };
    view! {
        <span class=format!("outcome outcome-{class} run-state") data-state=state.as_str()>
            <span aria-hidden="true">{symbol}</span>" "{words}
        </span>
    }
}
