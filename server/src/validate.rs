//! `seltzer validate`: checks files read by the `shared` SodaCL engine, reported the way a
//! compiler reports (text) or as the stable JSON contract documented in the README.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use serde::Serialize;
use shared::sodacl::{Check, Diagnostic, FileCheck, Options, parse, yaml};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

/// One file's verdict in the JSON contract.
#[derive(Serialize)]
struct FileReport<'a> {
    file: &'a str,
    errors: &'a [Diagnostic],
    warnings: &'a [Diagnostic],
    checks: &'a [Check],
}

#[derive(Serialize)]
struct Output<'a> {
    files: Vec<FileReport<'a>>,
}

/// Exit codes: 0 when no file has an error, 1 when one has, 2 on usage or I/O errors.
pub fn run(
    files: &[std::path::PathBuf],
    format: OutputFormat,
    vars: &[String],
    data_source: Option<&str>,
    configuration: Option<&Path>,
) -> ExitCode {
    let data_source = match choose_data_source(data_source, configuration) {
        Ok(Some(name)) => name,
        Ok(None) => {
            eprintln!(
                "note: no data source (-d NAME, or -c configuration.yml with one): check \
                 identities include it, so they are left out"
            );
            String::new()
        }
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    // `${NOW}` is the scan's start in Soda Core; here, the moment of validating.
    let now = scan_start(time::OffsetDateTime::now_utc());
    let variables = match scan_variables(vars) {
        Ok(variables) => variables,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let mut reports = Vec::new();
    for path in files {
        let source = match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(_) => {
                    eprintln!("error: {}: not UTF-8 text", path.display());
                    return ExitCode::from(2);
                }
            },
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        };
        let options = Options {
            file_name: base_name(path),
            data_source: data_source.clone(),
            now: now.clone(),
            variables: variables.clone(),
            file_exists: Some(next_to(path)),
        };
        reports.push((path.display().to_string(), parse(&source, &options)));
    }
    let any_error = reports.iter().any(|(_, r)| r.has_errors());
    let mut out = std::io::stdout().lock();
    let written = match format {
        OutputFormat::Json => {
            let output = Output {
                files: reports
                    .iter()
                    .map(|(file, r)| FileReport {
                        file,
                        errors: &r.errors,
                        warnings: &r.warnings,
                        checks: &r.checks,
                    })
                    .collect(),
            };
            serde_json::to_writer(&mut out, &output)
                .map_err(std::io::Error::other)
                .and_then(|()| writeln!(out))
        }
        OutputFormat::Text => (|| {
            let (mut errors, mut warnings) = (0, 0);
            for (file, report) in &reports {
                for d in report.diagnostics() {
                    let level = match d.severity {
                        shared::sodacl::Severity::Error => "error",
                        shared::sodacl::Severity::Warning => "warning",
                        shared::sodacl::Severity::Info => continue,
                    };
                    writeln!(out, "{file}:{}:{}: {level}: {}", d.line, d.col, d.message)?;
                }
                errors += report.errors.len();
                warnings += report.warnings.len();
            }
            let checks: usize = reports.iter().map(|(_, r)| r.checks.len()).sum();
            writeln!(
                out,
                "{} file{}, {checks} check{}: {errors} error{}, {warnings} warning{}",
                reports.len(),
                plural(reports.len()),
                plural(checks),
                plural(errors),
                plural(warnings)
            )
        })(),
    };
    if let Err(e) = written {
        eprintln!("error: cannot write the report: {e}");
        return ExitCode::from(2);
    }
    if any_error {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `sql_file` paths are relative to the checks file's directory.
fn next_to(path: &Path) -> FileCheck {
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    FileCheck(std::sync::Arc::new(move |relative: &str| {
        dir.join(relative).is_file()
    }))
}

/// The data source as `soda scan` chooses it: `-d NAME`, which the configuration (when given)
/// must define; else the configuration's only one. `None` when neither says.
fn choose_data_source(
    named: Option<&str>,
    configuration: Option<&Path>,
) -> Result<Option<String>, String> {
    let Some(path) = configuration else {
        return Ok(named.map(str::to_owned));
    };
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let root = yaml::parse(&text)
        .map_err(|e| format!("{}:{}: {}", path.display(), e.pos.line, e.message))?;
    let defined: Vec<String> = root
        .as_ref()
        .and_then(|node| node.as_map())
        .unwrap_or_default()
        .iter()
        .filter_map(|(key, _)| key.scalar_text()?.strip_prefix("data_source "))
        .map(|name| name.trim().to_owned())
        .collect();
    match (named, defined.as_slice()) {
        (Some(name), _) if defined.iter().any(|d| d == name) => Ok(Some(name.to_owned())),
        (Some(name), _) => Err(format!(
            "{}: no data source '{name}' (it defines: {})",
            path.display(),
            names(&defined)
        )),
        (None, [only]) => Ok(Some(only.clone())),
        (None, []) => Err(format!(
            "{}: defines no data source (a 'data_source NAME:' key)",
            path.display()
        )),
        (None, several) => Err(format!(
            "{}: defines {} data sources ({}); choose one with -d NAME",
            path.display(),
            several.len(),
            names(several)
        )),
    }
}

fn names(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

/// Python's `datetime.isoformat()` of an aware UTC time: `2026-12-06T07:54:27.123456+00:00`.
pub(crate) fn scan_start(at: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]+00:00"
    );
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

/// `--var NAME=VALUE` arguments, as `soda scan -v` takes them.
pub(crate) fn scan_variables(vars: &[String]) -> Result<BTreeMap<String, String>, String> {
    vars.iter()
        .map(|var| match var.split_once('=') {
            Some((name, value)) if !name.is_empty() => Ok((name.to_owned(), value.to_owned())),
            _ => Err(format!("--var expects NAME=VALUE, got '{var}'")),
        })
        .collect()
}

/// The file name Soda Core puts in identities: the base name.
pub(crate) fn base_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
