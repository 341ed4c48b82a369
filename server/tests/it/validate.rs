//! `seltzer validate`, the real binary: exit codes, the compiler-style text format, and the JSON
//! contract — compared mechanically with what Soda Core 3.5.6 parsed for every corpus file.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

fn seltzer() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_seltzer"));
    cmd.env("NO_COLOR", "1");
    cmd
}

/// The corpus inside this repository, next to the `shared` crate's tests.
fn corpus_dir() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the server crate sits in the workspace");
    workspace.join("shared").join("tests/data/sodacl-corpus")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn exit_codes_and_the_text_format() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        dir.path(),
        "good.yml",
        "checks for orders:\n  - row_count > 0\n",
    );
    let bad = write(
        dir.path(),
        "bad.yml",
        "checks for orders:\n  - row_cout > 0\n  - row_count > 0:\n      fitler: x = 1\n",
    );

    let out = seltzer().arg("validate").arg(&good).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    let out = seltzer()
        .arg("validate")
        .arg(&good)
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let bad_name = bad.display().to_string();
    assert!(
        text.contains(&format!("{bad_name}:2:5: error: unknown metric 'row_cout'")),
        "{text}"
    );
    assert!(text.contains("did you mean 'row_count'?"), "{text}");
    assert!(
        text.contains(&format!("{bad_name}:4:7: error: "))
            && text.contains("did you mean 'filter'?"),
        "{text}"
    );

    // I/O and usage errors: 2.
    let out = seltzer()
        .args(["validate", "/nonexistent/checks.yml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/checks.yml"));
    let out = seltzer()
        .args(["validate", "--var", "NOEQUALS"])
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = seltzer()
        .args(["validate", "--format", "xml"])
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = seltzer().arg("validate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

fn json_output(args: &[&str], files: &[PathBuf]) -> (i32, Value) {
    let out = seltzer()
        .arg("validate")
        .args(["--format", "json"])
        .args(args)
        .args(files)
        .output()
        .unwrap();
    let value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap(), value)
}

#[test]
fn variables_and_the_data_source_reach_the_checks() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "vars.yml",
        "checks for ${DS}:\n  - row_count > ${MIN}\n",
    );
    let (code, out) = json_output(
        &["--var", "DS=orders", "--var", "MIN=5", "-d", "shop"],
        std::slice::from_ref(&file),
    );
    assert_eq!(code, 0, "{out}");
    let check = &out["files"][0]["checks"][0];
    assert_eq!(check["dataset"], "orders");
    assert_eq!(check["source_line"], "row_count > ${MIN}");
    let identity = check["identity"].as_str().unwrap().to_owned();
    assert_eq!(identity.len(), 8);

    // The data source is part of the identity.
    let (_, other) = json_output(
        &[
            "--var",
            "DS=orders",
            "--var",
            "MIN=5",
            "--data-source",
            "warehouse",
        ],
        std::slice::from_ref(&file),
    );
    assert_ne!(
        other["files"][0]["checks"][0]["identity"],
        identity.as_str()
    );

    // Undefined threshold variables are reported (Soda Core fails the check at scan time).
    let (code, out) = json_output(&["--var", "DS=orders"], &[file]);
    assert_eq!(code, 1);
    let message = out["files"][0]["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("${MIN}"), "{message}");
    assert_eq!(out["files"][0]["errors"][0]["line"], 2);
}

/// The JSON contract's checks mean what the corpus's `parse.checks` and `execution.results`
/// mean: compared field by field for every corpus file, in one run of the binary.
#[test]
fn json_checks_match_soda_core_on_the_corpus() {
    let dir = corpus_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    // The oracle's data source, from a configuration file as `soda scan -c` reads it.
    let config_dir = tempfile::tempdir().unwrap();
    let configuration = write(
        config_dir.path(),
        "configuration.yml",
        "data_source corpus_duckdb:\n  type: duckdb\n  path: corpus.duckdb\n",
    );
    let (_, out) = json_output(&["-c", configuration.to_str().unwrap()], &files);
    let reports = out["files"].as_array().unwrap();
    assert_eq!(reports.len(), files.len());
    let mut differences = Vec::new();
    for (path, report) in files.iter().zip(reports) {
        let expected_path = path.with_extension("expected.json");
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(&expected_path).unwrap()).unwrap();
        if expected["oracle"]["variables"]
            .as_object()
            .is_some_and(|v| !v.is_empty())
        {
            // Scan variables come from the oracle directive; the library test applies them.
            continue;
        }
        let has_errors = !report["errors"].as_array().unwrap().is_empty();
        let soda_parse_errors = expected["parse"]["has_errors"].as_bool().unwrap();
        if soda_parse_errors && !has_errors {
            differences.push(format!(
                "{}: Soda Core reports errors, validate none",
                path.display()
            ));
        }
        let identities: Vec<(Value, Value)> = expected["execution"]["results"]
            .as_array()
            .map(|r| {
                r.iter()
                    .map(|r| (r["location"].clone(), r["identity"].clone()))
                    .collect()
            })
            .unwrap_or_default();
        for exp in expected["parse"]["checks"].as_array().unwrap() {
            let line = &exp["location"]["line"];
            let col = &exp["location"]["col"];
            let Some(mine) = report["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| &c["line"] == line && &c["col"] == col)
            else {
                differences.push(format!("{}: no check at {line}:{col}", path.display()));
                continue;
            };
            let mut fields = vec!["kind", "dataset", "source_line", "name"];
            if exp.get("metric_name").is_some() {
                fields.extend(["metric_name", "column", "fail", "warn"]);
            }
            for field in fields {
                if mine[field] != exp[field] {
                    differences.push(format!(
                        "{}:{line}: {field}: Soda {} / validate {}",
                        path.display(),
                        exp[field],
                        mine[field]
                    ));
                }
            }
            if let Some((_, identity)) = identities
                .iter()
                .find(|(loc, _)| loc == &json!({"line": line, "col": col}))
                && &mine["identity"] != identity
            {
                differences.push(format!(
                    "{}:{line}: identity: Soda {identity} / validate {}",
                    path.display(),
                    mine["identity"]
                ));
            }
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// `-d`, or the only data source of `-c configuration.yml`, as `soda scan` takes them; without
/// either the identities (which include it) are left out and the user is told why.
#[test]
fn the_data_source_comes_from_d_or_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "checks.yml",
        "checks for orders:\n  - row_count > 0\n",
    );
    let identity = |args: &[&str]| {
        let (code, out) = json_output(args, std::slice::from_ref(&file));
        assert_eq!(code, 0, "{out}");
        out["files"][0]["checks"][0]["identity"].clone()
    };
    let shop = identity(&["-d", "shop"]);
    assert_eq!(shop.as_str().map(str::len), Some(8), "{shop}");
    assert_ne!(identity(&["-d", "warehouse"]), shop);

    let one = write(
        dir.path(),
        "one.yml",
        "data_source shop:\n  type: postgres\n  host: db\n",
    );
    assert_eq!(identity(&["-c", one.to_str().unwrap()]), shop);
    let two = write(
        dir.path(),
        "two.yml",
        "data_source shop:\n  type: postgres\ndata_source warehouse:\n  type: snowflake\n",
    );
    assert_eq!(identity(&["-c", two.to_str().unwrap(), "-d", "shop"]), shop);

    let refused = |args: &[&str]| {
        let out = seltzer()
            .arg("validate")
            .args(args)
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let several = refused(&["-c", two.to_str().unwrap()]);
    assert!(
        several.contains("shop, warehouse") && several.contains("-d"),
        "{several}"
    );
    let unknown = refused(&["-c", one.to_str().unwrap(), "-d", "lake"]);
    assert!(unknown.contains("no data source 'lake'"), "{unknown}");

    let out = seltzer()
        .args(["validate", "--format", "json"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["files"][0]["checks"][0]["identity"], Value::Null);
    let note = String::from_utf8_lossy(&out.stderr);
    assert!(
        note.contains("-d NAME") && note.contains("identities"),
        "{note}"
    );
}

/// `${NOW}` is the moment of validating (Soda Core: the scan's start), not a fixed date.
#[test]
fn now_is_the_current_time() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "checks.yml",
        "checks for orders:\n  - row_count > ${NOW}\n",
    );
    // A time is no threshold: the message shows what `${NOW}` became.
    let (code, out) = json_output(&["-d", "shop"], &[file]);
    assert_eq!(code, 1, "{out}");
    let message = out["files"][0]["errors"][0]["message"].as_str().unwrap();
    let year = time::OffsetDateTime::now_utc().year();
    assert!(message.contains(&format!("is '{year}-")), "{message}");
    assert!(
        message.contains("+00:00' once variables are resolved"),
        "{message}"
    );
}
