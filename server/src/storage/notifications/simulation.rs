//! A rule being edited, tried on stored results: what it would have sent.

use super::*;

/// Results a simulation tries at the most.
const SIMULATION_RESULTS: usize = 200_000;

impl Database {
    /// What `rule` would have sent over the results since `from` (data time), in its mode
    /// and in the other: each covered check's results replayed in data-time order through the
    /// same decision ingest makes ([`decide`]), each result as it was the check's latest.
    pub async fn simulate_rule(
        &self,
        rule: &RuleDefinition,
        from: i64,
    ) -> Result<Simulation, StorageError> {
        let checks: Vec<(i64, String, Option<String>, String, String)> = sqlx::query_as(
            "SELECT c.id, c.name, d.name, s.name, c.attributes FROM checks c \
             JOIN data_sources s ON s.id = c.data_source_id \
             LEFT JOIN datasets d ON d.id = c.dataset_id",
        )
        .fetch_all(&self.pool)
        .await?;
        let covered: HashMap<i64, String> = checks
            .into_iter()
            .filter(|(_, name, dataset, source, attributes)| {
                let attributes = parse_attributes(attributes);
                rule.filter.matches(&CheckFacts {
                    name,
                    dataset: dataset.as_deref(),
                    data_source: source,
                    attributes: &attributes,
                })
            })
            .map(|(id, name, ..)| (id, name))
            .collect();
        let ids: Vec<i64> = covered.keys().copied().collect();
        let mut results: Vec<(i64, i64, i64, Option<String>)> = Vec::new();
        let mut truncated = false;
        for chunk in ids.chunks(crate::storage::batch::ROWS_PER_STATEMENT) {
            let mut p = crate::storage::batch::Placeholders::new(self.engine);
            let sql = format!(
                "SELECT check_id, scan_id, data_timestamp, outcome FROM check_results \
                 WHERE data_timestamp >= {} AND check_id IN ({}) LIMIT {}",
                p.next(),
                p.list(chunk.len()),
                SIMULATION_RESULTS + 1 - results.len()
            );
            let mut q = crate::storage::batch::query_as(sql).bind(from);
            for id in chunk {
                q = q.bind(*id);
            }
            results.extend(q.fetch_all(&self.pool).await?);
            if results.len() > SIMULATION_RESULTS {
                results.truncate(SIMULATION_RESULTS);
                truncated = true;
                break;
            }
        }
        results.sort_by_key(|&(check, scan, at, _)| (check, at, scan));
        let tally = |mode: RuleMode| -> (i64, i64, Vec<SimulatedNotice>) {
            let rule = RuleDefinition {
                mode,
                ..rule.clone()
            };
            let mut told: Option<(i64, Told)> = None;
            let mut scans = std::collections::BTreeSet::new();
            let mut notices = 0;
            let mut sent = Vec::new();
            for (check, scan, at, outcome) in &results {
                let Some(outcome) = outcome.as_deref().and_then(CheckOutcome::parse) else {
                    continue;
                };
                let before = told.as_ref().filter(|(c, _)| c == check).map(|(_, t)| t);
                let Some((send, recovered, now_told)) = decide(&rule, outcome, before, *at) else {
                    continue;
                };
                if let Some(state) = now_told {
                    told = Some((*check, state));
                }
                if send {
                    notices += 1;
                    scans.insert(*scan);
                    sent.push(SimulatedNotice {
                        check_id: *check,
                        name: covered.get(check).cloned().unwrap_or_default(),
                        data_timestamp: timestamp::format(*at),
                        outcome: Some(outcome),
                        recovered,
                    });
                }
            }
            sent.sort_by(|a, b| a.data_timestamp.cmp(&b.data_timestamp));
            sent.truncate(20);
            (
                i64::try_from(scans.len()).unwrap_or(i64::MAX),
                notices,
                sent,
            )
        };
        let every = tally(RuleMode::EveryResult);
        let change = tally(RuleMode::OnChange);
        let (messages, notices, examples) = match rule.mode {
            RuleMode::EveryResult => every.clone(),
            RuleMode::OnChange => change.clone(),
        };
        Ok(Simulation {
            days: 0,
            checks: i64::try_from(covered.len()).unwrap_or(i64::MAX),
            results: i64::try_from(results.len()).unwrap_or(i64::MAX),
            messages,
            notices,
            every_result_messages: every.0,
            every_result_notices: every.1,
            on_change_messages: change.0,
            on_change_notices: change.1,
            examples,
            truncated,
        })
    }
}
