//! Rules that run incidents (`incidents` on a rule): decided in the scan's own transaction, as
//! its notifications are, so several Seltzers open each incident once. For each check a rule
//! covers (the first such rule, by id, decides): a result in the rule's outcomes opens an
//! incident, or joins the one open on the check; a pass after such results goes on that
//! incident's timeline (once per recovery), and resolves it when the rule says so and none of
//! its other checks still fails.

use super::enqueue_incident_event;
use super::*;
use crate::storage::incidents::{IncidentChangeRow, insert_event, link_in};

/// The newest open incident that has a result of this check.
async fn open_incident(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    check_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT MAX(i.id) FROM incidents i JOIN incident_results l ON l.incident_id = i.id \
         WHERE l.check_id = $1 AND i.status <> 'resolved'",
    )
    .bind(check_id)
    .fetch_one(&mut **tx)
    .await
}

pub(super) async fn run_incident_rules(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    rules: &[(i64, RuleDefinition)],
    notices: &[CheckNotice],
) -> Result<(), StorageError> {
    let now = timestamp::now();
    for notice in notices {
        let Some(outcome) = notice.outcome else {
            continue;
        };
        let facts = CheckFacts {
            name: &notice.name,
            dataset: notice.dataset.as_deref(),
            data_source: &notice.data_source,
            attributes: &notice.attributes,
        };
        let Some((rule, automation)) = rules
            .iter()
            .filter(|(_, r)| r.filter.matches(&facts))
            .find_map(|(_, r)| r.incidents.map(|a| (r, a)))
        else {
            continue;
        };
        let actor = format!("rule {}", rule.name);
        let open = open_incident(tx, notice.check_id).await?;
        let result = [(
            notice.result_id,
            notice.check_id,
            Some(outcome.as_str().to_owned()),
        )];
        if rule.outcomes.contains(&outcome) {
            match open {
                Some(id) => {
                    let linked = link_in(tx, id, now, &actor, &result).await?;
                    if !linked.is_empty() {
                        touch(tx, id, now).await?;
                        enqueue_incident_event(tx, id, "incidentUpdated", &linked, &actor, now)
                            .await?;
                    }
                }
                None => {
                    let id = open_for(tx, rule, automation, notice, outcome, &actor, now).await?;
                    link_in(tx, id, now, &actor, &result).await?;
                    enqueue_incident_event(tx, id, "incidentCreated", &[], &actor, now).await?;
                }
            }
        } else if outcome == CheckOutcome::Pass
            && let Some(id) = open
        {
            let changes = recover(tx, id, notice, automation, &actor, now).await?;
            if !changes.is_empty() {
                enqueue_incident_event(tx, id, "incidentUpdated", &changes, &actor, now).await?;
            }
        }
    }
    Ok(())
}

async fn touch(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE incidents SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A new incident about the check, reported by the rule.
async fn open_for(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    rule: &RuleDefinition,
    automation: IncidentAutomation,
    notice: &CheckNotice,
    outcome: CheckOutcome,
    actor: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let verb = if outcome == CheckOutcome::Fail {
        "fails"
    } else {
        "warns"
    };
    let title = match &notice.dataset {
        Some(dataset) => format!("{} {verb} on {dataset}", notice.name),
        None => format!("{} {verb}", notice.name),
    };
    let description = format!(
        "Opened by the rule '{}' when the check {verb} (result {}).",
        rule.name, notice.result_id
    );
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO incidents (title, description, severity, status, reporter, created_at, \
         updated_at, callback_token) VALUES ($1, $2, $3, 'reported', $4, $5, $5, $6) RETURNING id",
    )
    .bind(&title)
    .bind(&description)
    .bind(automation.severity.as_str())
    .bind(actor)
    .bind(now)
    .bind(credentials::random_hex(24))
    .fetch_one(&mut **tx)
    .await?;
    let created = IncidentChangeRow {
        kind: "created",
        from: None,
        to: Some(title),
    };
    insert_event(tx, id, now, actor, &created).await?;
    Ok(id)
}

/// The check passes again: on the timeline once per recovery (a result linked since the last
/// one), and the incident resolved when asked and no other check of it still fails. The
/// timeline entries written.
async fn recover(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: i64,
    notice: &CheckNotice,
    automation: IncidentAutomation,
    actor: &str,
    now: i64,
) -> Result<Vec<IncidentChangeRow>, sqlx::Error> {
    let (last_linked, last_recovered): (Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT (SELECT MAX(result_id) FROM incident_results \
                 WHERE incident_id = $1 AND check_id = $2), \
                (SELECT MAX(CAST(to_value AS BIGINT)) FROM incident_events \
                 WHERE incident_id = $1 AND kind = 'recovered' AND from_value = $3)",
    )
    .bind(id)
    .bind(notice.check_id)
    .bind(notice.check_id.to_string())
    .fetch_one(&mut **tx)
    .await?;
    if last_recovered >= last_linked {
        return Ok(Vec::new());
    }
    let recovered = IncidentChangeRow {
        kind: "recovered",
        from: Some(notice.check_id.to_string()),
        to: Some(notice.result_id.to_string()),
    };
    insert_event(tx, id, now, actor, &recovered).await?;
    touch(tx, id, now).await?;
    if !automation.resolve_on_recovery {
        return Ok(vec![recovered]);
    }
    let still_failing: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM incident_results l JOIN checks c ON c.id = l.check_id \
         JOIN check_results r ON r.id = c.latest_result_id \
         WHERE l.incident_id = $1 AND l.check_id <> $2 AND r.outcome IN ('fail', 'warn')",
    )
    .bind(id)
    .bind(notice.check_id)
    .fetch_one(&mut **tx)
    .await?;
    if still_failing > 0 {
        return Ok(vec![recovered]);
    }
    let (status, notes): (String, Option<String>) =
        sqlx::query_as("SELECT status, resolution_notes FROM incidents WHERE id = $1")
            .bind(id)
            .fetch_one(&mut **tx)
            .await?;
    let notes = notes.unwrap_or_else(|| {
        format!(
            "Resolved by the rule when {} passed again (result {}).",
            notice.name, notice.result_id
        )
    });
    sqlx::query(
        "UPDATE incidents SET status = 'resolved', resolution_notes = $1, resolved_at = $2, \
         updated_at = $2 WHERE id = $3",
    )
    .bind(&notes)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    let resolved = IncidentChangeRow {
        kind: "status",
        from: Some(status),
        to: Some("resolved".to_owned()),
    };
    insert_event(tx, id, now, actor, &resolved).await?;
    Ok(vec![recovered, resolved])
}
