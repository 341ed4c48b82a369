//! A run that ended without results (`failed`, `timedOut`): no scan was stored, so no scan's
//! transaction tells the rules; the run's own end does, in the transaction that ends it (one
//! process ends each run). Rules with "failed scans too" whose data source filter fits send it
//! (event `runFailed`), once per channel. A run whose Soda Core stored results with errors is
//! told by that scan, as a pushed one is.

use super::*;

pub(in crate::storage) async fn enqueue_run_failed(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    run_id: i64,
) -> Result<(), StorageError> {
    let rules: Vec<String> =
        sqlx::query_scalar("SELECT definition FROM notification_rules WHERE paused = 0")
            .fetch_all(&mut **tx)
            .await?;
    let rules: Vec<RuleDefinition> = rules
        .iter()
        .filter_map(|d| serde_json::from_str(d).ok())
        .filter(|r: &RuleDefinition| r.scan_failures)
        .collect();
    if rules.is_empty() {
        return Ok(());
    }
    let run: Option<(String, String, String, i64, Option<String>, i64)> = sqlx::query_as(
        "SELECT d.name, s.name, r.state, r.data_timestamp, r.error, r.attempt \
         FROM scan_runs r JOIN scan_definitions d ON d.id = r.definition_id \
         JOIN data_sources s ON s.id = d.data_source_id WHERE r.id = $1",
    )
    .bind(run_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((definition, data_source, state, data_timestamp, error, attempt)) = run else {
        return Ok(());
    };
    let channels: std::collections::BTreeSet<i64> = rules
        .iter()
        .filter(|r| {
            r.filter
                .data_source
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case(&data_source))
        })
        .flat_map(|r| r.channel_ids.iter().copied())
        .collect();
    let notice = RunFailedNotice {
        run_id,
        definition,
        data_source,
        state: RunState::parse(&state).unwrap_or(RunState::Failed),
        error,
        attempt,
        data_timestamp: timestamp::format(data_timestamp),
    };
    let body = serde_json::to_string(&notice).unwrap_or_default();
    for channel in channels {
        insert_delivery(
            &mut **tx,
            &credentials::random_hex(16),
            channel,
            "runFailed",
            None,
            &body,
            0,
        )
        .await?;
    }
    Ok(())
}
