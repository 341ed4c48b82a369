//! Reading a checks file: the YAML walk over sections and check items, the checks it yields and
//! every diagnostic, each with a line and column.
//!
//! The walk follows Soda Core 3.5.6's `SodaCLParser` (same acceptance, same checks, the same
//! file-aborting mistakes), and adds what Soda Core only finds when the scan runs (unknown
//! metrics and formats, metrics without their column…) and the silent traps it never reports
//! (thresholds it ignores, strings it splits into characters…). See `docs` in `mod.rs` for the
//! list of deliberate differences.

use std::collections::{BTreeMap, HashSet};

use super::catalogue::{self, FORMATS, METRIC_KEYS, METRICS, VALIDITY_KEYS, did_you_mean};
use super::grammar::{
    self, Arg, CheckLine, Condition, Header, LineThreshold, MetricLine, Prefix, Value,
};
use super::identity::{self, IdentitySource};
use super::model::{
    Bound, ChangeOverTimeSpec, Check, CheckKind, Diagnostic, MetricArg, Origin, Report, Scope,
    Severity, ZoneSpec,
};
use super::variables::{self, Variables};
use super::yaml::{self, Node, Pos, Scalar, Style, Value as Y};

mod check_items;
mod metric_checks;
mod other_kinds;
mod schema;
mod sections;
mod whole_file;

/// How the file is read: the names that go into identities and the scan variables.
#[derive(Debug, Clone)]
pub struct Options {
    /// The file's base name as Soda Core sees it (part of identity v3).
    pub file_name: String,
    /// The data source the scan runs on (part of identities v2 and v3). Empty: unknown, and
    /// the checks get no identities (any would match nothing Soda Core sends).
    pub data_source: String,
    /// What `${NOW}` stands for: the scan's start, as Soda Core writes it
    /// (`2026-12-06T07:54:27.123456+00:00`). Empty: `${NOW}` is undefined.
    pub now: String,
    /// Scan variables (`soda scan -v NAME=VALUE`).
    pub variables: BTreeMap<String, String>,
    /// Whether a file named by a `sql_file` key exists (its path is relative to the checks
    /// file); `None` where the file system is out of reach (the browser).
    pub file_exists: Option<FileCheck>,
}

/// A question about the checks file's neighbourhood: does this relative path exist?
#[derive(Clone)]
pub struct FileCheck(pub std::sync::Arc<dyn Fn(&str) -> bool + Send + Sync>);

impl std::fmt::Debug for FileCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileCheck")
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            file_name: "checks.yml".to_owned(),
            data_source: String::new(),
            now: String::new(),
            variables: BTreeMap::new(),
            file_exists: None,
        }
    }
}

/// Reads a checks file. Never panics; every problem becomes a diagnostic.
pub fn parse(source: &str, options: &Options) -> Report {
    let mut walker = Walker {
        options,
        report: Report {
            file: options.file_name.clone(),
            ..Report::default()
        },
        vars: Variables::new(&options.variables, &options.now),
        filters: HashSet::new(),
        dataset_attributes: None,
        section_index: 0,
        column_lists: BTreeMap::new(),
        pending_thresholds: Vec::new(),
    };
    walker.file(source);
    walker.identify();
    walker.check_thresholds();
    let mut report = walker.report;
    report.checks.sort_by_key(|c| (c.line, c.col));
    for list in [&mut report.errors, &mut report.warnings, &mut report.infos] {
        list.sort_by_key(|d| (d.line, d.col));
    }
    report
}

/// Where a check item sits.
#[derive(Clone)]
struct Section {
    /// The header as used in identities (variables resolved).
    header: String,
    dataset: Option<String>,
    partition: Option<String>,
    scope: Scope,
}

struct Walker<'a> {
    options: &'a Options,
    report: Report,
    vars: Variables,
    /// Declared `filter DATASET [NAME]` sections.
    filters: HashSet<(String, String)>,
    /// Attributes from a dataset-level `- attributes:` item, and the section that set them.
    dataset_attributes: Option<(serde_json::Value, usize)>,
    section_index: usize,
    /// `missing values for COL` / `valid values for COL` lists of `configurations for`
    /// sections, by (dataset, key, column).
    column_lists: BTreeMap<(String, String, String), Node>,
    /// Threshold texts to read as numbers once every variable is known.
    pending_thresholds: Vec<(Pos, String)>,
}

/// One check item being read: its line, where it stands, the configuration nested below it
/// and its section — what the reader of every kind of check needs.
#[derive(Clone, Copy)]
struct Item<'a> {
    line: &'a str,
    pos: Pos,
    config: Option<&'a Node>,
    section: &'a Section,
}

/// An early exit from the walk: Soda Core stopped reading the file.
struct Aborted;

type Walk<T = ()> = Result<T, Aborted>;

fn type_name(node: &Node) -> &'static str {
    node.python_type()
}

impl Walker<'_> {
    fn diag(&mut self, severity: Severity, origin: Origin, pos: Pos, message: impl Into<String>) {
        let d = Diagnostic {
            severity,
            line: pos.line,
            col: pos.col,
            message: message.into(),
            origin,
        };
        match severity {
            Severity::Error => self.report.errors.push(d),
            Severity::Warning => self.report.warnings.push(d),
            Severity::Info => self.report.infos.push(d),
        }
    }

    fn error(&mut self, pos: Pos, message: impl Into<String>) {
        self.diag(Severity::Error, Origin::SodaParse, pos, message);
    }

    /// Soda Core's complaint about a check that needs configuration below it and has none.
    fn no_nested_config(&mut self, line: &str, pos: Pos) {
        self.error(
            pos,
            format!("Check \"{line}\" expects a nested object/dict, but was None"),
        );
    }

    /// The configuration below a check that needs one; without it, Soda Core's complaint.
    fn nested_config<'n>(&mut self, item: Item<'n>) -> Option<&'n Node> {
        if item.config.is_none() {
            self.no_nested_config(item.line, item.pos);
        }
        item.config
    }

    fn scan_error(&mut self, pos: Pos, message: impl Into<String>) {
        self.diag(Severity::Error, Origin::SodaScan, pos, message);
    }

    fn warning(&mut self, pos: Pos, message: impl Into<String>) {
        self.diag(Severity::Warning, Origin::SodaParse, pos, message);
    }

    fn trap(&mut self, pos: Pos, message: impl Into<String>) {
        self.diag(Severity::Warning, Origin::Seltzer, pos, message);
    }

    /// Soda Core raises inside its parser here: the rest of the file is not read.
    fn abort(&mut self, pos: Pos, reason: &str) -> Aborted {
        let file = self.options.file_name.clone();
        self.error(
            pos,
            format!(
                "{reason} — Soda Core stops reading {file} here (\"Could not add SodaCL file\"); the checks below this point are not loaded"
            ),
        );
        self.report.aborted = true;
        Aborted
    }

    fn file(&mut self, source: &str) {
        let root = match yaml::parse(source) {
            Ok(Some(root)) => root,
            Ok(None) => return,
            Err(e) => {
                self.error(e.pos, format!("YAML syntax error: {}", e.message));
                return;
            }
        };
        let Some(sections) = root.as_map() else {
            let _ = self.abort(
                root.pos,
                "the file must be a mapping of section headers such as 'checks for DATASET:'",
            );
            return;
        };
        for (index, (key, value)) in sections.iter().enumerate() {
            self.section_index = index;
            if self.section(key, value).is_err() {
                return;
            }
        }
    }
}

/// Python's truthiness and `str()` of a configuration value, for generated check names.
fn python_truthy_text(v: &Node) -> Option<String> {
    match &v.value {
        Y::Scalar { kind, text, .. } => match kind {
            Scalar::Null | Scalar::Bool(false) | Scalar::Int(0) => None,
            Scalar::Bool(true) => Some("True".to_owned()),
            Scalar::Float(f) if *f == 0.0 => None,
            Scalar::Str if text.is_empty() => None,
            _ => Some(text.clone()),
        },
        Y::Seq(items) if items.is_empty() => None,
        Y::Map(entries) if entries.is_empty() => None,
        _ => Some(v.to_json().to_string()),
    }
}

/// The position of a character of a check line, when the line is a one-line plain scalar
/// (else the line's start: quoting and folding shift the characters).
fn offset_pos(line_node: &Node, offset: usize) -> Pos {
    if line_node.style_is_plain_single_line() {
        Pos {
            line: line_node.pos.line,
            col: line_node.pos.col + u32::try_from(offset).unwrap_or(0),
        }
    } else {
        line_node.pos
    }
}
