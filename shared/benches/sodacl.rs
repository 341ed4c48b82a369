//! Benchmark (prints figures, asserts nothing): reading and validating every SodaCL corpus
//! file natively, next to Soda Core 3.5.6's own parser on the same files in the same run, and —
//! when `scripts/bench-sodacl.sh` passes them in `SODACL_WASM_TIMINGS` — the same work as wasm
//! in headless Chromium. Run it with `scripts/bench-sodacl.sh` (or
//! `cargo bench -p shared --bench sodacl` for the native and Python columns only).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use shared::sodacl::{Options, parse};

#[path = "common.rs"]
mod common;

/// Mean time of one parse, repeating until at least 50 ms have passed.
fn time_parse(source: &str, file_name: &str) -> Duration {
    let options = Options {
        file_name: file_name.to_owned(),
        data_source: "warehouse".to_owned(),
        ..Options::default()
    };
    let _ = parse(source, &options);
    let mut runs = 0u32;
    let start = Instant::now();
    loop {
        std::hint::black_box(parse(std::hint::black_box(source), &options));
        runs += 1;
        if start.elapsed() > Duration::from_millis(50) && runs >= 10 {
            return start.elapsed() / runs;
        }
    }
}

fn soda_python() -> Option<PathBuf> {
    let venv = std::env::var_os("SELTZER_SODA_VENV")
        .map(PathBuf::from)
        .or_else(|| {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))?;
            Some(cache.join("seltzer/soda-core-3.5.6"))
        })?;
    let python = venv.join("bin/python");
    python.is_file().then_some(python)
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sodacl-corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus directory")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    // `SODACL_BENCH_ONLY=text` keeps the files whose name contains the text (for profiling).
    if let Ok(only) = std::env::var("SODACL_BENCH_ONLY") {
        files.retain(|p| p.to_string_lossy().contains(&only));
    }

    let soda: BTreeMap<String, f64> = match soda_python() {
        Some(python) => {
            let script =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/soda_parser_timing.py");
            let out = Command::new(python).arg(script).args(&files).output();
            match out {
                Ok(out) if out.status.success() => {
                    serde_json::from_slice(&out.stdout).unwrap_or_default()
                }
                Ok(out) => {
                    eprintln!(
                        "Soda Core timing failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    BTreeMap::new()
                }
                Err(e) => {
                    eprintln!("Soda Core timing failed: {e}");
                    BTreeMap::new()
                }
            }
        }
        None => {
            eprintln!(
                "no Soda Core virtualenv (scripts/setup.sh --soda): Python column left empty"
            );
            BTreeMap::new()
        }
    };
    let wasm: BTreeMap<String, f64> = std::env::var("SODACL_WASM_TIMINGS")
        .ok()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .map(|text| {
            text.lines()
                .filter_map(|l| {
                    let mut parts = l.split_whitespace();
                    (parts.next() == Some("WASM"))
                        .then(|| Some((parts.next()?.to_owned(), parts.next()?.parse().ok()?)))
                        .flatten()
                })
                .collect()
        })
        .unwrap_or_default();

    println!(
        "{:<58} {:>11} {:>11} {:>12} {:>9}",
        "file", "native µs", "wasm µs", "Soda Core µs", "Soda/nat"
    );
    let (mut native_total, mut soda_total, mut wasm_total) = (0.0, 0.0, 0.0);
    let mut ratios = Vec::new();
    for path in &files {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let source = std::fs::read_to_string(path).unwrap_or_default();
        let native = time_parse(&source, &name).as_secs_f64() * 1e6;
        native_total += native;
        let soda_us = soda.get(&name).map(|ms| ms * 1000.0);
        let wasm_us = wasm.get(&name).copied();
        if let Some(s) = soda_us {
            soda_total += s;
            ratios.push(s / native);
        }
        if let Some(w) = wasm_us {
            wasm_total += w;
        }
        let show = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"));
        println!(
            "{name:<58} {native:>11.1} {:>11} {:>12} {:>9}",
            show(wasm_us),
            show(soda_us),
            soda_us.map_or_else(|| "-".to_owned(), |s| format!("{:.0}×", s / native))
        );
    }
    ratios.sort_by(f64::total_cmp);
    println!();
    println!("files: {}", files.len());
    println!("whole corpus, native: {:.2} ms", native_total / 1000.0);
    if !wasm.is_empty() {
        println!(
            "whole corpus, wasm in Chromium: {:.2} ms",
            wasm_total / 1000.0
        );
    }
    if !ratios.is_empty() {
        println!(
            "whole corpus, Soda Core's parser: {:.1} ms",
            soda_total / 1000.0
        );
        println!(
            "Soda Core / native: whole corpus {:.0}×, per file min {:.0}× median {:.0}× max {:.0}×",
            soda_total / native_total,
            ratios[0],
            ratios[ratios.len() / 2],
            ratios[ratios.len() - 1]
        );
    }
    let large = common::large_checks_file(500);
    let native_large = time_parse(&large, "large.yml");
    println!(
        "500-line checks file ({} lines), native: {:.3} ms",
        large.lines().count(),
        native_large.as_secs_f64() * 1000.0
    );
    if let Some(w) = wasm.get("large-500-lines") {
        println!(
            "500-line checks file, wasm in Chromium: {:.3} ms",
            w / 1000.0
        );
    }
}
