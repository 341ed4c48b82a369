//! What a stored scan tells: the rules decided in the scan's own transaction, one delivery per
//! channel written with it.

use super::*;

/// Decides which of a stored scan's results the rules notify about, updates what each rule
/// last told about each check, and writes one delivery per channel listing them (the scan's
/// transaction, so the messages exist exactly when the scan does). Only results that are now
/// their check's latest count: a backfill of old history notifies no one.
pub(in crate::storage) async fn enqueue_for_scan(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    engine: shared::api::DatabaseEngine,
    scan_id: i64,
    doc: &ScanResults,
) -> Result<(), StorageError> {
    let rules: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, definition FROM notification_rules WHERE paused = 0")
            .fetch_all(&mut **tx)
            .await?;
    if rules.is_empty() {
        return Ok(());
    }
    let rules: Vec<(i64, RuleDefinition)> = rules
        .into_iter()
        .filter_map(|(id, d)| Some((id, serde_json::from_str(&d).ok()?)))
        .collect();
    // Only results a rule can tell about are read: outcomes some rule sends, and, where an
    // `onChange` rule has told about a check, whatever it has now (a recovery, or a state to
    // forget). Most results of most scans pass; reading them all, with their definitions and
    // diagnostics, was most of what rules cost ingest.
    let mut outcomes: Vec<&str> = rules
        .iter()
        .flat_map(|(_, r)| r.outcomes.iter().map(|o| o.as_str()))
        .collect();
    outcomes.sort_unstable();
    outcomes.dedup();
    let listed = outcomes
        .iter()
        .map(|o| format!("'{o}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let told_checks = if rules.iter().any(|(_, r)| r.mode == RuleMode::OnChange) {
        " OR c.id IN (SELECT check_id FROM notification_states \
         WHERE notified_outcome IS NOT NULL)"
    } else {
        ""
    };
    // Rules that run incidents also read the passes of checks with an open incident.
    let runs_incidents = rules.iter().any(|(_, r)| r.incidents.is_some());
    let incident_checks = if runs_incidents {
        " OR c.id IN (SELECT l.check_id FROM incident_results l \
         JOIN incidents i ON i.id = l.incident_id WHERE i.status <> 'resolved')"
    } else {
        ""
    };
    let attributes = if rules.iter().any(|(_, r)| !r.filter.attributes.is_empty()) {
        "c.attributes"
    } else {
        "'[]'"
    };
    let sql = format!(
        "SELECT c.id, r.id, r.name, c.dataset_id, d.name, s.name, c.column_name, r.outcome, \
         r.value, {attributes} FROM check_results r \
         JOIN checks c ON c.id = r.check_id JOIN data_sources s ON s.id = c.data_source_id \
         LEFT JOIN datasets d ON d.id = c.dataset_id \
         WHERE r.scan_id = $1 AND c.latest_result_id = r.id \
         AND (r.outcome IN ({listed}){told_checks}{incident_checks}) ORDER BY r.id"
    );
    let rows = crate::storage::batch::query(sql)
        .bind(scan_id)
        .fetch_all(&mut **tx)
        .await?;
    // Only `onChange` and suppression read what was told about each check.
    let remembers =
        |rule: &RuleDefinition| rule.mode == RuleMode::OnChange || rule.suppress_minutes > 0;
    let states: Vec<(i64, i64, Option<String>, i64)> =
        if !rows.is_empty() && rules.iter().any(|(_, r)| remembers(r)) {
            sqlx::query_as(
                "SELECT rule_id, check_id, notified_outcome, notified_at \
                 FROM notification_states \
                 WHERE check_id IN (SELECT check_id FROM check_results WHERE scan_id = $1)",
            )
            .bind(scan_id)
            .fetch_all(&mut **tx)
            .await?
        } else {
            Vec::new()
        };
    let mut told: HashMap<(i64, i64), Told> = states
        .into_iter()
        .map(|(rule, check, outcome, at)| ((rule, check), Told { outcome, at }))
        .collect();

    let now = timestamp::now();
    // Per channel: the checks to list (once each, whichever rules matched) and whether to
    // tell that the scan failed.
    let mut per_channel: BTreeMap<i64, (BTreeMap<i64, CheckNotice>, bool)> = BTreeMap::new();
    let mut changed_states: Vec<((i64, i64), Told)> = Vec::new();
    let mut incident_notices = Vec::new();
    for row in &rows {
        let notice = check_notice(row)?;
        if runs_incidents {
            incident_notices.push(notice.clone());
        }
        let Some(outcome) = notice.outcome else {
            continue;
        };
        for (rule_id, rule) in &rules {
            let facts = CheckFacts {
                name: &notice.name,
                dataset: notice.dataset.as_deref(),
                data_source: &notice.data_source,
                attributes: &notice.attributes,
            };
            if !rule.filter.matches(&facts) {
                continue;
            }
            let key = (*rule_id, notice.check_id);
            let before = told.get(&key).cloned();
            let Some((send, recovered, now_told)) = decide(rule, outcome, before.as_ref(), now)
            else {
                continue;
            };
            // An `everyResult` rule without suppression writes nothing per check.
            if let Some(state) = now_told.filter(|_| remembers(rule)) {
                told.insert(key, state.clone());
                changed_states.push((key, state));
            }
            if send {
                for channel in &rule.channel_ids {
                    let (checks, _) = per_channel.entry(*channel).or_default();
                    let entry = checks
                        .entry(notice.check_id)
                        .or_insert_with(|| notice.clone());
                    entry.recovered = recovered;
                }
            }
        }
    }
    if runs_incidents {
        incident_rules::run_incident_rules(tx, &rules, &incident_notices).await?;
    }
    if doc.failed() {
        for (_, rule) in &rules {
            let source_matches = rule
                .filter
                .data_source
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case(&doc.default_data_source));
            if rule.scan_failures && source_matches {
                for channel in &rule.channel_ids {
                    per_channel.entry(*channel).or_default().1 = true;
                }
            }
        }
    }

    for ((rule_id, check_id), state) in changed_states {
        sqlx::query(
            "INSERT INTO notification_states (rule_id, check_id, notified_outcome, notified_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (rule_id, check_id) DO UPDATE SET \
             notified_outcome = excluded.notified_outcome, notified_at = excluded.notified_at",
        )
        .bind(rule_id)
        .bind(check_id)
        .bind(state.outcome)
        .bind(state.at)
        .execute(&mut **tx)
        .await?;
    }
    if per_channel.is_empty() {
        return Ok(());
    }
    let sent: std::collections::BTreeSet<i64> = per_channel
        .values()
        .flat_map(|(checks, _)| checks.values().map(|c| c.result_id))
        .collect();
    let details = sent_details(tx, engine, &sent).await?;
    let errors: Vec<String> = doc
        .logs
        .iter()
        .filter(|l| l.get("level").and_then(Value::as_str) == Some("error"))
        .filter_map(|l| l.get("message").and_then(Value::as_str))
        .take(5)
        .map(str::to_owned)
        .collect();
    // A channel deleted since the rule named it: the sender gives its delivery up, said so.
    for (channel_id, (checks, scan_failed)) in per_channel {
        let checks: Vec<CheckNotice> = checks
            .into_values()
            .map(|c| with_details(c, &details))
            .collect();
        let count = i64::try_from(checks.len()).unwrap_or(i64::MAX);
        let notice = ScanNotice {
            scan_id,
            definition: doc.definition_name.clone(),
            data_source: doc.default_data_source.clone(),
            data_timestamp: timestamp::format(doc.data_timestamp),
            scan_failed,
            errors: if scan_failed {
                errors.clone()
            } else {
                Vec::new()
            },
            checks,
        };
        let body = serde_json::to_string(&notice).unwrap_or_default();
        let id = credentials::random_hex(16);
        let event = if count > 0 {
            "checkEvaluation"
        } else {
            "scanFailed"
        };
        insert_delivery(
            &mut **tx,
            &id,
            channel_id,
            event,
            Some(scan_id),
            &body,
            count,
        )
        .await?;
    }
    Ok(())
}

/// Whether a rule tells about a check's new outcome: `(send, as a recovery, what the rule has
/// told now)`, or `None` when nothing changes. `before` is what it last told.
pub(super) fn decide(
    rule: &RuleDefinition,
    outcome: CheckOutcome,
    before: Option<&Told>,
    now: i64,
) -> Option<(bool, bool, Option<Told>)> {
    let last = before.and_then(|t| t.outcome.as_deref());
    let suppressed = rule.suppress_minutes > 0
        && before.is_some_and(|t| now - t.at < rule.suppress_minutes * 60_000);
    let told = |outcome: Option<&str>| Told {
        outcome: outcome.map(str::to_owned),
        at: now,
    };
    if rule.outcomes.contains(&outcome) {
        let news = match rule.mode {
            RuleMode::EveryResult => true,
            // Entering warn or fail, or worsening from warn to fail.
            RuleMode::OnChange => match last {
                None => true,
                Some("warn") => outcome == CheckOutcome::Fail,
                Some(_) => false,
            },
        };
        if news && !suppressed {
            return Some((true, false, Some(told(Some(outcome.as_str())))));
        }
        // Still failing (or better, but still matched): remember the state, not a new time.
        if rule.mode == RuleMode::OnChange && !news && last != Some(outcome.as_str()) {
            let at = before.map_or(now, |t| t.at);
            return Some((
                false,
                false,
                Some(Told {
                    outcome: Some(outcome.as_str().to_owned()),
                    at,
                }),
            ));
        }
        return None;
    }
    // Out of the rule's outcomes again: an `onChange` rule that had told forgets it, and says
    // so when asked to.
    if rule.mode == RuleMode::OnChange && last.is_some() {
        let recovery = rule.recovery && outcome == CheckOutcome::Pass;
        return Some((recovery, recovery, Some(told(None))));
    }
    None
}

/// A check result as a rule's filter and decision need it; its definition, unit, zones and
/// (unless a rule filters on them) attributes are read only for the results that are sent
/// ([`sent_details`]).
fn check_notice(row: &sqlx::any::AnyRow) -> Result<CheckNotice, StorageError> {
    let outcome: Option<String> = row.try_get(7)?;
    let attributes: String = row.try_get(9)?;
    Ok(CheckNotice {
        check_id: row.try_get(0)?,
        result_id: row.try_get(1)?,
        name: row.try_get(2)?,
        unit: shared::api::ValueUnit::Number,
        definition: String::new(),
        dataset_id: row.try_get(3)?,
        dataset: row.try_get(4)?,
        data_source: row.try_get(5)?,
        column: row.try_get(6)?,
        outcome: outcome.as_deref().and_then(CheckOutcome::parse),
        recovered: false,
        value: row.try_get(8)?,
        fail: None,
        warn: None,
        attributes: parse_attributes(&attributes),
    })
}

/// A sent result's definition, diagnostics and check attributes.
type Details = HashMap<i64, (String, String, String)>;

async fn sent_details(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    engine: shared::api::DatabaseEngine,
    result_ids: &std::collections::BTreeSet<i64>,
) -> Result<Details, StorageError> {
    let ids: Vec<i64> = result_ids.iter().copied().collect();
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(crate::storage::batch::ROWS_PER_STATEMENT) {
        let mut p = crate::storage::batch::Placeholders::new(engine);
        let sql = format!(
            "SELECT r.id, r.definition, r.diagnostics, c.attributes FROM check_results r \
             JOIN checks c ON c.id = r.check_id WHERE r.id IN ({})",
            p.list(chunk.len())
        );
        let mut q = crate::storage::batch::query_as::<(i64, String, String, String)>(sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for (id, definition, diagnostics, attributes) in q.fetch_all(&mut **tx).await? {
            out.insert(id, (definition, diagnostics, attributes));
        }
    }
    Ok(out)
}

/// The notice with its definition, attributes, the value's unit and the zones Soda Core
/// reported.
fn with_details(mut notice: CheckNotice, details: &Details) -> CheckNotice {
    let Some((definition, diagnostics, attributes)) = details.get(&notice.result_id) else {
        return notice;
    };
    let diagnostics: Value = serde_json::from_str(diagnostics).unwrap_or(Value::Null);
    let zone = |key: &str| {
        serde_json::from_value::<SodaBounds>(diagnostics.get(key)?.clone())
            .ok()
            .filter(|b| *b != SodaBounds::default())
            .map(|b| Zone::from_soda_bounds(&b))
    };
    notice.definition.clone_from(definition);
    notice.unit = value_unit(definition);
    notice.fail = zone("fail");
    notice.warn = zone("warn");
    notice.attributes = parse_attributes(attributes);
    notice
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(mode: RuleMode, outcomes: &[CheckOutcome], recovery: bool) -> RuleDefinition {
        RuleDefinition {
            name: "r".to_owned(),
            channel_ids: vec![1],
            outcomes: outcomes.to_vec(),
            mode,
            recovery,
            suppress_minutes: 0,
            scan_failures: false,
            no_scan_hours: None,
            late_run_minutes: None,
            filter: Default::default(),
            incidents: None,
            paused: false,
        }
    }

    /// Runs outcomes through a rule; which of them it sends (`R` for a recovery).
    fn sent(rule: &RuleDefinition, outcomes: &[CheckOutcome]) -> String {
        let mut state: Option<Told> = None;
        let mut out = String::new();
        for (i, o) in outcomes.iter().enumerate() {
            let now = i64::try_from(i).unwrap() * 60_000;
            match decide(rule, *o, state.as_ref(), now) {
                Some((send, recovered, told)) => {
                    if send {
                        out.push(if recovered { 'R' } else { 'S' });
                    } else {
                        out.push('.');
                    }
                    if told.is_some() {
                        state = told;
                    }
                }
                None => out.push('.'),
            }
        }
        out
    }

    #[test]
    fn on_change_tells_when_a_check_enters_fail_and_when_it_recovers() {
        use CheckOutcome::{Fail, Pass, Warn};
        let both = [Fail, Warn];
        let every = rule(RuleMode::EveryResult, &both, false);
        assert_eq!(sent(&every, &[Fail, Fail, Pass, Warn]), "SS.S");
        let change = rule(RuleMode::OnChange, &both, true);
        assert_eq!(sent(&change, &[Fail, Fail, Fail, Pass, Fail]), "S..RS");
        // Worse again (warn to fail) is news; better (fail to warn) is not.
        assert_eq!(sent(&change, &[Warn, Fail, Warn, Fail, Pass]), "SS.SR");
        let quiet = rule(RuleMode::OnChange, &[Fail], false);
        assert_eq!(sent(&quiet, &[Warn, Fail, Pass, Pass, Fail]), ".S..S");
        let mut suppressed = rule(RuleMode::EveryResult, &[Fail], false);
        suppressed.suppress_minutes = 3;
        assert_eq!(sent(&suppressed, &[Fail, Fail, Fail, Fail, Fail]), "S..S.");
    }
}
