//! The SodaCL reader never panics, whatever it is given: a property test over arbitrary text and
//! over YAML-shaped inputs made by mutating every corpus file (characters inserted, deleted and
//! swapped, lines duplicated and re-indented, SodaCL tokens spliced in). Deterministic: the
//! generator is seeded, so a failure names the input that caused it.

#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used)]

use std::path::Path;

use shared::sodacl::evaluate::{Measurement, outcome};
use shared::sodacl::variables::Variables;
use shared::sodacl::{Options, parse};

/// xorshift64*: small, seeded, good enough to explore inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap()
    }
}

const TOKENS: &[&str] = &[
    ":",
    "- ",
    "  ",
    "\n",
    "\t",
    "\"",
    "'",
    "[",
    "]",
    "{",
    "}",
    ",",
    "#",
    "&a",
    "*a",
    "!!str ",
    "${",
    "}",
    "${X}",
    "(",
    ")",
    " > ",
    " < ",
    " = ",
    " between ",
    " and ",
    " not ",
    "%",
    "1d",
    "12h",
    "-5.",
    ".5",
    "1e3",
    "when ",
    "fail: ",
    "warn: ",
    "name: ",
    "checks for ",
    "filter ",
    "for each dataset ",
    "configurations for ",
    "variables:",
    "schema:",
    "failed rows:",
    "group by:",
    "row_count",
    "missing_count(",
    "freshness(",
    "change for ",
    "anomaly score for ",
    "anomaly detection for ",
    "values in ",
    " must exist in ",
    "row_count same as ",
    "|",
    ">",
    "---",
    "...",
    "~",
    "null",
    "é",
    "\u{1F600}",
    "\u{0}",
    "\r\n",
    "\\",
    "? ",
    "!",
    ";",
];

fn mutate(rng: &mut Rng, source: &str) -> String {
    let mut chars: Vec<char> = source.chars().collect();
    for _ in 0..=rng.below(6) {
        let at = rng.below(chars.len() + 1);
        match rng.below(6) {
            0 if !chars.is_empty() => {
                let end = (at + rng.below(8)).min(chars.len());
                chars.drain(at.min(end)..end);
            }
            1 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                chars.splice(at..at, token.chars());
            }
            2 if chars.len() > 1 => {
                let other = rng.below(chars.len());
                let at = at.min(chars.len() - 1);
                chars.swap(at, other);
            }
            3 => {
                // Duplicate or re-indent a line.
                let text: String = chars.iter().collect();
                let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
                let i = rng.below(lines.len());
                if rng.below(2) == 0 {
                    let copy = lines[i].clone();
                    lines.insert(i, copy);
                } else {
                    let indent = " ".repeat(rng.below(9));
                    lines[i] = format!("{indent}{}", lines[i].trim_start());
                }
                chars = lines.join("\n").chars().collect();
            }
            4 => {
                let c = char::from_u32(u32::try_from(rng.below(0x250)).unwrap()).unwrap_or('?');
                chars.insert(at, c);
            }
            _ => chars.truncate(at),
        }
    }
    chars.into_iter().collect()
}

fn exercise(source: &str) {
    let report = parse(source, &options());
    // Everything downstream of the reader must hold up too.
    let vars = Variables::default();
    for check in &report.checks {
        for value in [None, Some(0.0), Some(-1.5), Some(f64::NAN), Some(1e300)] {
            let _ = outcome(
                check,
                Measurement {
                    value,
                    previous: Some(0.0),
                },
                &vars,
            );
        }
    }
    let _ = serde_json::to_string(&report).unwrap();
    for d in report.diagnostics() {
        assert!(d.line >= 1 && d.col >= 1, "{source:?}: {d:?}");
    }
}

/// A data source and a scan start, so that identities and `${NOW}` are computed too.
fn options() -> Options {
    Options {
        data_source: "warehouse".to_owned(),
        now: "2026-12-06T00:00:00+00:00".to_owned(),
        ..Options::default()
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for open in ["[", "{a: ", "- "] {
        let text = open.repeat(100_000);
        let report = parse(&text, &options());
        assert!(report.has_errors());
    }
    let nested = format!(
        "checks for t:\n  - row_count > 0:\n      filter: {}",
        "[".repeat(50_000)
    );
    assert!(parse(&nested, &options()).has_errors());
}

#[test]
fn arbitrary_text_never_panics() {
    let mut rng = Rng(0x5EED_0001);
    for _ in 0..20_000 {
        let len = rng.below(120);
        let text: String = (0..len)
            .map(|_| {
                if rng.below(3) == 0 {
                    TOKENS[rng.below(TOKENS.len())].to_owned()
                } else {
                    char::from_u32(u32::try_from(rng.below(0x80)).unwrap())
                        .unwrap_or(' ')
                        .to_string()
                }
            })
            .collect();
        exercise(&text);
    }
}

#[test]
fn mutated_corpus_files_never_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sodacl-corpus");
    let mut sources: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    sources.sort();
    let mut rng = Rng(0x5EED_0002);
    for source in &sources {
        exercise(source);
        for _ in 0..150 {
            exercise(&mutate(&mut rng, source));
        }
    }
}

/// "Billion laughs": each anchor repeats the previous one nine times, so ten lines would
/// expand to 10^9 nodes (a 470-byte file took 2.8 GB and 9 s). It is an error at the alias
/// where the expansion passes the bound.
#[test]
fn alias_bombs_are_an_error_at_their_line() {
    let mut text = String::from("a0: &a0 [\"lol\"]\n");
    for i in 1..=10 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    text.push_str("checks for t:\n  - row_count > 0\n");
    let report = parse(&text, &options());
    let errors: Vec<_> = report.diagnostics();
    let error = errors
        .iter()
        .find(|d| d.message.contains("aliases expand this file"))
        .unwrap_or_else(|| panic!("{errors:?}"));
    assert!((2..=11).contains(&error.line), "{error:?}");
    // A file that uses anchors the ordinary way still reads.
    let ordinary = "checks for t:\n  - row_count > 0:\n      name: &n rows\n  - missing_count(id) = 0:\n      name: *n\n";
    assert!(!parse(ordinary, &options()).has_errors());
}

/// `variables:` defined from each other double at every line; the one that passes the bound
/// is an error at its line (602 bytes once took the process down).
#[test]
fn variable_bombs_are_an_error_at_their_line() {
    let mut text = String::from("variables:\n  v0: \"xxxxxxxxxxxxxxxx\"\n");
    for i in 1..=40 {
        text.push_str(&format!("  v{i}: \"${{v{}}}${{v{}}}\"\n", i - 1, i - 1));
    }
    text.push_str("checks for t:\n  - row_count > 0\n");
    let report = parse(&text, &options());
    let errors = report.diagnostics();
    let error = errors
        .iter()
        .find(|d| d.message.contains("expands to more than"))
        .unwrap_or_else(|| panic!("{errors:?}"));
    // 16 * 2^16 = 1 MiB: v16 is the first past the bound (line 2 + 16 + 1).
    assert_eq!(error.line, 19, "{error:?}");
}

/// Many keys in one mapping: each is checked against the others for duplicates in constant
/// time (the check was quadratic: 100,000 keys took 29 s). The duplicate is still found.
#[test]
fn many_keys_are_read_and_a_duplicate_among_them_found() {
    let mut text = String::from("variables:\n");
    for i in 0..100_000 {
        text.push_str(&format!("  k{i}: \"v\"\n"));
    }
    let report = parse(&text, &options());
    assert!(!report.has_errors(), "{:?}", report.diagnostics().first());
    text.push_str("  k500: \"again\"\n");
    let report = parse(&text, &options());
    assert!(
        report
            .diagnostics()
            .iter()
            .any(|d| d.message.contains("duplicate key \"k500\"")),
        "{:?}",
        report.diagnostics().first()
    );
}

/// Inputs the fuzzer (`scripts/fuzz.sh`) found or that were once found by hand: each is read
/// without a panic and within bounds, for good.
#[test]
fn fuzz_regressions_stay_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions/sodacl");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}", dir.display());
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        exercise(&String::from_utf8_lossy(&bytes));
    }
}
