//! `soda contract verify -r`: Soda Core 4 uploads the contract and asks Soda Cloud to verify it
//! on a runner — `sodaCoreVerifyContract` with `-p` (results published), `sodaCoreTestContract`
//! without — then polls `GET /api/v1/scans/{scanId}` and replays its logs. Seltzer runs it as a
//! run of the Soda Core 4 scan definition that verifies that dataset (which says where its data
//! source is and how to reach it), with the uploaded contract instead of the definition's; a
//! test is a dry run (outcomes told, nothing stored).

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use shared::api::RunOrigin;

use super::{AppState, Envelope, HttpError, Uploaded, uploaded_contract};
use crate::http::scan_definitions::{check_checks_of, queue_run};
use crate::soda::contract_results;

pub(super) async fn verify(
    state: &AppState,
    envelope: &Envelope,
    publish: bool,
) -> Result<Response, HttpError> {
    let Uploaded {
        api_key, contents, ..
    } = uploaded_contract(state, envelope, "verifying a contract on Seltzer's runner").await?;
    // Variables set on the command line (`--set`) would be this run's only: Seltzer's runs
    // take their definition's.
    let variables = envelope
        .get("variables")
        .and_then(|raw| serde_json::from_str::<Value>(raw.get()).ok());
    if variables
        .as_ref()
        .and_then(Value::as_object)
        .is_some_and(|v| !v.is_empty())
    {
        return Err(HttpError::bad_request(
            "variables: Seltzer runs a contract with its scan definition's variables; set them \
             there (Runs → the definition → Change it) instead of with --set",
        ));
    }
    if envelope.contains_key("executionOptions") {
        return Err(HttpError::bad_request(
            "executionOptions: Seltzer's runner verifies the whole contract (no --check-path or \
             check selectors)",
        ));
    }
    let (data_source, dataset) =
        contract_results::contract_dataset(&contents).map_err(HttpError::bad_request)?;
    let definition = state.db.definitions().await?.into_iter().find(|d| {
        d.engine == "v4"
            && contract_results::contract_dataset(&d.checks)
                .is_ok_and(|(s, ds)| s == data_source && ds == dataset)
    });
    let Some(definition) = definition else {
        return Err(HttpError::bad_request(format!(
            "no Soda Core 4 scan definition in this Seltzer verifies {data_source}/{dataset}: \
             add one (Runs → New scan definition, Soda Core 4, on data source {data_source}) so \
             Seltzer knows how to reach the data"
        )));
    };
    check_checks_of(state, &definition, &contents).await?;
    let origin = if publish {
        RunOrigin::Api
    } else {
        RunOrigin::DryRun
    };
    let run = queue_run(
        state,
        &definition,
        origin,
        &format!("API key {api_key}"),
        None,
        Some(&contents),
    )
    .await?;
    Ok(Json(json!({"scanId": shared::api::run_scan_id(run.id)})).into_response())
}
