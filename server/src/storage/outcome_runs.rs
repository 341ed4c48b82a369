//! Since when each check's outcome holds: the run of equal outcomes its latest result ends,
//! the latest pass, and how often the outcome changed lately. Kept on the check's row
//! (migration 0014 on SQLite, 0016 on PostgreSQL) so the checks list can sort and filter on
//! them; recomputed from the check's results whenever they change, by the statement below, and
//! compared with the same recomputation by `seltzer verify`.

use shared::api::DatabaseEngine;
use sqlx::{Any, Executor};

use super::StorageError;
use super::batch::{self, Placeholders};

/// How many of a check's latest results `recent_flips` counts changes among.
pub const RECENT_RESULTS: i64 = 20;

/// For the check `checks.id`, one row: the data timestamp of the first result of its current
/// run (the results after the newest one whose outcome differs from `checks.latest_outcome`),
/// the run's length, the outcome changes among its last [`RECENT_RESULTS`] results (oldest
/// first), and the data timestamp of its newest passing result. A missing outcome (not
/// evaluated) is an outcome of its own. Every read goes through the (check, data timestamp)
/// history index.
pub(super) fn outcome_run_of_check() -> String {
    format!(
        "SELECT MIN(r.data_timestamp) AS since, COUNT(r.id) AS streak, \
           (SELECT COUNT(*) FROM (\
              SELECT w.outcome, ROW_NUMBER() OVER (ORDER BY w.data_timestamp, w.id) AS n, \
                LAG(w.outcome) OVER (ORDER BY w.data_timestamp, w.id) AS previous \
              FROM (SELECT l.outcome, l.data_timestamp, l.id FROM check_results l \
                    WHERE l.check_id = checks.id \
                    ORDER BY l.data_timestamp DESC, l.id DESC LIMIT {RECENT_RESULTS}) w) f \
            WHERE f.n > 1 AND COALESCE(f.outcome, '') <> COALESCE(f.previous, '')) AS flips, \
           (SELECT MAX(p.data_timestamp) FROM check_results p \
            WHERE p.check_id = checks.id AND p.outcome = 'pass') AS last_pass \
         FROM check_results r WHERE r.check_id = checks.id AND r.data_timestamp > COALESCE(\
           (SELECT MAX(b.data_timestamp) FROM check_results b WHERE b.check_id = checks.id \
            AND COALESCE(b.outcome, '') <> COALESCE(checks.latest_outcome, '')), {})",
        i64::MIN + 1
    )
}

/// The stored columns [`outcome_run_of_check`] computes, in its order.
pub(super) const OUTCOME_RUN_COLUMNS: &str =
    "outcome_since, outcome_streak, recent_flips, last_pass_timestamp";

/// The ids of the checks whose stored run differs from its recomputation (`seltzer verify`).
pub(super) fn disagreeing_checks() -> String {
    format!(
        "SELECT checks.id FROM checks WHERE (COALESCE(checks.outcome_since, -1), \
           checks.outcome_streak, checks.recent_flips, COALESCE(checks.last_pass_timestamp, -1)) \
         <> (SELECT COALESCE(x.since, -1), x.streak, x.flips, COALESCE(x.last_pass, -1) \
             FROM ({}) x)",
        outcome_run_of_check()
    )
}

fn update_where(condition: &str) -> String {
    format!(
        "UPDATE checks SET ({OUTCOME_RUN_COLUMNS}) = ({}) WHERE {condition}",
        outcome_run_of_check()
    )
}

/// Recomputes the runs of the checks a scan reported (after its results are stored and the
/// checks' latest results moved). The caller holds the locks that order concurrent scans of
/// these checks (their datasets'), so this statement sees every result committed before.
pub(super) async fn refresh_for_scan<'e>(
    executor: impl Executor<'e, Database = Any>,
    scan_id: i64,
) -> Result<(), StorageError> {
    let sql = update_where("id IN (SELECT check_id FROM check_results WHERE scan_id = $1)");
    batch::query(sql).bind(scan_id).execute(executor).await?;
    Ok(())
}

/// Recomputes the runs of these checks (after results of theirs were removed).
pub(super) async fn refresh_checks(
    tx: &mut sqlx::Transaction<'static, Any>,
    engine: DatabaseEngine,
    check_ids: &[i64],
) -> Result<(), StorageError> {
    for chunk in check_ids.chunks(batch::ROWS_PER_STATEMENT) {
        let mut p = Placeholders::new(engine);
        let mut q = batch::query(update_where(&format!("id IN ({})", p.list(chunk.len()))));
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Fills in the runs of checks stored before they were kept (a check with results always has
/// a run of at least one). Runs at every start; after the first it finds nothing to do.
pub(super) async fn fill_in_missing<'e>(
    executor: impl Executor<'e, Database = Any>,
) -> Result<(), StorageError> {
    let sql = update_where("outcome_streak = 0 AND latest_result_id IS NOT NULL");
    batch::query(sql).execute(executor).await?;
    Ok(())
}
