use shared::api::{CheckOutcome, RuleDefinition, RuleMode};

/// "fail and warn · on change, with recovery · orders, checks row_count*".
pub fn rule_summary(r: &RuleDefinition) -> String {
    let outcomes = if r.outcomes.contains(&CheckOutcome::Warn) {
        "fail and warn"
    } else {
        "fail"
    };
    let mut parts = vec![outcomes.to_owned()];
    parts.push(match (r.mode, r.recovery) {
        (RuleMode::EveryResult, _) => "every result".to_owned(),
        (RuleMode::OnChange, true) => "on change, with recovery".to_owned(),
        (RuleMode::OnChange, false) => "on change".to_owned(),
    });
    if r.suppress_minutes > 0 {
        parts.push(format!("at most once in {} min", r.suppress_minutes));
    }
    if r.scan_failures {
        parts.push("scan failures".to_owned());
    }
    if let Some(hours) = r.no_scan_hours {
        parts.push(format!("no scan for {hours} h"));
    }
    if let Some(minutes) = r.late_run_minutes {
        parts.push(format!("scheduled runs late by {minutes} min"));
    }
    if let Some(i) = r.incidents {
        let resolve = if i.resolve_on_recovery {
            ", resolved on recovery"
        } else {
            ""
        };
        parts.push(format!("opens {} incidents{resolve}", i.severity.as_str()));
    }
    let f = &r.filter;
    let mut scope: Vec<String> = [&f.data_source, &f.dataset, &f.check_name]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    scope.extend(f.attributes.iter().map(|(k, v)| format!("{k}={v}")));
    parts.push(if scope.is_empty() {
        "all checks".to_owned()
    } else {
        scope.join(", ")
    });
    parts.join(" · ")
}
