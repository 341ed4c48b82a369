//! Seltzer's own check endpoints, typed in `shared::api` for the dashboard:
//! - `GET /api/checks`: the check results list with filters, sorting, paging and the counts
//!   per outcome;
//! - `GET /api/checks/{id}`: one check, where it is defined, and its identities;
//! - `GET /api/checks/{id}/history`: a check's trend, with the warn and fail zones in force at
//!   each point, downsampled for long ranges;
//! - `GET /api/check-results/{id}`: one result with Soda Core's diagnostics.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use serde_json::value::RawValue;
use shared::api::ApiError;
use shared::api::{
    CheckDetail, CheckHistory, CheckList, CheckListItem, CheckListQuery, CheckOutcome,
    CheckResultDetail, HistoryPoint, HistoryQuery, IdentityRef, OutcomeCounts, PageQuery,
    ReplacedResult, TimeRangeQuery, ValueUnit,
};
use shared::sodacl::evaluate::stored_zones;
use shared::sodacl::threshold::SodaBounds;
use shared::sodacl::units::value_unit;
use shared::sodacl::variables::Variables;
use shared::sodacl::{Options, Zone};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::Caller;
use super::extract::{TypedQuery, paging, param};
use super::{AppState, HttpError};
use crate::storage::{
    CheckFilter, CheckSort, CheckSummary, HistoryRow, RECENT_RESULTS, parse_attributes,
};
use crate::timestamp;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(list_csv))
        .routes(routes!(detail))
        .routes(routes!(history))
        .routes(routes!(history_csv))
        .routes(routes!(result))
}

/// The most identities one `identity` filter may list.
const MAX_IDENTITIES: usize = 200;

/// The most earlier versions a result's page lists (re-sends of one scan are few; a loop that
/// re-sends forever should not make the page slow).
const MAX_REPLACED_SHOWN: usize = 20;

/// Rows read from the database per page of a CSV export.
const CSV_PAGE_ROWS: i64 = 5_000;

/// A cell as a spreadsheet will take it. Text that starts with `=`, `+`, `-`, `@`, a tab or a
/// carriage return is a formula to Excel, LibreOffice and Google Sheets (check names, datasets
/// and attributes come from whoever wrote the checks file): it gets a leading `'`, as OWASP
/// recommends. Numbers (`-5`, `+1e3`) stay numbers.
fn csv_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let risky = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && text.trim().parse::<f64>().is_err() {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// CSV lines (RFC 4180: quoted when needed, CRLF) of `rows`, each cell made safe.
fn csv_lines<R: AsRef<[String]>>(rows: &[R]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in rows {
        // Writing to a Vec cannot fail.
        let _ = writer.write_record(row.as_ref().iter().map(|f| csv_safe(f).into_owned()));
    }
    writer.into_inner().unwrap_or_default()
}

fn csv_response(file_name: &str, body: axum::body::Body) -> Response {
    (
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// A CSV body sent page by page as `next_page` yields them (an empty page ends it): an export
/// of any length takes the memory of one page.
fn csv_stream<S, F, Fut>(header: &[&str], state: S, next_page: F) -> axum::body::Body
where
    S: Send + 'static,
    F: FnMut(S) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(Vec<u8>, S), HttpError>> + Send + 'static,
{
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    let first =
        futures_util::stream::once(std::future::ready(Ok::<_, std::io::Error>(csv_lines(&[
            header,
        ]))));
    let mut next_page = next_page;
    let pages = futures_util::stream::unfold(Some(state), move |state| {
        let fut = state.map(&mut next_page);
        async move {
            match fut?.await {
                Ok((bytes, _)) if bytes.is_empty() => None,
                Ok((bytes, state)) => Some((Ok(bytes), Some(state))),
                // The status is sent already: cut the body short, so the download fails
                // visibly instead of ending early as if complete.
                Err(_) => Some((Err(std::io::Error::other("export failed")), None)),
            }
        }
    });
    // Fused: after its end, the body may be polled again (hyper and the compression layer
    // do), and `unfold` panics if it is.
    let body = futures_util::StreamExt::fuse(futures_util::StreamExt::chain(first, pages));
    axum::body::Body::from_stream(body)
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// The checks list as CSV: the same filters and order as `GET /api/checks`, every page.
#[utoipa::path(get, path = "/checks.csv", tag = "checks", security(("basic" = []), ("bearer" = []), ("session" = [])), params(CheckListQuery), responses((status = 200, description = "CSV, one row per result (RFC 4180)", content_type = "text/csv", body = String), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError)))]
async fn list_csv(
    State(state): State<AppState>,
    _caller: Caller,
    TypedQuery(q): TypedQuery<CheckListQuery>,
) -> Result<Response, HttpError> {
    let (filter, sort, descending) = list_query(&q)?;
    let header = [
        "id",
        "name",
        "outcome",
        "value",
        "data_timestamp",
        "dataset",
        "data_source",
        "column",
        "scan_definition",
        "attributes",
        "outcome_since",
        "streak",
        "recent_flips",
        "last_passed",
    ];
    let body = csv_stream(&header, 0i64, move |offset| {
        let (state, filter) = (state.clone(), filter.clone());
        async move {
            let (checks, _, _) = state
                .db
                .search_checks(&filter, sort, descending, offset, CSV_PAGE_ROWS)
                .await?;
            let rows: Vec<[String; 14]> = checks
                .iter()
                .map(list_item)
                .map(|c| {
                    let attributes = c
                        .attributes
                        .iter()
                        .map(|a| format!("{}={}", a.name, a.value))
                        .collect::<Vec<_>>()
                        .join("; ");
                    [
                        c.id.to_string(),
                        c.name,
                        c.outcome.map_or("notEvaluated", |o| o.as_str()).to_owned(),
                        opt(c.value),
                        opt(c.data_timestamp),
                        opt(c.dataset),
                        c.data_source,
                        opt(c.column),
                        opt(c.scan_definition),
                        attributes,
                        opt(c.outcome_since),
                        c.streak.to_string(),
                        c.recent_flips.to_string(),
                        opt(c.last_passed),
                    ]
                })
                .collect();
            let next = offset + i64::try_from(rows.len()).unwrap_or(0);
            Ok((csv_lines(&rows), next))
        }
    });
    Ok(csv_response("checks.csv", body))
}

/// A check's history as CSV: every result in the range (`from`, `to`, `days` as for the
/// JSON), never downsampled, however many there are.
#[utoipa::path(get, path = "/checks/{checkId}/history.csv", tag = "checks", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("checkId" = i64, Path, description = "Check id"), HistoryQuery, TimeRangeQuery), responses((status = 200, description = "CSV, one row per result (RFC 4180)", content_type = "text/csv", body = String), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn history_csv(
    State(state): State<AppState>,
    _caller: Caller,
    Path(check_id): Path<String>,
    TypedQuery(q): TypedQuery<HistoryQuery>,
    TypedQuery(range): TypedQuery<TimeRangeQuery>,
) -> Result<Response, HttpError> {
    let not_found = || HttpError::not_found(format!("no check with id '{check_id}'"));
    let id: i64 = check_id.parse().map_err(|_| not_found())?;
    let (from, to) = history_range(&q, &range)?;
    if !state.db.check_exists(id).await? {
        return Err(not_found());
    }
    let header = ["data_timestamp", "value", "outcome", "result_id", "scan_id"];
    let body = csv_stream(&header, (i64::MIN, i64::MIN), move |after| {
        let state = state.clone();
        async move {
            let page = state
                .db
                .check_history_page(id, from, to, after, CSV_PAGE_ROWS)
                .await?;
            let next = page.last().map_or(after, |r| (r.2, r.0));
            let rows: Vec<[String; 5]> = page
                .into_iter()
                .map(|(result_id, scan_id, data_timestamp, value, outcome)| {
                    [
                        timestamp::format(data_timestamp),
                        opt(value),
                        outcome.unwrap_or_else(|| "notEvaluated".to_owned()),
                        result_id.to_string(),
                        scan_id.to_string(),
                    ]
                })
                .collect();
            Ok((csv_lines(&rows), next))
        }
    });
    Ok(csv_response(&format!("check-{id}-history.csv"), body))
}

#[utoipa::path(get, path = "/checks", tag = "checks", security(("basic" = []), ("bearer" = []), ("session" = [])), params(CheckListQuery, PageQuery), responses((status = 200, body = CheckList), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError)))]
async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    TypedQuery(q): TypedQuery<CheckListQuery>,
    TypedQuery(p): TypedQuery<PageQuery>,
) -> Result<Json<CheckList>, HttpError> {
    let (filter, sort, descending) = list_query(&q)?;
    let (page, size) = paging(&p, 50, 1, 500)?;
    let (checks, total, [pass, warn, fail, not_evaluated]) = state
        .db
        .search_checks(&filter, sort, descending, page * size, size)
        .await?;
    let mut items: Vec<CheckListItem> = checks.iter().map(list_item).collect();
    with_open_incidents(&state, &mut items).await?;
    Ok(Json(CheckList {
        items,
        total,
        page,
        size,
        counts: OutcomeCounts {
            pass,
            warn,
            fail,
            not_evaluated,
        },
    }))
}

/// The filters and order of the checks list, from its query parameters.
fn list_query(q: &CheckListQuery) -> Result<(CheckFilter, CheckSort, bool), HttpError> {
    let outcome = match param("outcome", &q.outcome).text() {
        None => None,
        Some(o @ ("pass" | "warn" | "fail" | "notEvaluated")) => Some(o.to_owned()),
        Some(other) => {
            return Err(HttpError::bad_request(format!(
                "outcome '{other}' is not one of pass, warn, fail, notEvaluated"
            )));
        }
    };
    let attribute = param("attribute", &q.attribute)
        .text()
        .map(|a| {
            a.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| HttpError::bad_request("attribute must be written name=value"))
        })
        .transpose()?;
    let search = param("search", &q.search).search()?;
    let identities: Vec<String> = param("identity", &q.identity)
        .text()
        .map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|i| !i.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if identities.len() > MAX_IDENTITIES {
        return Err(HttpError::bad_request(format!(
            "identity lists at most {MAX_IDENTITIES} identities"
        )));
    }
    if let Some(long) = identities.iter().find(|i| i.chars().count() > 200) {
        return Err(HttpError::bad_request(format!(
            "identity '{}…' is longer than 200 characters",
            long.chars().take(20).collect::<String>()
        )));
    }
    let filter = CheckFilter {
        outcome,
        dataset_id: param("datasetId", &q.dataset_id).id("a dataset id")?,
        data_source: param("dataSource", &q.data_source)
            .text()
            .map(str::to_owned),
        attribute,
        search,
        identities,
        min_flips: match param("minFlips", &q.min_flips).text() {
            None => None,
            Some(_) => Some(param("minFlips", &q.min_flips).int(1, 1, RECENT_RESULTS - 1)?),
        },
    };
    let sort = match param("sort", &q.sort).text().unwrap_or("name") {
        "name" => CheckSort::Name,
        "outcome" => CheckSort::Outcome,
        "dataset" => CheckSort::Dataset,
        "dataTimestamp" => CheckSort::DataTimestamp,
        "value" => CheckSort::Value,
        "since" => CheckSort::Since,
        "flips" => CheckSort::Flips,
        other => {
            return Err(HttpError::bad_request(format!(
                "sort '{other}' is not one of name, outcome, dataset, dataTimestamp, value, \
                 since, flips"
            )));
        }
    };
    let descending = match param("order", &q.order).text().unwrap_or("asc") {
        "asc" => false,
        "desc" => true,
        other => {
            return Err(HttpError::bad_request(format!(
                "order '{other}' is not asc or desc"
            )));
        }
    };
    Ok((filter, sort, descending))
}

/// Marks each check with the open incidents its results are linked to.
async fn with_open_incidents(
    state: &AppState,
    items: &mut [CheckListItem],
) -> Result<(), HttpError> {
    let ids: Vec<i64> = items.iter().map(|c| c.id).collect();
    for (check_id, incident, _, status) in state.db.incidents_of_checks(&ids).await? {
        if status != "resolved"
            && let Some(item) = items.iter_mut().find(|c| c.id == check_id)
        {
            item.open_incidents.push(incident);
        }
    }
    Ok(())
}

fn list_item(c: &CheckSummary) -> CheckListItem {
    let attributes = parse_attributes(&c.attributes);
    CheckListItem {
        id: c.id,
        name: c.name.clone(),
        outcome: c.latest_outcome.as_deref().and_then(CheckOutcome::parse),
        dataset_id: c.dataset_id,
        dataset: c.dataset_name.clone(),
        data_source: c.data_source.clone(),
        column: c.column.clone(),
        value: c.latest_value,
        unit: value_unit(&c.definition),
        data_timestamp: c.latest_data_timestamp.map(timestamp::format),
        scan_definition: c.scan_definition.clone(),
        attributes,
        identity: c.identity.clone(),
        outcome_since: c.outcome_since.map(timestamp::format),
        streak: c.outcome_streak,
        recent_flips: c.recent_flips,
        last_passed: c.last_pass.map(timestamp::format),
        open_incidents: Vec::new(),
    }
}

#[utoipa::path(get, path = "/checks/{checkId}", tag = "checks", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("checkId" = i64, Path, description = "Check id")), responses((status = 200, body = CheckDetail), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn detail(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CheckDetail>, HttpError> {
    let not_found = || HttpError::not_found(format!("no check with id '{id}'"));
    let check_id: i64 = id.parse().map_err(|_| not_found())?;
    let d = state
        .db
        .check_definition(check_id)
        .await?
        .ok_or_else(not_found)?;
    let mut check = [list_item(&d.summary)];
    with_open_incidents(&state, &mut check).await?;
    let [check] = check;
    Ok(Json(CheckDetail {
        check,
        check_type: d.summary.check_type.clone(),
        definition: d.summary.definition.clone(),
        file_path: d.file_path,
        line: d.line,
        col: d.col,
        identities: d
            .identities
            .into_iter()
            .map(|(version, identity)| IdentityRef { version, identity })
            .collect(),
        latest_result_id: d.summary.latest_result_id,
        created_at: timestamp::format(d.summary.created_at),
    }))
}

#[utoipa::path(get, path = "/check-results/{resultId}", tag = "checks", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("resultId" = i64, Path, description = "Check result id")), responses((status = 200, body = CheckResultDetail), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn result(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CheckResultDetail>, HttpError> {
    let not_found = || HttpError::not_found(format!("no check result with id '{id}'"));
    let result_id: i64 = id.parse().map_err(|_| not_found())?;
    let r = state
        .db
        .check_result(result_id)
        .await?
        .ok_or_else(not_found)?;
    let replaced = state.db.replaced_results(&r, MAX_REPLACED_SHOWN).await?;
    let json = |text: &str| serde_json::from_str(text).unwrap_or(Value::Null);
    Ok(Json(CheckResultDetail {
        id: r.id,
        check_id: r.check_id,
        scan_id: r.scan_id,
        data_timestamp: timestamp::format(r.data_timestamp),
        value: r.value,
        unit: value_unit(&r.definition),
        outcome: r.outcome.as_deref().and_then(CheckOutcome::parse),
        name: r.name,
        definition: r.definition,
        diagnostics: json(&r.diagnostics),
        outcome_reasons: r.outcome_reasons.as_deref().map_or(Value::Null, json),
        sample_rows: r.sample_rows,
        replaced: replaced
            .into_iter()
            .map(|old| ReplacedResult {
                replaced_at: timestamp::format(old.replaced_at),
                outcome: old.outcome.as_deref().and_then(CheckOutcome::parse),
                value: old.value,
            })
            .collect(),
    }))
}

#[utoipa::path(get, path = "/checks/{checkId}/history", tag = "checks", security(("basic" = []), ("bearer" = []), ("session" = [])), params(("checkId" = i64, Path, description = "Check id"), HistoryQuery, TimeRangeQuery), responses((status = 200, body = CheckHistory), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 404, description = "No such object", body = ApiError)))]
async fn history(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
    TypedQuery(q): TypedQuery<HistoryQuery>,
    TypedQuery(range): TypedQuery<TimeRangeQuery>,
) -> Result<Json<CheckHistory>, HttpError> {
    Ok(Json(load_history(&state, &id, &q, &range).await?))
}

/// The history the JSON and the CSV both serve.
async fn load_history(
    state: &AppState,
    id: &str,
    q: &HistoryQuery,
    range: &TimeRangeQuery,
) -> Result<CheckHistory, HttpError> {
    let not_found = || HttpError::not_found(format!("no check with id '{id}'"));
    let check_id: i64 = id.parse().map_err(|_| not_found())?;
    let (from, to) = history_range(q, range)?;
    let max_points =
        usize::try_from(param("maxPoints", &q.max_points).int(1000, 2, 10_000)?).unwrap_or(1000);
    let rows = state.db.check_history(check_id, from, to).await?;
    // Results prove the check exists; only an empty range needs asking.
    if rows.is_empty() && !state.db.check_exists(check_id).await? {
        return Err(not_found());
    }
    let total_points = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    let (rows, downsampled) = downsample(rows, max_points);
    let mut points: Vec<HistoryPoint> = rows.iter().map(point).collect();
    if !points.is_empty() && points.iter().all(|p| p.fail.is_none() && p.warn.is_none()) {
        draw_freshness_zones(state, check_id, &mut points).await?;
    }
    Ok(CheckHistory {
        check_id,
        points,
        total_points,
        downsampled,
    })
}

/// Soda Core reports no bounds with a freshness result; its zones come from the check's
/// definition (as it is now), in the milliseconds the ages are stored in.
async fn draw_freshness_zones(
    state: &AppState,
    check_id: i64,
    points: &mut [HistoryPoint],
) -> Result<(), HttpError> {
    let Some(d) = state.db.check_definition(check_id).await? else {
        return Ok(());
    };
    if value_unit(&d.summary.definition) != ValueUnit::Milliseconds {
        return Ok(());
    }
    let report = shared::sodacl::parse(&d.summary.definition, &Options::default());
    let zones = report
        .checks
        .first()
        .and_then(|check| stored_zones(check, &Variables::default()));
    if let Some(zones) = zones {
        for p in points {
            p.fail = zones.fail;
            p.warn = zones.warn;
        }
    }
    Ok(())
}

/// The data-time range of a history request: `from`/`to`, or the last `days`.
fn history_range(q: &HistoryQuery, range: &TimeRangeQuery) -> Result<(i64, i64), HttpError> {
    let to = param("to", &range.to).time()?.unwrap_or(i64::MAX);
    let days = param("days", &q.days);
    let from = match (param("from", &range.from).time()?, days.text()) {
        (Some(_), Some(_)) => return Err(HttpError::bad_request("give from or days, not both")),
        (Some(from), None) => from,
        (None, Some(_)) => timestamp::now() - days.int(30, 1, 36_500)? * 86_400_000,
        (None, None) => i64::MIN,
    };
    Ok((from, to))
}

fn point(row: &HistoryRow) -> HistoryPoint {
    let (result_id, scan_id, data_timestamp, value, outcome, diagnostics) = row;
    // Only the two zones are read, borrowed from the text: a chart asks for hundreds of points.
    let zones: ZoneFields = serde_json::from_str(diagnostics).unwrap_or_default();
    let zone = |raw: Option<&RawValue>| {
        raw.filter(|r| r.get().starts_with('{'))
            .and_then(|r| serde_json::from_str::<SodaBounds>(r.get()).ok())
            .filter(|b| *b != SodaBounds::default())
            .map(|b| Zone::from_soda_bounds(&b))
    };
    HistoryPoint {
        result_id: *result_id,
        scan_id: *scan_id,
        data_timestamp: timestamp::format(*data_timestamp),
        value: *value,
        outcome: outcome.as_deref().and_then(CheckOutcome::parse),
        fail: zone(zones.fail),
        warn: zone(zones.warn),
    }
}

/// The zones of a check result's diagnostics, left as raw JSON until known to be objects.
#[derive(Debug, Default, serde::Deserialize)]
struct ZoneFields<'a> {
    #[serde(borrow, default)]
    fail: Option<&'a RawValue>,
    #[serde(borrow, default)]
    warn: Option<&'a RawValue>,
}

/// Keeps at most `max` points for a chart: the time range is cut into `max` equal buckets and
/// each keeps its worst result (fail, then warn, then not evaluated, then pass; the latest on
/// ties), so a failure never disappears from a long range.
fn downsample(rows: Vec<HistoryRow>, max: usize) -> (Vec<HistoryRow>, bool) {
    if rows.len() <= max {
        return (rows, false);
    }
    let (first, last) = (rows[0].2, rows[rows.len() - 1].2);
    let span = i128::from(last - first).max(1);
    let rank = |o: &Option<String>| match o.as_deref() {
        Some("fail") => 3,
        Some("warn") => 2,
        None => 1,
        _ => 0,
    };
    let mut buckets: Vec<Option<HistoryRow>> = vec![None; max];
    for row in rows {
        let offset = i128::from(row.2 - first) * (max as i128 - 1) / span;
        let slot = usize::try_from(offset).unwrap_or(0).min(max - 1);
        let keep = match &buckets[slot] {
            Some(kept) => rank(&row.4) >= rank(&kept.4),
            None => true,
        };
        if keep {
            buckets[slot] = Some(row);
        }
    }
    (buckets.into_iter().flatten().collect(), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(t: i64, outcome: Option<&str>) -> HistoryRow {
        (
            t,
            1,
            t,
            Some(t as f64),
            outcome.map(str::to_owned),
            "{}".to_owned(),
        )
    }

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        let line = |fields: &[&str]| {
            let row: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
            String::from_utf8(csv_lines(&[row])).unwrap()
        };
        assert_eq!(line(&["row_count > 0"]), "row_count > 0\r\n");
        assert_eq!(
            line(&["a,b", "say \"hi\""]),
            "\"a,b\",\"say \"\"hi\"\"\"\r\n"
        );
        assert_eq!(line(&["x", "y\nz"]), "x,\"y\nz\"\r\n");
    }

    #[test]
    fn csv_cells_that_a_spreadsheet_would_run_are_neutralised_numbers_kept() {
        for formula in [
            "=1+1",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "=HYPERLINK(\"http://e\")",
        ] {
            assert_eq!(csv_safe(formula), format!("'{formula}"), "{formula:?}");
        }
        for kept in ["-5", "+1e3", "-0.25", "row_count > 0", "", "a=b"] {
            assert_eq!(csv_safe(kept), kept, "{kept:?}");
        }
    }

    #[test]
    fn downsampling_keeps_failures_and_the_order() {
        let rows: Vec<HistoryRow> = (0..1000)
            .map(|t| row(t, Some(if t == 501 { "fail" } else { "pass" })))
            .collect();
        let (kept, downsampled) = downsample(rows, 10);
        assert!(downsampled);
        assert!(kept.len() <= 10);
        assert!(kept.iter().any(|r| r.4.as_deref() == Some("fail")));
        assert!(kept.windows(2).all(|w| w[0].2 < w[1].2));
        let (all, downsampled) = downsample(vec![row(1, None), row(2, None)], 10);
        assert_eq!((all.len(), downsampled), (2, false));
    }
}
