//! Soda Core 4's batched runs: what it sends instead of one `sodaCoreInsertScanResults` when it
//! runs under an orchestrator that set `SODA_SCAN_ID` (`sodaCoreScanStart` → results document in
//! `sodaCoreInsertScanDataBatch` → log lines streamed to `/api/logs/{scanId}/batchV4` →
//! `sodaCoreScanEndAsync`), and `sodaCoreMarkScanFailed` when such a run fails before it has
//! results. Seltzer stores a batched run as one scan when it ends, as Soda Cloud ingests it
//! only then; a run marked failed becomes a failed scan with its logs.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use shared::api::{ApiError, ErrorCode, Role};

use super::{
    AppState, Envelope, HttpError, Sender, authenticate, command_limit, envelope_string, may_send,
    parse_results, read_body, store_results,
};
use crate::storage::{BatchedRun, StreamedLog};
use crate::timestamp;

/// The token of a command body, removed so it is never kept with the document.
fn take_token(envelope: &mut Envelope) -> Option<String> {
    envelope
        .remove("token")
        .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok())
}

/// Soda Core stops streaming a run's logs on this answer (and on a 404), instead of retrying.
fn invalid_state(run: &BatchedRun) -> Response {
    let message = format!(
        "the run '{}' ({}) is {}, not open: it takes no more batches",
        run.run_id, run.reference, run.state
    );
    let answer = json!({"code": "invalid_scan_state", "message": message});
    (StatusCode::BAD_REQUEST, Json(answer)).into_response()
}

/// The open run `reference`, if `api_key` opened it (or acts as an editor or admin).
async fn run_of(
    state: &AppState,
    reference: &str,
    api_key: &str,
    role: Role,
) -> Result<BatchedRun, HttpError> {
    let run = state.db.batched_run(reference).await?.ok_or_else(|| {
        HttpError::bad_request(format!(
            "scanReference: no run '{reference}' (sodaCoreScanStart opens one)"
        ))
    })?;
    if run.api_key_id.as_deref() != Some(api_key) && role < Role::Editor {
        return Err(HttpError::new(
            ErrorCode::Forbidden,
            format!("the run '{reference}' was opened with another API key"),
        ));
    }
    Ok(run)
}

/// `sodaCoreScanStart {scanId, definitionName, defaultDataSource, dataTimestamp}` →
/// `{"scanReference"}`.
pub(super) async fn start(state: &AppState, mut envelope: Envelope) -> Result<Response, HttpError> {
    let token = take_token(&mut envelope);
    let (api_key, _role) = authenticate(state, token.as_deref()).await?;
    let run_id = envelope_string(&envelope, "scanId")?;
    if run_id.is_empty() || run_id.len() > 200 {
        return Err(HttpError::bad_request(
            "field `scanId` must be 1 to 200 characters",
        ));
    }
    let definition = envelope_string(&envelope, "definitionName")?;
    let data_source = envelope_string(&envelope, "defaultDataSource")?;
    let data_timestamp = envelope_string(&envelope, "dataTimestamp").ok();
    may_send(state, &api_key, [data_source.as_str()]).await?;
    let reference = state
        .db
        .start_batched_run(
            &run_id,
            &definition,
            &data_source,
            data_timestamp.as_deref(),
            Some(&api_key),
        )
        .await?;
    Ok(Json(json!({"scanReference": reference})).into_response())
}

/// `sodaCoreInsertScanDataBatch`: the run's results document, with its `scanReference`. Read
/// now, so a document Seltzer cannot store is refused while the client can still say so.
pub(super) async fn data(state: &AppState, mut envelope: Envelope) -> Result<Response, HttpError> {
    let token = take_token(&mut envelope);
    let (api_key, role) = authenticate(state, token.as_deref()).await?;
    let reference = envelope_string(&envelope, "scanReference")?;
    let run = run_of(state, &reference, &api_key, role).await?;
    if run.state != "started" {
        return Ok(invalid_state(&run));
    }
    let document = serde_json::to_string(&envelope)
        .map_err(|e| HttpError::bad_request(format!("cannot keep the document: {e}")))?;
    let doc = parse_results(&envelope, document.as_bytes())?;
    let sent = doc
        .all_checks()
        .map(|c| doc.data_source_of(c))
        .chain([doc.default_data_source.as_str()]);
    may_send(state, &api_key, sent).await?;
    if !state.db.set_batched_document(&reference, &document).await? {
        return Ok(invalid_state(&run));
    }
    Ok(Json(json!({})).into_response())
}

/// The document's own logs, then the streamed lines.
fn with_streamed_logs(envelope: &mut Envelope, streamed: Vec<String>) -> Result<(), HttpError> {
    let mut logs: Vec<Box<RawValue>> = match envelope.get("logs") {
        Some(raw) => serde_json::from_str(raw.get())
            .map_err(|_| HttpError::bad_request("field `logs` must be a list"))?,
        None => Vec::new(),
    };
    for line in streamed {
        logs.push(
            RawValue::from_string(line)
                .map_err(|e| HttpError::bad_request(format!("a streamed log line: {e}")))?,
        );
    }
    let joined = serde_json::to_string(&logs)
        .and_then(RawValue::from_string)
        .map_err(|e| HttpError::bad_request(format!("the logs: {e}")))?;
    envelope.insert("logs".to_owned(), joined);
    Ok(())
}

/// `sodaCoreScanEndAsync {scanReference}`: the run's document and streamed logs stored as one
/// scan. One Seltzer stores it, however many receive the command.
pub(super) async fn end(
    state: &AppState,
    headers: &HeaderMap,
    mut envelope: Envelope,
) -> Result<Response, HttpError> {
    let token = take_token(&mut envelope);
    let (api_key, role) = authenticate(state, token.as_deref()).await?;
    let reference = envelope_string(&envelope, "scanReference")?;
    let run = run_of(state, &reference, &api_key, role).await?;
    if !state
        .db
        .move_batched_run(&reference, "started", "ending", None)
        .await?
    {
        return Ok(invalid_state(&run));
    }
    // Read again: the document may have come while this request waited.
    let stored = match state.db.batched_run(&reference).await? {
        Some(BatchedRun {
            document: Some(document),
            ..
        }) => {
            let stored = async {
                let mut doc: Envelope = serde_json::from_str(&document)
                    .map_err(|e| HttpError::bad_request(format!("the kept document: {e}")))?;
                with_streamed_logs(&mut doc, state.db.batched_logs(&reference).await?)?;
                let bytes = serde_json::to_vec(&doc)
                    .map_err(|e| HttpError::bad_request(format!("the kept document: {e}")))?;
                let sender = Sender {
                    api_key: &api_key,
                    role,
                    headers,
                };
                store_results(state, &sender, &doc, &bytes).await
            }
            .await;
            match stored {
                Ok(stored) => Some(stored),
                Err(e) => {
                    // Open again, so the client may end it once the cause is fixed.
                    state
                        .db
                        .move_batched_run(&reference, "ending", "started", None)
                        .await?;
                    return Err(e);
                }
            }
        }
        // A run that sent no results (nothing discovered, nothing verified) stores nothing.
        _ => None,
    };
    let scan_id = stored.as_ref().and_then(|s| s.scan_id);
    state
        .db
        .move_batched_run(&reference, "ending", "ended", scan_id)
        .await?;
    Ok(Json(stored.map_or_else(|| json!({}), |s| s.answer)).into_response())
}

/// `sodaCoreMarkScanFailed {scanId, logs}`: a managed run failed before it had results. A run
/// the client opened becomes a failed scan of its definition and data source, with the lines it
/// streamed and the ones it reports now. A run it never opened (a contract verification opens
/// none) names no data source to file a scan under: the failure and its logs are kept on a run
/// of that id. A run Seltzer itself started (`run-N`, with that run's key) is its runner's to
/// tell: it holds the whole output, and the run fails for want of results.
pub(super) async fn failed(
    state: &AppState,
    headers: &HeaderMap,
    mut envelope: Envelope,
) -> Result<Response, HttpError> {
    let token = take_token(&mut envelope);
    let (api_key, role) = authenticate(state, token.as_deref()).await?;
    let run_id = envelope_string(&envelope, "scanId")?;
    if let Some(run) = state.db.api_key_run(&api_key).await?
        && run_id == shared::api::run_scan_id(run.id)
    {
        return Ok(Json(json!({"scanId": run_id})).into_response());
    }
    let reported: Vec<Value> = match envelope.get("logs") {
        Some(raw) => serde_json::from_str(raw.get())
            .map_err(|_| HttpError::bad_request("field `logs` must be a list of log records"))?,
        None => Vec::new(),
    };
    let open = state
        .db
        .latest_batched_run(&run_id)
        .await?
        .filter(|r| r.state == "started");
    let Some(run) = open else {
        if run_id.is_empty() || run_id.len() > 200 {
            return Err(HttpError::bad_request(
                "field `scanId` must be 1 to 200 characters",
            ));
        }
        let lines = reported
            .iter()
            .enumerate()
            .map(|(i, v)| streamed_line(i + 1, &v.to_string()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| HttpError::bad_request(format!("logs: {e}")))?;
        let reference = state
            .db
            .start_batched_run(&run_id, &run_id, "", None, Some(&api_key))
            .await?;
        state.db.add_batched_logs(&reference, &lines).await?;
        state
            .db
            .move_batched_run(&reference, "started", "failed", None)
            .await?;
        tracing::warn!(
            run = run_id,
            "Soda Core reported a failed managed run that it never opened here; its logs are \
             kept with the run"
        );
        return Ok(Json(json!({"scanId": run_id})).into_response());
    };
    let run = run_of(state, &run.reference, &api_key, role).await?;
    let now = timestamp::format(timestamp::now());
    let data_timestamp = run.data_timestamp.clone().unwrap_or_else(|| now.clone());
    let raw = |v: Value| {
        RawValue::from_string(v.to_string()).map_err(|e| HttpError::bad_request(e.to_string()))
    };
    let mut doc = Envelope::new();
    for (key, value) in [
        ("type", json!("sodaCoreMarkScanFailed")),
        ("version", json!("4")),
        ("scanId", json!(run_id)),
        ("definitionName", json!(run.definition)),
        ("defaultDataSource", json!(run.data_source)),
        ("dataTimestamp", json!(data_timestamp)),
        ("scanStartTimestamp", json!(data_timestamp)),
        ("scanEndTimestamp", json!(now)),
        ("hasErrors", json!(true)),
        ("checks", json!([])),
        ("logs", json!(reported)),
    ] {
        doc.insert(key.to_owned(), raw(value)?);
    }
    with_streamed_logs(&mut doc, state.db.batched_logs(&run.reference).await?)?;
    let bytes = serde_json::to_vec(&doc)
        .map_err(|e| HttpError::bad_request(format!("the failure: {e}")))?;
    let sender = Sender {
        api_key: &api_key,
        role,
        headers,
    };
    let stored = store_results(state, &sender, &doc, &bytes).await?;
    state
        .db
        .move_batched_run(&run.reference, "started", "failed", stored.scan_id)
        .await?;
    Ok(Json(json!({"scanId": run_id})).into_response())
}

/// One streamed line as Seltzer keeps it: the client's thread and index, and the line.
fn streamed_line(number: usize, line: &str) -> Result<StreamedLog, String> {
    let bad = |what: &str| format!("line {number}: {what}");
    let value: Value = serde_json::from_str(line).map_err(|e| bad(&format!("not JSON: {e}")))?;
    let Some(object) = value.as_object() else {
        return Err(bad("not a JSON object"));
    };
    if !object.get("message").is_some_and(Value::is_string) {
        return Err(bad("`message` must be text"));
    }
    let thread = match object.get("thread") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let index = match object.get("index") {
        Some(i) => i
            .as_i64()
            .ok_or_else(|| bad("`index` must be a whole number"))?,
        // Without an index, the line's place in the batch keeps it apart from the others.
        None => i64::try_from(number).unwrap_or(i64::MAX),
    };
    Ok(StreamedLog {
        thread,
        index,
        line: value.to_string(),
    })
}

/// A batched run's log lines (JSON Lines), the token in a bare `Authorization` header.
#[utoipa::path(post, path = "/logs/{scanId}/{batch}", tag = "soda-core", description = "Soda Core 4's log stream of a batched run (batchV4: addressed by the run's SODA_SCAN_ID; batchV3: by its scanReference): JSON Lines, the token in a bare Authorization header. A line sent again (same thread and index) is kept once.", params(("scanId" = String, Path, description = "The run's SODA_SCAN_ID (batchV4) or scanReference (batchV3)"), ("batch" = String, Path, description = "batchV4 or batchV3")), responses((status = 200, description = "{}"), (status = 400, description = "A line is invalid (the message names it), or the run takes no more logs (code invalid_scan_state)", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 404, description = "No such run", body = ApiError), (status = 413, description = "Body too large, or the run holds as many log bytes as one results document may", body = ApiError)))]
pub(super) async fn logs(
    State(state): State<AppState>,
    Path((run_id, batch)): Path<(String, String)>,
    request: axum::extract::Request,
) -> Result<Response, HttpError> {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .map(|h| h.strip_prefix("Bearer ").unwrap_or(h).trim().to_owned());
    // The token is in a header: checked before a byte of the body is read.
    let (api_key, role) = authenticate(&state, token.as_deref()).await?;
    let run = match batch.as_str() {
        "batchV4" => state.db.latest_batched_run(&run_id).await?,
        "batchV3" => state.db.batched_run(&run_id).await?,
        other => {
            return Err(HttpError::new(
                ErrorCode::NotFound,
                format!("no log stream '{other}' (batchV4 or batchV3)"),
            ));
        }
    };
    let Some(run) = run else {
        return Err(HttpError::new(
            ErrorCode::NotFound,
            format!("no run '{run_id}' (sodaCoreScanStart opens one)"),
        ));
    };
    let run = run_of(&state, &run.reference, &api_key, role).await?;
    if run.state != "started" {
        return Ok(invalid_state(&run));
    }
    let limit = state.ingest.max_body_bytes;
    let (bytes, _budget) =
        read_body(&state, request.into_body(), limit, &command_limit(&state)).await?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| HttpError::bad_request(format!("the log lines are not UTF-8: {e}")))?;
    let lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| streamed_line(i + 1, l))
        .collect::<Result<Vec<_>, _>>()
        .map_err(HttpError::bad_request)?;
    // A run's logs join its results document when it ends: together they stay within what one
    // document may weigh.
    let held = usize::try_from(state.db.batched_log_bytes(&run.reference).await?).unwrap_or(0);
    if held + bytes.len() > limit {
        return Err(HttpError::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "the run '{run_id}' holds {held} bytes of logs; with these it would pass {}",
                command_limit(&state)
            ),
        ));
    }
    state.db.add_batched_logs(&run.reference, &lines).await?;
    Ok(Json(json!({})).into_response())
}
