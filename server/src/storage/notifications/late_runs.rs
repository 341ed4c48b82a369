//! "Scan late": a scheduled run of a definition with no results this many minutes after its
//! fire time (still queued behind its data source's limit, or still executing). Found by the
//! sender with the overdue datasets; told once per (rule, run) however many Seltzers look.

use super::*;

impl Database {
    /// Writes a `runLate` delivery per channel for each late run a rule with `lateRunMinutes`
    /// covers (its data source filter); the insert into `notification_run_late` is the claim.
    /// How many (rule, run) pairs it told.
    pub async fn enqueue_late_runs(&self, now: i64) -> Result<usize, StorageError> {
        let rules: Vec<RuleRow> = self
            .list_rules()
            .await?
            .into_iter()
            .filter(|r| !r.definition.paused && r.definition.late_run_minutes.is_some())
            .collect();
        let Some(soonest) = rules
            .iter()
            .filter_map(|r| r.definition.late_run_minutes)
            .min()
        else {
            return Ok(0);
        };
        let runs: Vec<(i64, String, String, String, i64, i64)> = sqlx::query_as(
            "SELECT r.id, d.name, s.name, r.state, r.scheduled_for, r.attempt \
             FROM scan_runs r JOIN scan_definitions d ON d.id = r.definition_id \
             JOIN data_sources s ON s.id = d.data_source_id \
             WHERE r.scheduled_for IS NOT NULL AND r.scheduled_for <= $1 \
             AND r.state IN ('queuing', 'executing', 'cancelationRequested')",
        )
        .bind(now - soonest.saturating_mul(60_000))
        .fetch_all(&self.pool)
        .await?;
        if runs.is_empty() {
            return Ok(0);
        }
        let _gate = self.write_gate().await;
        let mut tx = self.begin_write().await?;
        let mut told = 0;
        for rule in &rules {
            let r = &rule.definition;
            let minutes = r.late_run_minutes.unwrap_or(0);
            for (run_id, definition, data_source, state, fire, attempt) in &runs {
                let covered = r
                    .filter
                    .data_source
                    .as_deref()
                    .is_none_or(|s| s.eq_ignore_ascii_case(data_source));
                if !covered || now - fire < minutes.saturating_mul(60_000) {
                    continue;
                }
                let claimed: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO notification_run_late (rule_id, run_id, told_at) \
                     VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING rule_id",
                )
                .bind(rule.id)
                .bind(run_id)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                if claimed.is_none() {
                    continue;
                }
                told += 1;
                let notice = RunLateNotice {
                    run_id: *run_id,
                    definition: definition.clone(),
                    data_source: data_source.clone(),
                    state: RunState::parse(state).unwrap_or(RunState::Queuing),
                    scheduled_for: timestamp::format(*fire),
                    minutes,
                    attempt: *attempt,
                    rule: r.name.clone(),
                };
                let body = serde_json::to_string(&notice).unwrap_or_default();
                for channel in &r.channel_ids {
                    let id = credentials::random_hex(16);
                    insert_delivery(&mut *tx, &id, *channel, "runLate", None, &body, 0).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(told)
    }
}
