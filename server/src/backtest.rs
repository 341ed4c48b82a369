//! `seltzer backtest`: the checks editor's backtest for pipelines. It reads checks files, fetches
//! the stored history of each of their checks from a running Seltzer (its API, with an API key),
//! judges every stored result with the file's thresholds (the same SodaCL engine the editor
//! runs) and says per check how many would be judged differently: a threshold change reviewed
//! in a pull request shows its effect on real history.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use shared::api::{CheckHistory, CheckList};
use shared::sodacl::workbench::{Comparison, WorkbenchCheck, WorkbenchRequest, compare, run};

use crate::validate::{OutputFormat, base_name, scan_start};

/// The most identities one `GET /api/checks?identity=` asks for.
const IDENTITIES_PER_REQUEST: usize = 200;
/// The most stored results a check's history brings (beyond, the server downsamples).
const MAX_POINTS: u32 = 10_000;

/// Where the stored history comes from, and how the files are read.
pub struct Backtest<'a> {
    /// The checks file as deployed: its checks' histories are judged by the edited file's
    /// checks at the same positions (an edited threshold changes a check's identity).
    pub against: Option<&'a Path>,
    pub url: &'a str,
    pub api_key_id: &'a str,
    pub api_key_secret: &'a str,
    pub data_source: &'a str,
    pub variables: BTreeMap<String, String>,
    pub format: OutputFormat,
    pub fail_on_change: bool,
}

/// One check of the files, in the JSON output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CheckVerdict {
    file: String,
    line: u32,
    name: String,
    identity: Option<String>,
    /// Stored results compared (0 when Seltzer has none for this check).
    results: usize,
    /// How many of them the file's thresholds judge differently.
    changed: usize,
    /// Stored outcomes and the file's, counted: `{"pass": 3, "fail": 1, "notEvaluated": 0}`.
    before: BTreeMap<&'static str, usize>,
    after: BTreeMap<&'static str, usize>,
    /// The server sent fewer points than the check has results (more than 10,000).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    downsampled: bool,
    /// Why the check was not backtested (Soda Core alone judges it), when so.
    #[serde(skip_serializing_if = "Option::is_none")]
    not_backtested: Option<String>,
}

#[derive(Debug, Serialize)]
struct Output<'a> {
    checks: &'a [CheckVerdict],
}

/// Why the backtest could not run: exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    #[error("{0}: {1}")]
    File(String, String),
    #[error("{url}: {message}")]
    Server { url: String, message: String },
}

/// Exit codes: 0, or 1 with `fail_on_change` when a stored result would be judged differently;
/// 2 when a file or the server cannot be read.
pub fn main(files: &[std::path::PathBuf], options: &Backtest<'_>) -> ExitCode {
    match backtest(files, options) {
        Ok(checks) => {
            let changed = checks.iter().any(|c| c.changed > 0);
            if let Err(e) = print(&checks, options.format) {
                eprintln!("error: cannot write the report: {e}");
                return ExitCode::from(2);
            }
            if changed && options.fail_on_change {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn backtest(
    files: &[std::path::PathBuf],
    options: &Backtest<'_>,
) -> Result<Vec<CheckVerdict>, BacktestError> {
    let client = Client::new(options);
    let now = scan_start(time::OffsetDateTime::now_utc());
    let mut verdicts = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(path)
            .map_err(|e| BacktestError::File(path.display().to_string(), e.to_string()))?;
        let mut request = WorkbenchRequest {
            text,
            file_name: base_name(path),
            data_source: options.data_source.to_owned(),
            now: now.clone(),
            variables: options.variables.clone(),
            ..WorkbenchRequest::default()
        };
        // The stored checks: those of the deployed file when given (paired by position),
        // else the file's own, found by identity.
        let deployed = match options.against {
            Some(base) => Some(
                std::fs::read_to_string(base)
                    .map_err(|e| BacktestError::File(base.display().to_string(), e.to_string()))?,
            ),
            None => None,
        };
        let mut identify = request.clone();
        if let (Some(text), Some(base)) = (&deployed, options.against) {
            identify.text.clone_from(text);
            identify.file_name = base_name(base);
        }
        let identities: Vec<Option<String>> = run(&identify)
            .checks
            .into_iter()
            .map(|c| c.identity)
            .collect();
        let wanted: Vec<String> = identities.iter().flatten().cloned().collect();
        let mut stored: BTreeMap<String, CheckHistory> = BTreeMap::new();
        for chunk in wanted.chunks(IDENTITIES_PER_REQUEST) {
            let list: CheckList = client.get(&format!(
                "/api/checks?size=500&identity={}",
                chunk.join(",")
            ))?;
            for item in list.items {
                let history: CheckHistory = client.get(&format!(
                    "/api/checks/{}/history?maxPoints={MAX_POINTS}",
                    item.id
                ))?;
                stored.insert(item.identity, history);
            }
        }
        let values = |h: &CheckHistory| h.points.iter().map(|p| p.value).collect::<Vec<_>>();
        let mut by_position: BTreeMap<usize, &CheckHistory> = BTreeMap::new();
        if deployed.is_some() {
            for (i, identity) in identities.iter().enumerate() {
                if let Some(history) = identity.as_ref().and_then(|id| stored.get(id)) {
                    request.pinned_at.insert(i, values(history));
                    by_position.insert(i, history);
                }
            }
        } else {
            for (identity, history) in &stored {
                request.histories.insert(identity.clone(), values(history));
            }
        }
        let report = run(&request);
        for problem in report.problems.iter().filter(|p| p.error) {
            eprintln!(
                "{}:{}:{}: error: {}",
                path.display(),
                problem.line,
                problem.col,
                problem.message
            );
        }
        for (i, check) in report.checks.into_iter().enumerate() {
            let history = if deployed.is_some() {
                by_position.get(&i).copied()
            } else {
                check.identity.as_ref().and_then(|id| stored.get(id))
            };
            verdicts.push(verdict(&path.display().to_string(), check, history));
        }
    }
    Ok(verdicts)
}

fn verdict(file: &str, check: WorkbenchCheck, history: Option<&CheckHistory>) -> CheckVerdict {
    let comparison = match (history, &check.backtest) {
        (Some(history), Some(judged)) => compare(history.points.iter().map(|p| p.outcome), judged),
        _ => Comparison::default(),
    };
    CheckVerdict {
        file: file.to_owned(),
        line: check.line,
        name: check.name,
        identity: check.identity,
        results: comparison.results,
        changed: comparison.changed,
        before: comparison.before.named().into_iter().collect(),
        after: comparison.after.named().into_iter().collect(),
        downsampled: history.is_some_and(|h| h.downsampled),
        not_backtested: history.and(check.not_backtested),
    }
}

fn print(checks: &[CheckVerdict], format: OutputFormat) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if format == OutputFormat::Json {
        serde_json::to_writer(&mut out, &Output { checks }).map_err(std::io::Error::other)?;
        return writeln!(out);
    }
    let counts = |c: &BTreeMap<&str, usize>| {
        c.iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for c in checks {
        let what = if let Some(reason) = &c.not_backtested {
            format!("not backtested: {reason}")
        } else if c.results == 0 {
            "no stored results".to_owned()
        } else if c.changed == 0 {
            format!("{} stored results, same outcomes", c.results)
        } else {
            format!(
                "{} stored results, {} would change: {} → {}",
                c.results,
                c.changed,
                counts(&c.before),
                counts(&c.after)
            )
        };
        writeln!(out, "{}:{}: {}: {what}", c.file, c.line, c.name)?;
    }
    let changed: usize = checks.iter().map(|c| c.changed).sum();
    let results: usize = checks.iter().map(|c| c.results).sum();
    writeln!(
        out,
        "{} checks, {results} stored results, {changed} would be judged differently",
        checks.len()
    )
}

/// Seltzer's API, read with an API key (HTTP Basic).
struct Client {
    agent: ureq::Agent,
    base: String,
    authorization: String,
}

impl Client {
    fn new(options: &Backtest<'_>) -> Self {
        use base64::Engine as _;
        let credentials = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", options.api_key_id, options.api_key_secret));
        Self {
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(120)))
                .build()
                .into(),
            base: options.url.trim_end_matches('/').to_owned(),
            authorization: format!("Basic {credentials}"),
        }
    }

    fn get<T: for<'de> Deserialize<'de>>(&self, path: &str) -> Result<T, BacktestError> {
        let url = format!("{}{path}", self.base);
        let failed = |message: String| BacktestError::Server {
            url: url.clone(),
            message,
        };
        let mut response = self
            .agent
            .get(&url)
            .header("Authorization", &self.authorization)
            .call()
            .map_err(|e| failed(e.to_string()))?;
        let status = response.status();
        let body = response
            .body_mut()
            .with_config()
            .limit(256 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| failed(e.to_string()))?;
        if !status.is_success() {
            let message = serde_json::from_str::<shared::api::ApiError>(&body)
                .map(|e| e.message)
                .unwrap_or(body);
            return Err(failed(format!("{status}: {message}")));
        }
        serde_json::from_str(&body).map_err(|e| failed(format!("unexpected answer: {e}")))
    }
}
