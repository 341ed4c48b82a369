//! The Soda Cloud protocol's routes, as Soda Core 3.5.6 and 4.x speak it: `POST /api/command`,
//! `POST /api/query`, `POST /api/scan/upload`. What the bodies mean is in `crate::soda`.
//!
//! Soda Core reads every response body as JSON before it looks at the status, and only logs in
//! again after a 401 with a JSON body, so every answer here, errors included, is JSON.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use shared::api::ErrorCode;
use shared::api::{ApiError, DryRunCheck, Role};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

mod batched;
mod on_runner;

use super::{AppState, HttpError, auth};
use crate::credentials;
use crate::soda::document::ScanResults;
use crate::soda::{contract_results, document, history_filter};
use crate::storage::{NewSample, ScanSender};

/// The largest `/api/query` body: Soda Core's history queries are a few kilobytes.
const MAX_QUERY_BYTES: usize = 256 * 1024;

/// How long a body waits for room in the budget before the client is told to retry.
const BODY_BUDGET_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Reads a request body of at most `limit` bytes within the state's body budget (see
/// [`IngestConfig::body_budget_kib`]); the permit holds its share until dropped.
async fn read_body(
    state: &AppState,
    body: axum::body::Body,
    limit: usize,
    limit_text: &str,
) -> Result<(Bytes, tokio::sync::OwnedSemaphorePermit), HttpError> {
    use futures_util::StreamExt as _;
    let mut stream = body.into_data_stream();
    let mut buffer: Vec<u8> = Vec::new();
    let mut held: Option<tokio::sync::OwnedSemaphorePermit> = None;
    let mut held_kib = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| HttpError::bad_request(format!("cannot read the request body: {e}")))?;
        let total = buffer.len() + chunk.len();
        if total > limit {
            return Err(too_large(limit_text));
        }
        let need_kib = total.div_ceil(1024);
        if need_kib > held_kib {
            let more = u32::try_from(need_kib - held_kib).unwrap_or(u32::MAX);
            let permit = tokio::time::timeout(
                BODY_BUDGET_WAIT,
                state.body_budget.clone().acquire_many_owned(more),
            )
            .await
            .map_err(|_| busy())?
            .map_err(|_| busy())?;
            match &mut held {
                Some(h) => h.merge(permit),
                None => held = Some(permit),
            }
            held_kib = need_kib;
        }
        buffer.extend_from_slice(&chunk);
    }
    let permit = match held {
        Some(p) => p,
        None => state
            .body_budget
            .clone()
            .try_acquire_many_owned(0)
            .map_err(|_| busy())?,
    };
    Ok((Bytes::from(buffer), permit))
}

fn busy() -> HttpError {
    HttpError::new(
        ErrorCode::Unavailable,
        "Seltzer is receiving as many scan results as it holds at once; retry shortly",
    )
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    // `/command` and `/scan/upload` read their bodies themselves, within the body budget
    // (`read_body`); `/scan/upload` only after its token.
    let (schemas, paths, query) = routes!(query);
    OpenApiRouter::new()
        .routes(routes!(command))
        .routes((
            schemas,
            paths,
            query.layer(DefaultBodyLimit::max(MAX_QUERY_BYTES)),
        ))
        .routes(routes!(upload))
        .routes(routes!(batched::logs))
}

/// Reads the body, turning a too-large one into a 413 that says what the limit is.
fn body_bytes(limit: &str, body: Result<Bytes, BytesRejection>) -> Result<Bytes, HttpError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large(limit)
        } else {
            HttpError::bad_request(format!("cannot read the request body: {rejection}"))
        }
    })
}

fn too_large(limit: &str) -> HttpError {
    HttpError::new(
        ErrorCode::PayloadTooLarge,
        format!("the request body is larger than {limit}"),
    )
}

fn command_limit(state: &AppState) -> String {
    format!(
        "{} bytes (SELTZER_MAX_BODY_BYTES)",
        state.ingest.max_body_bytes
    )
}

fn json_body(bytes: &[u8]) -> Result<Value, HttpError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| HttpError::bad_request(format!("the body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(HttpError::bad_request("the body must be a JSON object"));
    }
    Ok(value)
}

/// The top level of a command body with each member kept as raw JSON text: a 1.5 MB scan
/// results document is then read once into its typed form and stored without its token,
/// instead of being built as a JSON tree, converted, and written out again (a fifth of a
/// 1,000-check scan's CPU time). Keys come out sorted, as they did from the tree.
type Envelope = std::collections::BTreeMap<String, Box<serde_json::value::RawValue>>;

fn envelope(bytes: &[u8]) -> Result<Envelope, HttpError> {
    serde_json::from_slice(bytes).map_err(|e| {
        if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() {
            HttpError::bad_request("the body must be a JSON object")
        } else {
            HttpError::bad_request(format!("the body is not valid JSON: {e}"))
        }
    })
}

fn envelope_string(envelope: &Envelope, field: &str) -> Result<String, HttpError> {
    match envelope.get(field) {
        Some(raw) => serde_json::from_str::<String>(raw.get())
            .map_err(|_| HttpError::bad_request(format!("field `{field}` must be a string"))),
        None => Err(HttpError::bad_request(format!("missing field `{field}`"))),
    }
}

/// The API key (id, role) behind the token, or a 401 that makes Soda Core log in again.
async fn authenticate(state: &AppState, token: Option<&str>) -> Result<(String, Role), HttpError> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(HttpError::new(
            ErrorCode::Unauthorized,
            "missing token: log in with the `login` command first",
        ));
    };
    let key = state.db.authenticate_token(token).await?;
    key.ok_or_else(|| {
        HttpError::new(
            ErrorCode::Unauthorized,
            "the token is unknown, expired or its API key was revoked; log in again",
        )
    })
}

#[utoipa::path(post, path = "/command", tag = "soda-core", description = "Soda Core's commands: login (API key id and secret in the body), sodaCoreInsertScanResults (Soda Core 3's, and Soda Core 4's with \"version\": \"4\") and sodaCoreUploadContractFile, sodaCorePublishContract, sodaCoreVerifyContract and sodaCoreTestContract (Soda Core 4's `soda contract verify -r`: a run of the Soda Core 4 scan definition of the contract's dataset, followed at /api/v1/scans/run-N), the batched-run commands (token in the body).", responses((status = 200, description = "JSON"), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The API key may not send scans of this data source", body = ApiError), (status = 409, description = "It would replace a scan another API key sent", body = ApiError), (status = 413, description = "Body too large", body = ApiError), (status = 429, description = "Too many wrong secrets for this API key", body = ApiError), (status = 503, description = "Busy; retry", body = ApiError)))]
async fn command(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, HttpError> {
    let (bytes, _budget) = read_body(
        &state,
        body,
        state.ingest.max_body_bytes,
        &command_limit(&state),
    )
    .await?;
    let mut envelope = envelope(&bytes)?;
    match envelope_string(&envelope, "type")?.as_str() {
        "login" => {
            let key_id = envelope_string(&envelope, "apiKeyId")?;
            let secret = envelope_string(&envelope, "apiKeySecret")?;
            let ttl_ms =
                i64::try_from(state.ingest.token_ttl_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
            match auth::api_key_token(&state, &key_id, &secret, ttl_ms).await? {
                Some(token) => Ok(Json(json!({"token": token.token})).into_response()),
                None => Err(HttpError::new(
                    ErrorCode::Unauthorized,
                    "unknown API key id or wrong secret (create a key with `seltzer api-key create`)",
                )),
            }
        }
        "sodaCoreInsertScanResults" => {
            // The payload is kept for re-processing, but never with the client's token in it.
            let token = envelope
                .remove("token")
                .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok());
            let (api_key, role) = authenticate(&state, token.as_deref()).await?;
            let sender = Sender {
                api_key: &api_key,
                role,
                headers: &headers,
            };
            let stored = store_results(&state, &sender, &envelope, &bytes).await?;
            Ok(Json(stored.answer).into_response())
        }
        "sodaCoreScanStart" => batched::start(&state, envelope).await,
        "sodaCoreInsertScanDataBatch" => batched::data(&state, envelope).await,
        "sodaCoreScanEndAsync" => batched::end(&state, &headers, envelope).await,
        "sodaCoreMarkScanFailed" => batched::failed(&state, &headers, envelope).await,
        "sodaCoreVerifyContract" => on_runner::verify(&state, &envelope, true).await,
        "sodaCoreTestContract" => on_runner::verify(&state, &envelope, false).await,
        "sodaCoreUploadContractFile" => {
            // Soda Core 4 uploads the contract before the results that name it by `fileId`.
            let token = envelope_string(&envelope, "token").ok();
            let (api_key, _role) = authenticate(&state, token.as_deref()).await?;
            let contents = envelope_string(&envelope, "contents")?;
            let file_id = state
                .db
                .insert_contract_file(&contents, Some(&api_key))
                .await?;
            Ok(Json(json!({"fileId": file_id})).into_response())
        }
        "sodaCorePublishContract" => {
            // `soda contract publish`: the uploaded file becomes its dataset's contract.
            let Uploaded {
                api_key,
                contract,
                file_id,
                contents,
            } = uploaded_contract(&state, &envelope, "publishing contracts").await?;
            let file_id = file_id.as_str();
            let (data_source, dataset) =
                contract_results::contract_dataset(&contents).map_err(HttpError::bad_request)?;
            state
                .db
                .publish_contract(&data_source, &dataset, file_id, Some(&api_key))
                .await?;
            Ok(Json(json!({
                "fileId": file_id,
                "metadata": contract.get("metadata").cloned().unwrap_or(Value::Null),
                "publishedContract": {"datasetId": format!("{data_source}/{dataset}")},
            }))
            .into_response())
        }
        other => Err(HttpError::bad_request(format!(
            "unknown command type '{other}' (Seltzer accepts login, sodaCoreInsertScanResults, \
             sodaCoreUploadContractFile, sodaCorePublishContract, sodaCoreScanStart, \
             sodaCoreInsertScanDataBatch, sodaCoreScanEndAsync, sodaCoreMarkScanFailed, \
             sodaCoreVerifyContract and sodaCoreTestContract)"
        ))),
    }
}

/// A contract command's uploaded contract (`contract.fileId`), sent with an editor's or
/// admin's token.
struct Uploaded {
    api_key: String,
    /// The command's `contract` member.
    contract: Value,
    file_id: String,
    contents: String,
}

/// The contract a command names, once its token is an editor's or admin's (`doing` says what
/// for, in the refusal).
async fn uploaded_contract(
    state: &AppState,
    envelope: &Envelope,
    doing: &str,
) -> Result<Uploaded, HttpError> {
    let token = envelope_string(envelope, "token").ok();
    let (api_key, role) = authenticate(state, token.as_deref()).await?;
    if role < Role::Editor {
        return Err(HttpError::new(
            ErrorCode::Forbidden,
            format!(
                "API key {api_key} is a {} key: {doing} takes an editor or admin key",
                role.as_str()
            ),
        ));
    }
    let contract = envelope
        .get("contract")
        .and_then(|raw| serde_json::from_str::<Value>(raw.get()).ok())
        .unwrap_or(Value::Null);
    let Some(file_id) = contract.get("fileId").and_then(Value::as_str) else {
        return Err(HttpError::bad_request("missing field `contract.fileId`"));
    };
    let file_id = file_id.to_owned();
    let Some(contents) = state.db.contract_file(&file_id).await? else {
        return Err(HttpError::bad_request(format!(
            "contract.fileId: no uploaded contract file '{file_id}' \
             (sodaCoreUploadContractFile first)"
        )));
    };
    Ok(Uploaded {
        api_key,
        contract,
        file_id,
        contents,
    })
}

/// Who sent a results document, and the request's headers (for the links in the answer).
struct Sender<'a> {
    api_key: &'a str,
    role: Role,
    headers: &'a HeaderMap,
}

/// A stored results document: the scan, and the answer Soda Core reads.
struct Stored {
    /// None for a dry run's results (told, not stored).
    scan_id: Option<i64>,
    answer: Value,
}

/// Stores a results document — Soda Core 3's, or Soda Core 4's (`"version": "4"`) — parsed from
/// `bytes`, with `envelope` (its members, the token removed) kept as the scan's payload.
async fn store_results(
    state: &AppState,
    sender: &Sender<'_>,
    envelope: &Envelope,
    bytes: &[u8],
) -> Result<Stored, HttpError> {
    let api_key = sender.api_key;
    let doc = parse_results(envelope, bytes)?;
    let sent = doc
        .all_checks()
        .map(|c| doc.data_source_of(c))
        .chain([doc.default_data_source.as_str()]);
    may_send(state, api_key, sent).await?;
    // A key Seltzer made for one of its runs sends that run's scan, nothing else.
    let run = state.db.api_key_run(api_key).await?;
    if let Some(run) = &run {
        // Soda Core 3 sends the `-t` it was given; Soda Core 4 its own time, with the run's
        // id (`SODA_SCAN_ID`).
        let sent_id = envelope
            .get("scanId")
            .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok());
        let now = crate::timestamp::now();
        let while_running = run.started_at.is_some_and(|s| {
            doc.data_timestamp >= s - 60_000 && doc.data_timestamp <= now + 60_000
        });
        let this_run = doc.data_timestamp == run.data_timestamp
            || (while_running && sent_id.is_some_and(|id| id == shared::api::run_scan_id(run.id)));
        if doc.definition_name != run.definition || !this_run {
            return Err(HttpError::new(
                ErrorCode::Forbidden,
                format!(
                    "API key {api_key} belongs to scan run {}: it may send that run's scan \
                     only (definition '{}', data timestamp {})",
                    run.id,
                    run.definition,
                    crate::timestamp::format(run.data_timestamp)
                ),
            ));
        }
        if run.is_dry_run() {
            return told_dry_run(state, api_key, run, &doc).await;
        }
    }
    let payload = serde_json::to_string(envelope)
        .map_err(|e| HttpError::bad_request(format!("cannot keep the payload: {e}")))?;
    let scan_sender = ScanSender {
        api_key_id: Some(api_key),
        may_replace_others: sender.role >= Role::Editor,
    };
    let stored = state.db.insert_scan(&doc, &payload, scan_sender).await?;
    if let Some(run) = run {
        state.db.link_run_scan(run.id, stored.scan_id).await?;
        // Its one scan is in: the key may send no other.
        state.db.revoke_run_key(run.id, api_key).await?;
    }
    // Its notifications, if any, were written with it.
    state.wake_sender.notify_one();
    tracing::info!(
        scan_id = stored.scan_id,
        replaced = stored.replaced_scan_id,
        definition = doc.definition_name,
        checks = doc.checks.len(),
        "stored scan results"
    );
    let rejections = doc.attribute_rejections();
    if !rejections.is_empty() {
        tracing::warn!(
            scan_id = stored.scan_id,
            definition = doc.definition_name,
            soda_core = rejections.join(" "),
            "Soda Core sent this scan without its checks: they use check attributes \
             (or attribute values) Seltzer does not define (see `seltzer attribute \
             list`; add them with `seltzer attribute create`)"
        );
    }
    let host = sender
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    // Behind a TLS proxy that says so, the link is https.
    let scheme = if auth::over_https(sender.headers) {
        "https"
    } else {
        "http"
    };
    Ok(Stored {
        scan_id: Some(stored.scan_id),
        answer: json!({
            "scanId": stored.scan_id.to_string(),
            "cloudUrl": format!("{scheme}://{host}/scans/{}", stored.scan_id),
        }),
    })
}

/// A dry run's results: kept on the run as its outcomes, not stored as a scan (no history,
/// no notifications). Soda Core is answered as if stored, with the run's id.
async fn told_dry_run(
    state: &AppState,
    api_key: &str,
    run: &crate::storage::RunRow,
    doc: &ScanResults,
) -> Result<Stored, HttpError> {
    let outcomes: Vec<DryRunCheck> = doc
        .all_checks()
        .map(|c| DryRunCheck {
            name: c.name.clone(),
            dataset: c.table.clone(),
            column: c.column.clone(),
            outcome: c.outcome,
            value: c.value(),
            line: c.location.as_ref().and_then(|l| l.line),
        })
        .collect();
    let json = serde_json::to_string(&outcomes)
        .map_err(|e| HttpError::bad_request(format!("cannot keep the outcomes: {e}")))?;
    state.db.set_run_outcomes(run.id, &json).await?;
    // Its one scan is told: the key may send no other.
    state.db.revoke_run_key(run.id, api_key).await?;
    tracing::info!(
        run_id = run.id,
        checks = outcomes.len(),
        "dry run's outcomes told"
    );
    Ok(Stored {
        scan_id: None,
        answer: json!({"scanId": shared::api::run_scan_id(run.id)}),
    })
}

/// A results document read from `bytes`: Soda Core 4's when its envelope says
/// `"version": "4"`, Soda Core 3's (which sends none) otherwise.
fn parse_results(envelope: &Envelope, bytes: &[u8]) -> Result<ScanResults, HttpError> {
    let version = envelope
        .get("version")
        .and_then(|raw| serde_json::from_str::<Value>(raw.get()).ok())
        .map(|v| match v {
            Value::String(s) => s,
            other => other.to_string(),
        });
    if contract_results::is_v4(version.as_deref()) {
        contract_results::parse_slice(bytes)
    } else {
        document::parse_slice(bytes)
    }
    .map_err(|e| HttpError::bad_request(format!("invalid scan results: {e}")))
}

/// A 403 unless `api_key` may send scans of every one of these data sources.
async fn may_send<'d>(
    state: &AppState,
    api_key: &str,
    data_sources: impl IntoIterator<Item = &'d str>,
) -> Result<(), HttpError> {
    let Some(allowed) = state.db.api_key_data_sources(api_key).await? else {
        return Ok(());
    };
    match data_sources
        .into_iter()
        .find(|ds| !allowed.iter().any(|a| a == ds))
    {
        Some(other) => Err(HttpError::new(
            ErrorCode::Forbidden,
            format!(
                "API key {api_key} may send scans of data sources {} only, not '{other}'",
                allowed.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

#[utoipa::path(post, path = "/query", tag = "soda-core", description = "Soda Core's queries (token in the body): cloud configuration, check attributes, historic measurements and check results (Soda Core 3); datasets configuration, whoAmI, sodaCoreCanManageContracts, sodaCoreGetContract and the historic queries …2 (Soda Core 4).", responses((status = 200, description = "JSON"), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 413, description = "Body too large", body = ApiError)))]
async fn query(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, HttpError> {
    let bytes = body_bytes(&format!("{MAX_QUERY_BYTES} bytes"), body)?;
    // The token first, from the envelope (each member kept as raw text, no tree built), so an
    // anonymous body costs no more than its bytes.
    let envelope = envelope(&bytes)?;
    let kind = envelope_string(&envelope, "type")?;
    let known = [
        "sodaCoreCloudConfiguration",
        "sodaCoreAvailableCheckAttributes",
        "sodaCoreHistoricMeasurements",
        "sodaCoreHistoricCheckResults",
        "sodaCoreDatasetsConfiguration",
        "whoAmI",
        "sodaCoreCanManageContracts",
        "sodaCoreGetContract",
        "sodaCoreHistoricMeasurements2",
        "sodaCoreHistoricCheckResults2",
    ];
    if !known.contains(&kind.as_str()) {
        return Err(HttpError::bad_request(format!(
            "unknown query type '{kind}' (Seltzer answers {})",
            known.join(", ")
        )));
    }
    let token = envelope
        .get("token")
        .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok());
    let (api_key, role) = authenticate(&state, token.as_deref()).await?;
    let answer = match kind.as_str() {
        "sodaCoreCloudConfiguration" => {
            json!({"disableCollectingWarehouseData": !state.ingest.collect_samples})
        }
        // Soda Core 4 asks before it verifies a contract, and stops if the answer is not
        // 200: Seltzer has no per-dataset configuration (samplers, warehouse overrides).
        "sodaCoreDatasetsConfiguration" => json!({"results": []}),
        // `soda cloud test`: any JSON will do; who the key is helps a person reading it.
        "whoAmI" => json!({"apiKeyId": api_key, "role": role.as_str()}),
        // Soda Core 4's history (for its extensions): flat lists of identities, the limit per
        // identity, newest first within each.
        "sodaCoreHistoricMeasurements2" => {
            let body = json_body(&bytes)?;
            let queries = history_filter::parse_lists(&body, "metricIdentities")
                .map_err(HttpError::bad_request)?;
            let mut results = Vec::new();
            for q in &queries {
                results.extend(state.db.historic_measurements(q).await?);
            }
            json!({"results": results})
        }
        "sodaCoreHistoricCheckResults2" => {
            let body = json_body(&bytes)?;
            let queries = history_filter::parse_lists(&body, "checkIdentities")
                .map_err(HttpError::bad_request)?;
            let mut results = Vec::new();
            for q in &queries {
                results.extend(state.db.historic_check_results(q).await?);
            }
            json!({"results": results})
        }
        // Publishing a dataset's contract takes an editor or admin key.
        "sodaCoreCanManageContracts" if role >= Role::Editor => json!({"allowed": true}),
        "sodaCoreCanManageContracts" => {
            json!({"allowed": false, "reason": "missingManageContracts"})
        }
        // `soda contract fetch`: the dataset's contract in force, or the code the client
        // turns into "no contract".
        "sodaCoreGetContract" => {
            let body = json_body(&bytes)?;
            let (data_source, dataset) = contract_results::dataset_of_parts(&body["dataset"])
                .ok_or_else(|| {
                    HttpError::bad_request(
                        "field `dataset` must be {\"datasource\", \"prefixes\", \"name\"}",
                    )
                })?;
            match state.db.published_contract(&data_source, &dataset).await? {
                Some((contents, _)) => json!({"contents": contents}),
                None => {
                    let message = format!("no contract is published for {data_source}/{dataset}");
                    let answer = json!({"code": "contract_not_found", "message": message});
                    return Ok((StatusCode::BAD_REQUEST, Json(answer)).into_response());
                }
            }
        }
        "sodaCoreAvailableCheckAttributes" => {
            json!({"results": state.db.list_attributes().await?})
        }
        "sodaCoreHistoricMeasurements" => {
            let body = json_body(&bytes)?;
            let q =
                history_filter::parse(&body, "metric.identity").map_err(HttpError::bad_request)?;
            json!({"results": state.db.historic_measurements(&q).await?})
        }
        _ => {
            let body = json_body(&bytes)?;
            let q =
                history_filter::parse(&body, "check.identity").map_err(HttpError::bad_request)?;
            json!({"results": state.db.historic_check_results(&q).await?})
        }
    };
    Ok(Json(answer).into_response())
}

/// A failed-row sample: JSON Lines, the token in a bare `Authorization` header.
#[utoipa::path(post, path = "/scan/upload", tag = "soda-core", description = "A failed-row sample file (JSON Lines); the token in a bare Authorization header.", responses((status = 200, description = "{\"fileId\"}"), (status = 400, description = "A parameter is invalid; the message names it", body = ApiError), (status = 401, description = "No or wrong credentials", body = ApiError), (status = 403, description = "The role does not allow this", body = ApiError), (status = 413, description = "Body too large", body = ApiError)))]
async fn upload(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Result<Response, HttpError> {
    let headers = request.headers().clone();
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .map(|h| h.strip_prefix("Bearer ").unwrap_or(h).trim());
    // The token is in a header: checked before a byte of the body is read.
    let (api_key, _role) = authenticate(&state, token).await?;
    if !state.ingest.collect_samples {
        return Err(HttpError::new(
            ErrorCode::Forbidden,
            "failed-row samples are switched off on this Seltzer (SELTZER_COLLECT_SAMPLES=false)",
        ));
    }
    let (bytes, _budget) = read_body(
        &state,
        request.into_body(),
        state.ingest.max_body_bytes,
        &command_limit(&state),
    )
    .await?;
    let content = std::str::from_utf8(&bytes)
        .map_err(|e| HttpError::bad_request(format!("the sample file is not UTF-8: {e}")))?;
    let mut rows = 0i64;
    for (i, line) in content.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        serde_json::from_str::<Value>(line).map_err(|e| {
            HttpError::bad_request(format!(
                "line {} of the sample file is not JSON: {e}",
                i + 1
            ))
        })?;
        rows += 1;
    }
    let file_path = headers
        .get("File-Path")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let file_id = format!("file-{}", credentials::random_hex(12));
    state
        .db
        .insert_sample(&NewSample {
            file_id: &file_id,
            file_path,
            content,
            row_count: rows,
            api_key_id: Some(&api_key),
        })
        .await?;
    Ok(Json(json!({"fileId": file_id})).into_response())
}
