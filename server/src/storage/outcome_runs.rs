//! Since when each check's outcome holds: the run of equal outcomes its latest result ends,
//! the latest pass, and how often the outcome changed lately. Kept on the check's row
//! (migration 0014 on SQLite, 0016 on PostgreSQL) so the checks list can sort and filter on
//! them; recomputed from the check's results whenever they change, by the statement below, and
//! compared with the same recomputation by `seltzer verify`.

use shared::api::DatabaseEngine;
use sqlx::{Any, Executor, Transaction};

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
           ({flips}) AS flips, \
           (SELECT MAX(p.data_timestamp) FROM check_results p \
            WHERE p.check_id = checks.id AND p.outcome = 'pass') AS last_pass \
         FROM check_results r WHERE r.check_id = checks.id AND r.data_timestamp > COALESCE(\
           (SELECT MAX(b.data_timestamp) FROM check_results b WHERE b.check_id = checks.id \
            AND COALESCE(b.outcome, '') <> COALESCE(checks.latest_outcome, '')), {})",
        i64::MIN + 1,
        flips = recent_flips_of_check(),
    )
}

/// Assignments for the statement that moves a check's latest result forward (`checks` the row
/// before it, `r` the new result): a result appended after the latest extends the run or
/// starts one without reading the history, and records a pass; so does a check's first result.
/// Any other move (an overwrite of the latest data timestamp) leaves `outcome_streak` 0: the run is then
/// recomputed in full by [`refresh_for_scan`], as for the checks the move did not touch.
pub(super) const APPEND_TO_RUN: &str = "\
    outcome_streak = CASE WHEN checks.latest_data_timestamp IS NULL THEN 1 \
      WHEN checks.latest_data_timestamp < r.data_timestamp \
      AND checks.outcome_streak > 0 THEN CASE \
        WHEN COALESCE(checks.latest_outcome, '') = COALESCE(r.outcome, '') \
        THEN checks.outcome_streak + 1 ELSE 1 END ELSE 0 END, \
    outcome_since = CASE WHEN checks.latest_data_timestamp < r.data_timestamp \
      AND checks.outcome_streak > 0 \
      AND COALESCE(checks.latest_outcome, '') = COALESCE(r.outcome, '') \
      THEN checks.outcome_since ELSE r.data_timestamp END, \
    last_pass_timestamp = CASE WHEN r.outcome = 'pass' THEN r.data_timestamp \
      ELSE checks.last_pass_timestamp END";

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

/// The outcome changes among the last [`RECENT_RESULTS`] results of `checks.id`: the only part
/// of a run an appended result cannot update from the row alone (a change may leave the
/// window). An index range of 20 rows.
fn recent_flips_of_check() -> String {
    format!(
        "SELECT COUNT(*) FROM (\
           SELECT w.outcome, ROW_NUMBER() OVER (ORDER BY w.data_timestamp, w.id) AS n, \
             LAG(w.outcome) OVER (ORDER BY w.data_timestamp, w.id) AS previous \
           FROM (SELECT l.outcome, l.data_timestamp, l.id FROM check_results l \
                 WHERE l.check_id = checks.id \
                 ORDER BY l.data_timestamp DESC, l.id DESC LIMIT {RECENT_RESULTS}) w) f \
         WHERE f.n > 1 AND COALESCE(f.outcome, '') <> COALESCE(f.previous, '')"
    )
}

/// Brings the runs of the checks a scan reported up to date (after its results are stored and
/// the checks' latest results moved, [`APPEND_TO_RUN`] included): a result appended to its
/// check's history needs only its recent changes counted; every other check of the scan (a
/// backfill, an overwrite, a first result) is recomputed in full. The caller holds the locks
/// that order concurrent scans of these checks (their datasets'), so these statements see
/// every result committed before.
pub(super) async fn refresh_for_scan(
    tx: &mut Transaction<'static, Any>,
    engine: DatabaseEngine,
    scan_id: i64,
) -> Result<(), StorageError> {
    // The scan's checks joined through its results (`FROM`), not `id IN (subquery)`, which
    // PostgreSQL planned as a scan of every check.
    let of_scan = "FROM check_results s WHERE s.scan_id = $1 AND checks.id = s.check_id";
    // Its changes are counted again only where they can have changed: a run that just started
    // (a change came in), or changes already in the window (one may leave it). A check whose
    // last results were all alike and whose new one is alike too still has none.
    let appended = format!(
        "UPDATE checks SET recent_flips = ({}) {of_scan} \
         AND checks.latest_scan_id = $1 AND checks.outcome_streak > 0 \
         AND (checks.outcome_streak = 1 OR checks.recent_flips > 0)",
        recent_flips_of_check()
    );
    batch::query(appended)
        .bind(scan_id)
        .execute(&mut **tx)
        .await?;
    // The others by id: the same statement joined to the scan's results made PostgreSQL spend
    // a third of a second on it even when no check qualified.
    let others: Vec<i64> = sqlx::query_scalar(
        "SELECT s.check_id FROM check_results s JOIN checks c ON c.id = s.check_id \
         WHERE s.scan_id = $1 AND NOT (c.latest_scan_id = $1 AND c.outcome_streak > 0)",
    )
    .bind(scan_id)
    .fetch_all(&mut **tx)
    .await?;
    refresh_checks(tx, engine, &others).await
}

/// Recomputes the runs of these checks (after results of theirs were removed).
pub(super) async fn refresh_checks(
    tx: &mut Transaction<'static, Any>,
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
