//! The rollups every page reads instead of the history: each check's latest result, each
//! dataset's last scan and status, and the counts of checks by latest outcome.

use super::*;

/// Locks the datasets' rows (PostgreSQL; SQLite writes one scan at a time), all at once and in
/// id order, before the transaction touches any of them: scans that share datasets then queue
/// instead of deadlocking (a status update that a backfill skips takes no lock, so updating
/// them one by one did not lock in order). It also makes check counts exact: a concurrent scan
/// that changed the same datasets' checks holds these locks until it commits, so the count,
/// a later statement, sees what it wrote. `NO KEY`: the lock an `UPDATE` of these rows takes,
/// which leaves the key-share locks of foreign keys (coverage rows inserted by other scans;
/// new checks took them too before migration 0014) alone; plain `FOR UPDATE` waits on those,
/// and two scans deadlocked on it.
pub(super) async fn lock_datasets(
    tx: &mut Tx,
    engine: DatabaseEngine,
    dataset_ids: &BTreeSet<i64>,
) -> Result<(), StorageError> {
    if engine != DatabaseEngine::Postgres || dataset_ids.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = dataset_ids.iter().copied().collect();
    for chunk in ids.chunks(batch::ROWS_PER_STATEMENT) {
        let mut p = Placeholders::new(engine);
        let mut lock = batch::query(format!(
            "SELECT id FROM datasets WHERE id IN ({}) ORDER BY id FOR NO KEY UPDATE",
            p.list(chunk.len())
        ));
        for id in chunk {
            lock = lock.bind(*id);
        }
        lock.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Recounts the datasets' checks by latest outcome (migration 0010/0011), after their checks'
/// latest outcomes changed: one statement per batch of datasets, each counting its checks
/// through the checks-by-dataset index. The caller has locked them ([`lock_datasets`]).
pub(super) async fn refresh_check_counts(
    tx: &mut Tx,
    engine: DatabaseEngine,
    dataset_ids: &[i64],
) -> Result<(), StorageError> {
    for chunk in dataset_ids.chunks(batch::ROWS_PER_STATEMENT) {
        let mut p = Placeholders::new(engine);
        let sql = format!(
            "UPDATE datasets SET (checks_total, checks_pass, checks_warn, checks_fail) = (\
               SELECT COUNT(*), COUNT(CASE WHEN c.latest_outcome = 'pass' THEN 1 END), \
               COUNT(CASE WHEN c.latest_outcome = 'warn' THEN 1 END), \
               COUNT(CASE WHEN c.latest_outcome = 'fail' THEN 1 END) \
               FROM checks c WHERE c.dataset_id = datasets.id) \
             WHERE id IN ({})",
            p.list(chunk.len())
        );
        let mut q = batch::query(sql);
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Re-points rollups that still point at a removed scan: a check's latest result and a
/// dataset's last scan fall back to the newest that remain, and the checks' outcome runs and
/// the datasets' check counts follow.
pub(super) async fn repair_rollups(
    tx: &mut Tx,
    engine: DatabaseEngine,
    old: &Replaced,
) -> Result<(), StorageError> {
    let datasets: BTreeSet<i64> = old.dataset_ids.iter().copied().collect();
    lock_datasets(tx, engine, &datasets).await?;
    for &check_id in &old.check_ids {
        let points_at_old: Option<i64> =
            sqlx::query_scalar("SELECT id FROM checks WHERE id = $1 AND latest_scan_id = $2")
                .bind(check_id)
                .bind(old.scan_id)
                .fetch_optional(&mut **tx)
                .await?;
        if points_at_old.is_none() {
            continue;
        }
        let latest: Option<ResultSummary> = sqlx::query_as(
            "SELECT id, data_timestamp, outcome, value, scan_id FROM check_results \
             WHERE check_id = $1 ORDER BY data_timestamp DESC, id DESC LIMIT 1",
        )
        .bind(check_id)
        .fetch_optional(&mut **tx)
        .await?;
        let (id, ts, outcome, value, scan) = match latest {
            Some((id, ts, outcome, value, scan)) => {
                (Some(id), Some(ts), outcome, value, Some(scan))
            }
            None => (None, None, None, None, None),
        };
        sqlx::query(
            "UPDATE checks SET latest_result_id = $1, latest_data_timestamp = $2, \
             latest_outcome = $3, latest_value = CAST($4 AS DOUBLE PRECISION), \
             latest_scan_id = $5 WHERE id = $6",
        )
        .bind(id)
        .bind(ts)
        .bind(outcome)
        .bind(nullable_number(value))
        .bind(scan)
        .bind(check_id)
        .execute(&mut **tx)
        .await?;
    }

    for &dataset_id in &old.dataset_ids {
        let latest = sqlx::query(
            "SELECT s.id, s.data_timestamp, s.has_errors FROM scan_datasets sd \
             JOIN scans s ON s.id = sd.scan_id WHERE sd.dataset_id = $1 \
             ORDER BY sd.data_timestamp DESC, sd.scan_id DESC LIMIT 1",
        )
        .bind(dataset_id)
        .fetch_optional(&mut **tx)
        .await?;
        let (id, ts, failed): (Option<i64>, Option<i64>, bool) = match &latest {
            Some(row) => (
                Some(row.try_get(0)?),
                Some(row.try_get(1)?),
                row.try_get::<i64, _>(2)? != 0,
            ),
            None => (None, None, false),
        };
        sqlx::query(
            "UPDATE datasets SET last_scan_id = $1, last_scan_data_timestamp = $2, \
             last_scan_failed = $3 WHERE id = $4 AND last_scan_id = $5",
        )
        .bind(id)
        .bind(ts)
        .bind(i64::from(failed))
        .bind(dataset_id)
        .bind(old.scan_id)
        .execute(&mut **tx)
        .await?;
    }
    outcome_runs::refresh_checks(tx, engine, &old.check_ids).await?;
    let datasets: Vec<i64> = datasets.into_iter().collect();
    refresh_check_counts(tx, engine, &datasets).await
}
