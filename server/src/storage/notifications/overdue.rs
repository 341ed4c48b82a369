//! "No scan of this dataset for N hours": found by the sender every minute, told once per
//! quiet spell.

use super::*;

impl Database {
    /// Finds the datasets that have had no scan for a rule's `noScanHours` (since their
    /// latest scan reached Seltzer) and writes one delivery per channel listing them. Each
    /// (rule, dataset, latest scan) is told once however many Seltzers look: the insert into
    /// `notification_overdue` is the claim. How many datasets it told about.
    pub async fn enqueue_overdue(&self, now: i64) -> Result<usize, StorageError> {
        let rules: Vec<RuleRow> = self
            .list_rules()
            .await?
            .into_iter()
            .filter(|r| !r.definition.paused && r.definition.no_scan_hours.is_some())
            .collect();
        if rules.is_empty() {
            return Ok(0);
        }
        let datasets: Vec<(i64, String, String, i64, i64)> = sqlx::query_as(
            "SELECT d.id, d.name, s.name, sc.id, sc.received_at FROM datasets d \
             JOIN data_sources s ON s.id = d.data_source_id \
             JOIN scans sc ON sc.id = d.last_scan_id",
        )
        .fetch_all(&self.pool)
        .await?;
        // A rule that names checks (by name or attributes) covers the datasets holding one.
        let by_checks =
            |r: &RuleDefinition| r.filter.check_name.is_some() || !r.filter.attributes.is_empty();
        let mut checks: HashMap<i64, Vec<(String, Vec<Attribute>)>> = HashMap::new();
        if rules.iter().any(|r| by_checks(&r.definition)) {
            let rows: Vec<(i64, String, String)> = sqlx::query_as(
                "SELECT dataset_id, name, attributes FROM checks WHERE dataset_id IS NOT NULL",
            )
            .fetch_all(&self.pool)
            .await?;
            for (dataset, name, attributes) in rows {
                checks
                    .entry(dataset)
                    .or_default()
                    .push((name, parse_attributes(&attributes)));
            }
        }
        let told: std::collections::HashSet<(i64, i64, i64)> =
            sqlx::query_as("SELECT rule_id, dataset_id, last_scan_id FROM notification_overdue")
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .collect();
        let mut found: Vec<(&RuleRow, OverdueDataset)> = Vec::new();
        for rule in &rules {
            let r = &rule.definition;
            let quiet_ms = r.no_scan_hours.unwrap_or(0).saturating_mul(3_600_000);
            for (id, name, source, scan_id, received) in &datasets {
                if now - received < quiet_ms || told.contains(&(rule.id, *id, *scan_id)) {
                    continue;
                }
                let facts = |check: &str, attributes: &[Attribute]| {
                    r.filter.matches(&CheckFacts {
                        name: check,
                        dataset: Some(name),
                        data_source: source,
                        attributes,
                    })
                };
                let covered = if by_checks(r) {
                    checks
                        .get(id)
                        .is_some_and(|cs| cs.iter().any(|(n, a)| facts(n, a)))
                } else {
                    facts("", &[])
                };
                if covered {
                    found.push((
                        rule,
                        OverdueDataset {
                            dataset_id: *id,
                            dataset: name.clone(),
                            data_source: source.clone(),
                            last_scan_id: *scan_id,
                            last_scan_at: timestamp::format(*received),
                        },
                    ));
                }
            }
        }
        if found.is_empty() {
            return Ok(0);
        }
        let _gate = self.write_gate().await;
        let mut tx = self.begin_write().await?;
        // A dataset scanned again may go quiet again: what was told of its older scans goes.
        sqlx::query(
            "DELETE FROM notification_overdue WHERE NOT EXISTS (SELECT 1 FROM datasets d \
             WHERE d.id = notification_overdue.dataset_id \
             AND d.last_scan_id = notification_overdue.last_scan_id)",
        )
        .execute(&mut *tx)
        .await?;
        let mut per_rule: BTreeMap<i64, (&RuleRow, Vec<OverdueDataset>)> = BTreeMap::new();
        for (rule, dataset) in found {
            let claimed: Option<i64> = sqlx::query_scalar(
                "INSERT INTO notification_overdue (rule_id, dataset_id, last_scan_id, \
                 notified_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING rule_id",
            )
            .bind(rule.id)
            .bind(dataset.dataset_id)
            .bind(dataset.last_scan_id)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            if claimed.is_some() {
                per_rule
                    .entry(rule.id)
                    .or_insert((rule, Vec::new()))
                    .1
                    .push(dataset);
            }
        }
        let mut told_now = 0;
        for (rule, datasets) in per_rule.into_values() {
            told_now += datasets.len();
            let count = i64::try_from(datasets.len()).unwrap_or(i64::MAX);
            let notice = OverdueNotice {
                rule: rule.definition.name.clone(),
                hours: rule.definition.no_scan_hours.unwrap_or(0),
                datasets,
            };
            let body = serde_json::to_string(&notice).unwrap_or_default();
            for channel in &rule.definition.channel_ids {
                let id = credentials::random_hex(16);
                insert_delivery(
                    &mut *tx,
                    &id,
                    *channel,
                    "datasetOverdue",
                    None,
                    &body,
                    count,
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(told_now)
    }
}
