//! `seltzer verify`: recomputes every rollup Seltzer keeps from the rows it summarises and
//! reports any difference. Ingest keeps the rollups current inside each scan's transaction;
//! this is how an operator (and the crash soak) proves that a crash, a kill or two processes
//! writing at once left none of them wrong.

use serde::Serialize;

use super::{Database, StorageError, batch, outcome_runs};

/// What `verify` found: the counts it looked at, and each kind of problem with a few examples.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrityReport {
    pub scans: i64,
    pub checks: i64,
    pub check_results: i64,
    pub datasets: i64,
    pub problems: Vec<IntegrityProblem>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrityProblem {
    /// What is wrong, e.g. "a check's latest result is not its newest result".
    pub what: String,
    /// How many rows have it.
    pub count: i64,
    /// Ids of up to ten of them.
    pub examples: Vec<i64>,
}

impl IntegrityReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Each invariant as a query for the ids of the rows that break it.
const INVARIANTS: &[(&str, &str)] = &[
    (
        "a check's latest result is not its newest result (by data timestamp, then arrival)",
        "SELECT c.id FROM checks c WHERE COALESCE(c.latest_result_id, -1) <> COALESCE((\
           SELECT r.id FROM check_results r WHERE r.check_id = c.id \
           ORDER BY r.data_timestamp DESC, r.id DESC LIMIT 1), -1)",
    ),
    (
        "a check's latest outcome, time or scan differs from its latest result's",
        "SELECT c.id FROM checks c JOIN check_results r ON r.id = c.latest_result_id \
         WHERE COALESCE(c.latest_outcome, '') <> COALESCE(r.outcome, '') \
            OR c.latest_data_timestamp <> r.data_timestamp OR c.latest_scan_id <> r.scan_id",
    ),
    (
        "a dataset's check counts differ from its checks' latest outcomes",
        "SELECT d.id FROM datasets d WHERE \
           d.checks_total <> (SELECT COUNT(*) FROM checks c WHERE c.dataset_id = d.id) \
           OR d.checks_pass <> (SELECT COUNT(*) FROM checks c WHERE c.dataset_id = d.id AND c.latest_outcome = 'pass') \
           OR d.checks_warn <> (SELECT COUNT(*) FROM checks c WHERE c.dataset_id = d.id AND c.latest_outcome = 'warn') \
           OR d.checks_fail <> (SELECT COUNT(*) FROM checks c WHERE c.dataset_id = d.id AND c.latest_outcome = 'fail')",
    ),
    (
        "a dataset's last scan is not the newest scan that covered it",
        "SELECT d.id FROM datasets d WHERE COALESCE(d.last_scan_id, -1) <> COALESCE((\
           SELECT sd.scan_id FROM scan_datasets sd WHERE sd.dataset_id = d.id \
           ORDER BY sd.data_timestamp DESC, sd.scan_id DESC LIMIT 1), -1)",
    ),
    (
        "a dataset's \"scan failed\" differs from its last scan",
        "SELECT d.id FROM datasets d JOIN scans s ON s.id = d.last_scan_id \
         WHERE d.last_scan_failed <> s.has_errors",
    ),
    (
        "a scan's outcome counts differ from its check results",
        "SELECT s.id FROM scans s WHERE \
           s.pass_count <> (SELECT COUNT(*) FROM check_results r WHERE r.scan_id = s.id AND r.outcome = 'pass') \
           OR s.warn_count <> (SELECT COUNT(*) FROM check_results r WHERE r.scan_id = s.id AND r.outcome = 'warn') \
           OR s.fail_count <> (SELECT COUNT(*) FROM check_results r WHERE r.scan_id = s.id AND r.outcome NOT IN ('pass', 'warn')) \
           OR s.not_evaluated_count <> (SELECT COUNT(*) FROM check_results r WHERE r.scan_id = s.id AND r.outcome IS NULL)",
    ),
    (
        "a check result belongs to no scan",
        "SELECT r.id FROM check_results r WHERE NOT EXISTS (SELECT 1 FROM scans s WHERE s.id = r.scan_id)",
    ),
    (
        "a check result belongs to no check",
        "SELECT r.id FROM check_results r WHERE NOT EXISTS (SELECT 1 FROM checks c WHERE c.id = r.check_id)",
    ),
    (
        "a measurement belongs to no scan",
        "SELECT m.scan_id FROM measurements m WHERE NOT EXISTS (SELECT 1 FROM scans s WHERE s.id = m.scan_id)",
    ),
    (
        "a scan's coverage row belongs to no scan",
        "SELECT sd.scan_id FROM scan_datasets sd WHERE NOT EXISTS (SELECT 1 FROM scans s WHERE s.id = sd.scan_id)",
    ),
];

impl Database {
    /// Checks every invariant of the stored rollups (see [`INVARIANTS`]); read-only.
    pub async fn verify(&self) -> Result<IntegrityReport, StorageError> {
        // One read transaction: the invariants hold between rows of one moment, and ingest
        // may be writing meanwhile.
        let mut tx = self.pool.begin().await?;
        if self.engine == shared::api::DatabaseEngine::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                .execute(&mut *tx)
                .await?;
        }
        let mut counts = [0i64; 4];
        for (slot, sql) in counts.iter_mut().zip([
            "SELECT COUNT(*) FROM scans",
            "SELECT COUNT(*) FROM checks",
            "SELECT COUNT(*) FROM check_results",
            "SELECT COUNT(*) FROM datasets",
        ]) {
            *slot = sqlx::query_scalar(sql).fetch_one(&mut *tx).await?;
        }
        let [scans, checks, check_results, datasets] = counts;
        let mut report = IntegrityReport {
            scans,
            checks,
            check_results,
            datasets,
            problems: Vec::new(),
        };
        let runs = outcome_runs::disagreeing_checks();
        let invariants = INVARIANTS.iter().map(|&(what, sql)| (what, sql.to_owned()));
        let invariants = invariants.chain([(
            "a check's outcome run (since, streak, changes, last pass) differs from its results",
            runs,
        )]);
        for (what, sql) in invariants {
            let ids: Vec<(i64,)> = batch::query_as(sql).fetch_all(&mut *tx).await?;
            let ids: Vec<i64> = ids.into_iter().map(|(id,)| id).collect();
            if !ids.is_empty() {
                report.problems.push(IntegrityProblem {
                    what: what.to_owned(),
                    count: i64::try_from(ids.len()).unwrap_or(i64::MAX),
                    examples: ids.into_iter().take(10).collect(),
                });
            }
        }
        tx.commit().await?;
        Ok(report)
    }
}
