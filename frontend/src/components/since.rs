use leptos::prelude::*;
use shared::api::{CheckListItem, CheckOutcome, FLAPPING_FLIPS};

use crate::prefs::Time;

/// "6 results in a row" (a run of one: "1 result").
pub fn streak_words(streak: i64) -> String {
    match streak {
        1 => "1 result".to_owned(),
        n => format!("{n} results in a row"),
    }
}

/// The state a run of results is in, as the start of "… since".
pub fn state_word(outcome: Option<CheckOutcome>) -> &'static str {
    match outcome {
        Some(CheckOutcome::Pass) => "Passing",
        Some(CheckOutcome::Warn) => "Warning",
        Some(CheckOutcome::Fail) => "Failing",
        None => "Not evaluated",
    }
}

/// Whether the outcome changes often enough to call the check flapping.
pub fn is_flapping(item: &CheckListItem) -> bool {
    item.recent_flips >= FLAPPING_FLIPS
}

/// "changed 5 times in its last 20 results".
pub fn flips_words(flips: i64) -> String {
    match flips {
        0 => "the same outcome in its last 20 results".to_owned(),
        1 => "changed once in its last 20 results".to_owned(),
        n => format!("changed {n} times in its last 20 results"),
    }
}

/// The checks list's cell: since when, how many in a row, and a flapping mark.
pub fn since_cell(item: &CheckListItem) -> impl IntoView + use<> {
    let flapping = is_flapping(item).then(|| {
        let title = format!("Flapping: {}", flips_words(item.recent_flips));
        view! { <span class="flapping" title=title>"⇄ flapping"</span> }
    });
    let streak = (item.streak > 0).then(|| format!(" · {}", streak_words(item.streak)));
    view! {
        <Time ts=item.outcome_since.clone() />
        <span class="streak">{streak}</span>
        {flapping}
    }
}

/// The check page's sentence: "Failing since 26 Nov 2026, 6 results in a row. Last passed
/// 25 Nov 2026. Flapping: changed 5 times in its last 20 results."
#[component]
pub fn SinceSummary(item: CheckListItem) -> impl IntoView {
    if item.streak == 0 {
        return view! { <p class="since" id="since">"No results yet."</p> }.into_any();
    }
    let flips = if is_flapping(&item) {
        format!(" Flapping: {}.", flips_words(item.recent_flips))
    } else if item.recent_flips > 0 {
        format!(" Its outcome {}.", flips_words(item.recent_flips))
    } else {
        String::new()
    };
    let last_pass = match (item.outcome, item.last_passed) {
        (Some(CheckOutcome::Pass), _) => None,
        (_, Some(at)) => Some(view! { " Last passed " <Time ts=Some(at) />"." }.into_any()),
        (_, None) => Some(view! { " It has never passed." }.into_any()),
    };
    view! {
        <p class="since" id="since" data-streak=item.streak data-flips=item.recent_flips>
            {state_word(item.outcome)}" since " <Time ts=item.outcome_since />
            {format!(", {}.", streak_words(item.streak))}
            {last_pass}
            {flips}
        </p>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_and_changes_read_as_words() {
        assert_eq!(streak_words(1), "1 result");
        assert_eq!(streak_words(6), "6 results in a row");
        assert_eq!(state_word(Some(CheckOutcome::Fail)), "Failing");
        assert_eq!(state_word(None), "Not evaluated");
        assert_eq!(flips_words(1), "changed once in its last 20 results");
        assert_eq!(flips_words(5), "changed 5 times in its last 20 results");
    }
}
