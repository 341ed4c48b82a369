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
    self, Arg, CheckLine, Comparator, Condition, Header, LineThreshold, MetricLine, Prefix, Value,
};
use super::identity::{self, IdentitySource};
use super::model::{
    Bound, ChangeOverTimeSpec, Check, CheckKind, Diagnostic, MetricArg, Origin, Report, Scope,
    Severity, ZoneSpec,
};
use super::variables::{self, Variables};
use super::yaml::{self, Node, Pos, Scalar, Style, Value as Y};

/// How the file is read: the names that go into identities and the scan variables.
#[derive(Debug, Clone)]
pub struct Options {
    /// The file's base name as Soda Core sees it (part of identity v3).
    pub file_name: String,
    /// The data source the scan runs on (part of identities v2 and v3).
    pub data_source: String,
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
            data_source: "corpus_duckdb".to_owned(),
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
        vars: Variables::new(&options.variables),
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

    fn section(&mut self, key: &Node, value: &Node) -> Walk {
        let raw = key.scalar_text().unwrap_or_default().to_owned();
        if raw == "automated monitoring" {
            return self.automated_monitoring(key, value);
        }
        if raw.starts_with("profile columns") {
            self.expect_mapping_section(key, value, &raw);
            if let Some(_map) = value.as_map() {
                match value.get("columns") {
                    None => self.error(
                        key.pos,
                        format!("Configuration key \"columns\" is required in {raw}"),
                    ),
                    Some(cols) => {
                        for entry in cols.as_seq().unwrap_or_default() {
                            let text = entry.scalar_text().unwrap_or_default();
                            let pattern = text
                                .strip_prefix("include ")
                                .or_else(|| text.strip_prefix("exclude "))
                                .unwrap_or(text);
                            if !pattern.contains('.') {
                                self.error(
                                    key.pos,
                                    format!("Invalid column expression: {text} - must be in the form of table.column"),
                                );
                            }
                        }
                    }
                }
            }
            return Ok(());
        }
        if [
            "discover datasets",
            "discover tables",
            "sample datasets",
            "sample tables",
        ]
        .iter()
        .any(|p| raw.starts_with(p))
        {
            self.expect_mapping_section(key, value, &raw);
            if value.as_map().is_some() {
                let list = value.get("datasets").or_else(|| value.get("tables"));
                if let Some(list) = list
                    && list.as_seq().is_none()
                {
                    self.error(
                            key.pos,
                            "Content of \"datasets\" must be a list of include and/or exclude expressions",
                        );
                }
            }
            return Ok(());
        }
        if raw == "checks" {
            let section = Section {
                header: raw.clone(),
                dataset: None,
                partition: None,
                scope: Scope::DataSource,
            };
            return self.check_list(key, value, &section);
        }
        if raw == "variables" {
            return self.variables_section(key, value);
        }
        if raw.contains("for each table") {
            self.warning(
                key.pos,
                "Please update 'for each table ...' to 'for each dataset ...'.",
            );
        }
        match grammar::parse_header(&raw) {
            Err(e) => {
                let hint = header_hint(&raw);
                self.error(
                    Pos {
                        line: key.pos.line,
                        col: key.pos.col,
                    },
                    format!("Invalid section header \"{raw}\": {}{hint}", e.message),
                );
                Ok(())
            }
            Ok(Header::Checks { dataset, partition }) => {
                let dataset = self.vars.resolve(&dataset);
                let partition = partition.map(|p| self.vars.resolve(&p));
                if let Some(p) = &partition
                    && !self.filters.contains(&(dataset.clone(), p.clone()))
                {
                    self.error(
                            key.pos,
                            format!(
                                "Filter not declared: {p} — declare 'filter {dataset} [{p}]:' with a 'where:' condition above this section"
                            ),
                        );
                    return Ok(());
                }
                let section = Section {
                    header: self.vars.resolve(&raw),
                    dataset: Some(dataset),
                    partition,
                    scope: Scope::Dataset,
                };
                self.check_list(key, value, &section)
            }
            Ok(Header::Filter { dataset, partition }) => {
                let dataset = self.vars.resolve(&dataset);
                let partition = self.vars.resolve(&partition);
                self.filters.insert((dataset, partition));
                match value.as_map() {
                    None => self.error(
                        key.pos,
                        format!("Skipping section \"{raw}\" because content is not an object/dict"),
                    ),
                    Some(_) => match value.get("where") {
                        Some(w) if w.as_str().is_some() => {}
                        _ => self.error(
                            key.pos,
                            format!("Expecting \"where\" with a SQL expression as a configuration under {raw}"),
                        ),
                    },
                }
                Ok(())
            }
            Ok(Header::Configurations { dataset }) => {
                let dataset = self.vars.resolve(&dataset);
                self.column_configurations(key, value, &raw, &dataset);
                Ok(())
            }
            Ok(Header::ForEachDataset { .. }) => self.for_each_dataset(key, value, &raw),
            Ok(Header::ForEachColumn { .. }) => Err(self.abort(
                key.pos,
                "'for each column' sections are not supported by Soda Core",
            )),
        }
    }

    fn expect_mapping_section(&mut self, key: &Node, value: &Node, raw: &str) {
        if value.as_map().is_none() {
            self.error(
                key.pos,
                format!("Skipping section \"{raw}\" because content is not an object/dict"),
            );
        }
    }

    fn automated_monitoring(&mut self, key: &Node, value: &Node) -> Walk {
        self.expect_mapping_section(key, value, "automated monitoring");
        // The schema and anomaly checks it creates need Soda Cloud history and a data source
        // listing; they are recorded with the section's position.
        Ok(())
    }

    fn variables_section(&mut self, key: &Node, value: &Node) -> Walk {
        let Some(entries) = value.as_map() else {
            self.error(
                key.pos,
                format!(
                    "Variables content must be a dict.  Was {}",
                    type_name(value)
                ),
            );
            return Ok(());
        };
        for (name, v) in entries {
            let name_text = name.scalar_text().unwrap_or_default().to_owned();
            match v.as_str() {
                Some(text) => {
                    let Ok(resolved) = self.vars.try_resolve(text) else {
                        // Not Soda Core's verdict (Jinja would expand until memory runs out):
                        // Seltzer stops reading here rather than do the same.
                        self.error(
                            v.pos,
                            format!(
                                "variable '{name_text}' expands to more than {} characters \
                                 (variables defined from each other double at every step); \
                                 the checks below this point are not read",
                                variables::MAX_RESOLVED_LEN
                            ),
                        );
                        self.report.aborted = true;
                        return Err(Aborted);
                    };
                    self.vars.define(&name_text, resolved);
                }
                None => {
                    return Err(self.abort(
                        v.pos,
                        &format!(
                            "variable '{name_text}' must be a string; quote the value: {name_text}: \"{}\"",
                            v.scalar_text().unwrap_or_default()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn column_configurations(&mut self, key: &Node, value: &Node, raw: &str, dataset: &str) {
        let entries = match &value.value {
            Y::Map(entries) => entries,
            Y::Seq(items) if !items.is_empty() => {
                self.error(
                    key.pos,
                    format!(
                        "Contents of column configurations \"{raw}\" is a list, but should be plain configurations.  Remove the \"-\" before the nested configurations"
                    ),
                );
                return;
            }
            _ => {
                self.error(
                    key.pos,
                    format!("Skipping section \"{raw}\" because content is not a object/dict"),
                );
                return;
            }
        };
        for (k, v) in entries {
            let text = k.scalar_text().unwrap_or_default();
            let parts: Vec<&str> = text.split(" for ").collect();
            if parts.len() != 2 {
                self.error(
                    key.pos,
                    format!(
                        "Invalid configuration \"{text}\" — write '<key> for <column>', e.g. 'valid values for status'"
                    ),
                );
                continue;
            }
            let config_key = parts[0];
            if !VALIDITY_KEYS.contains(&config_key) {
                self.error(
                    key.pos,
                    format!(
                        "Column configuration key {text} not in appropriate format {{configuration_type}} for {{column}}: unknown key '{config_key}'{}",
                        did_you_mean(config_key, VALIDITY_KEYS.iter().copied())
                    ),
                );
                continue;
            }
            if matches!(
                config_key,
                "invalid values" | "invalid format" | "invalid regex"
            ) {
                self.trap(
                    k.pos,
                    format!(
                        "'{config_key}' in 'configurations for' is accepted by Soda Core but never applied to any check; put it on the checks of column '{}'",
                        parts[1]
                    ),
                );
            }
            self.validity_value(config_key, k.pos, v);
            if matches!(config_key, "missing values" | "valid values") && v.as_seq().is_some() {
                self.column_lists.insert(
                    (
                        dataset.to_owned(),
                        config_key.to_owned(),
                        parts[1].to_owned(),
                    ),
                    v.clone(),
                );
            }
        }
    }

    /// Threshold texts that Python's `float()` will not read once variables are resolved:
    /// Soda Core fails those checks when it evaluates them.
    fn check_thresholds(&mut self) {
        for (pos, text) in std::mem::take(&mut self.pending_thresholds) {
            let resolved = self.vars.resolve(&text);
            if variables::python_float(&resolved).is_some() {
                continue;
            }
            let undefined = self.vars.undefined_in(&text);
            let message = if undefined.is_empty() {
                format!("threshold '{text}' is not a number")
            } else {
                format!(
                    "threshold '{text}' uses undefined variable{} {}; pass it with --var or define it under 'variables:'",
                    if undefined.len() > 1 { "s" } else { "" },
                    undefined.join(", ")
                )
            };
            self.scan_error(pos, message);
        }
    }

    /// Computes identities once the whole file is read. Soda Core merges the column
    /// configuration's `missing values` / `valid values` into a metric check's own list in place,
    /// before it computes the identity, so those lists count with the column's values appended.
    fn identify(&mut self) {
        for check in &mut self.report.checks {
            if !matches!(check.scope, Scope::Dataset | Scope::DataSource) {
                continue;
            }
            let mut config = check.config_node.clone();
            let merges = matches!(
                check.kind,
                CheckKind::Metric
                    | CheckKind::ChangeOverTime
                    | CheckKind::AnomalyScore
                    | CheckKind::AnomalyDetection
            );
            if let (
                true,
                Some(Node {
                    value: Y::Map(entries),
                    ..
                }),
                Some(dataset),
                Some(column),
            ) = (
                merges,
                config.as_mut(),
                &check.dataset,
                check.column.as_ref().and_then(MetricArg::as_text),
            ) {
                for (k, v) in entries.iter_mut() {
                    let key = k.scalar_text().unwrap_or_default().to_owned();
                    let extra = self
                        .column_lists
                        .get(&(dataset.clone(), key, column.to_owned()));
                    if let (Some(extra), Y::Seq(items)) = (extra, &mut v.value) {
                        items.extend(extra.as_seq().unwrap_or_default().iter().cloned());
                    }
                }
            }
            let ids = identity::identities(
                &IdentitySource {
                    header: &check.source_header,
                    line: &check.source_line,
                    configuration: config.as_ref(),
                    anomaly_detection: check.kind == CheckKind::AnomalyDetection,
                    automated_monitoring: false,
                },
                &self.options.data_source,
                &self.options.file_name,
            );
            check.identity = Some(ids.v3.clone());
            check.identities = Some(ids);
        }
    }

    fn for_each_dataset(&mut self, key: &Node, value: &Node, raw: &str) -> Walk {
        let Some(_) = value.as_map() else {
            self.error(
                key.pos,
                format!("Skipping section \"{raw}\" because content is not an object/dict"),
            );
            return Ok(());
        };
        if let Some(list) = value.get("datasets").or_else(|| value.get("tables")) {
            match list.as_seq() {
                Some(items) => {
                    for item in items {
                        match item.as_str() {
                            None => self.error(
                                item.pos,
                                format!(
                                    "Name filter \"{}\" is not a string",
                                    item.scalar_text().unwrap_or_default()
                                ),
                            ),
                            Some(text) => {
                                let pattern = text
                                    .strip_prefix("include ")
                                    .or_else(|| text.strip_prefix("exclude "))
                                    .unwrap_or(text);
                                let pieces = pattern.split('.').count();
                                if pieces > 2 {
                                    self.error(
                                        item.pos,
                                        format!("Table name filter \"{text}\" should exist out of 1 or 2 pieces separated by a dot.  Pieces count: {pieces}"),
                                    );
                                } else if pieces == 2 {
                                    let ds = pattern.split('.').next().unwrap_or_default();
                                    if ds != self.options.data_source {
                                        self.error(
                                            item.pos,
                                            format!("Cross data source table sets not yet supported. {pattern} refers to non default data source {ds}"),
                                        );
                                    }
                                }
                            }
                        }
                    }
                }
                None => self.error(
                    list.pos,
                    "Content of \"datasets\" must be a list of include and/or exclude expressions",
                ),
            }
        }
        match value.get("checks") {
            None => {
                self.error(key.pos, "checks is required");
                Ok(())
            }
            Some(checks) => {
                let section = Section {
                    header: raw.to_owned(),
                    dataset: None,
                    partition: None,
                    scope: Scope::ForEachDataset,
                };
                self.check_list(key, checks, &section)
            }
        }
    }

    fn check_list(&mut self, key: &Node, value: &Node, section: &Section) -> Walk {
        let Some(items) = value.as_seq() else {
            let raw = key.scalar_text().unwrap_or_default();
            self.error(
                key.pos,
                format!("Skipping section \"{raw}\" because content is not a list"),
            );
            return Ok(());
        };
        for item in items {
            self.check_item(item, section)?;
        }
        Ok(())
    }

    fn check_item(&mut self, item: &Node, section: &Section) -> Walk {
        let (line_node, mut config): (&Node, Option<&Node>) = match &item.value {
            Y::Scalar {
                kind: Scalar::Str, ..
            } => (item, None),
            Y::Map(entries) if entries.is_empty() => {
                return Err(self.abort(item.pos, "an empty mapping '{}' as a check"));
            }
            Y::Map(entries) => {
                let (k, v) = &entries[0];
                if entries.len() > 1 {
                    let siblings: Vec<&str> = entries[1..]
                        .iter()
                        .map(|(k, _)| k.scalar_text().unwrap_or_default())
                        .collect();
                    if v.is_null() {
                        return Err(self.abort(
                            k.pos,
                            &format!(
                                "the configuration of '{}' is not indented under it (its keys {siblings:?} sit at the same level as the check); indent them below the check",
                                k.scalar_text().unwrap_or_default()
                            ),
                        ));
                    }
                    self.trap(
                        entries[1].0.pos,
                        format!(
                            "keys {siblings:?} sit at the same level as the check '{}' and are ignored; indent them under the check",
                            k.scalar_text().unwrap_or_default()
                        ),
                    );
                }
                (k, Some(v))
            }
            _ => {
                let dump = item
                    .scalar_text()
                    .map_or_else(|| format!("{}", item.to_json()), str::to_owned);
                self.error(
                    item.pos,
                    format!(
                        "Skipping unsupported check definition: {dump} — a check is a text line such as 'row_count > 0', optionally followed by ':' and its configuration"
                    ),
                );
                return Ok(());
            }
        };
        let line = line_node.scalar_text().unwrap_or_default().to_owned();
        let pos = line_node.pos;

        if line == "attributes" && section.scope != Scope::ForEachDataset {
            match config.map(|c| (c, c.as_map())) {
                Some((c, Some(_))) => {
                    self.dataset_attributes = Some((c.to_json(), self.section_index));
                }
                Some((c, None)) => self.error(
                    pos,
                    format!("Invalid YAML structure: key \"attributes\" must contain a dict, but was {}", type_name(c)),
                ),
                None => {}
            }
            return Ok(());
        }

        // A configuration that is not a mapping.
        let special = matches!(
            line.as_str(),
            "schema" | "group evolution" | "failed rows" | "group by"
        );
        if let Some(c) = config {
            match &c.value {
                Y::Map(_) => {}
                Y::Scalar {
                    kind: Scalar::Null, ..
                } => {
                    if special {
                        self.error(
                            pos,
                            format!("Check \"{line}\" expects a nested object/dict, but was None"),
                        );
                        return Ok(());
                    }
                    return Err(self.abort(
                        pos,
                        &format!(
                            "'{line}:' ends with ':' but has no configuration below it; remove the ':' or indent the configuration under the check"
                        ),
                    ));
                }
                Y::Scalar {
                    kind: Scalar::Int(_) | Scalar::Float(_) | Scalar::Bool(_),
                    ..
                } => {
                    return Err(self.abort(
                        c.pos,
                        &format!(
                            "the configuration of '{line}' must be a mapping of keys, not the value {}; did you mean '{line} = {}'?",
                            c.scalar_text().unwrap_or_default(),
                            c.scalar_text().unwrap_or_default()
                        ),
                    ));
                }
                Y::Scalar { .. } | Y::Seq(_) => {
                    // Soda Core reports it and reads the check without its configuration
                    // (a list then makes the whole scan fail).
                    let what = if matches!(c.value, Y::Seq(_)) {
                        "a list; remove the '-' before the keys (Soda Core then aborts the whole scan)"
                    } else {
                        "text"
                    };
                    self.error(
                        pos,
                        format!(
                            "Check configuration details should be object/dict, but was {}: the configuration of '{line}' must be a mapping of keys (name:, fail:, …), not {what}",
                            type_name(c)
                        ),
                    );
                    config = None;
                }
            }
        }

        if section.scope == Scope::DataSource {
            return self.data_source_check(&line, pos, config, section);
        }
        match line.as_str() {
            "schema" => {
                self.schema_check(&line, pos, config, section);
                Ok(())
            }
            "group evolution" => {
                self.group_evolution_check(&line, pos, config, section);
                Ok(())
            }
            "failed rows" => {
                self.failed_rows_check(&line, pos, config, section);
                Ok(())
            }
            "group by" => self.group_by_check(&line, pos, config, section),
            _ => self.parsed_check(&line, line_node, config, section),
        }
    }

    fn parsed_check(
        &mut self,
        line: &str,
        line_node: &Node,
        config: Option<&Node>,
        section: &Section,
    ) -> Walk {
        let pos = line_node.pos;
        match grammar::parse_check(line) {
            Err(e) => {
                let at = offset_pos(line_node, e.offset);
                let in_for_each = if section.scope == Scope::ForEachDataset {
                    " (inside 'for each dataset', Soda Core then aborts the whole scan)"
                } else {
                    ""
                };
                self.error(
                    at,
                    format!("Invalid check \"{line}\": {}{in_for_each}", e.message),
                );
                if self.dataset_attributes.is_some() {
                    return Err(self.abort(
                        pos,
                        "a check that cannot be parsed after a dataset-level 'attributes' item",
                    ));
                }
                Ok(())
            }
            Ok(CheckLine::Metric(m)) => self.metric_check(line, line_node, &m, config, section),
            Ok(CheckLine::RowCountComparison {
                other_dataset,
                other_partition,
                other_data_source,
            }) => {
                self.check_keys(
                    config,
                    &["name", "attributes", "identity"],
                    |k| format!("Invalid row count comparison configuration key {k}"),
                    pos,
                );
                if let Some(p) = &other_partition
                    && !self.filters.contains(&(other_dataset.clone(), p.clone()))
                {
                    self.scan_error(
                            pos,
                            format!(
                                "filter [{p}] of dataset {other_dataset} is not declared in this file; declare 'filter {other_dataset} [{p}]:' above (Soda Core aborts the whole scan)"
                            ),
                        );
                }
                let _ = other_data_source;
                self.push(
                    CheckKind::RowCountComparison,
                    line,
                    pos,
                    config,
                    section,
                    None,
                );
                Ok(())
            }
            Ok(CheckLine::Reference {
                source_columns,
                target_columns,
                ..
            }) => {
                self.check_keys(
                    config,
                    &["name", "samples limit", "attributes", "identity"],
                    |k| format!("Invalid reference check configuration key {k}"),
                    pos,
                );
                if source_columns.len() != target_columns.len() {
                    self.error(
                        pos,
                        format!(
                            "Number of source and target column names must be equal ({} source, {} target); Soda Core then aborts the whole scan",
                            source_columns.len(),
                            target_columns.len()
                        ),
                    );
                }
                self.common_values(config, pos);
                self.push(CheckKind::Reference, line, pos, config, section, None);
                Ok(())
            }
            Ok(CheckLine::FreshnessUsing {
                column, threshold, ..
            }) => {
                self.warning(
                    pos,
                    "Syntax of freshness check has changed and is deprecated.  Use freshness(column_name) < 24h30m  See docs",
                );
                let mut has_alert = false;
                let mut spans: [Option<f64>; 2] = [
                    threshold.as_ref().and_then(|v| match v {
                        Value::Duration(s) => Some(*s),
                        Value::Text(t) => grammar::duration_seconds(&self.vars.resolve(t)),
                        Value::Number(_) => None,
                    }),
                    None,
                ];
                if let Some(c) = config.and_then(Node::as_map) {
                    for (k, v) in c {
                        let key = k.scalar_text().unwrap_or_default();
                        match key {
                            "name" | "attributes" => {}
                            "warn" | "fail" => {
                                has_alert = true;
                                let text = v.as_str().unwrap_or_default();
                                let span = text
                                    .strip_prefix("when > ")
                                    .and_then(grammar::duration_seconds);
                                if threshold.is_none() {
                                    spans[usize::from(key == "warn")] = span;
                                }
                                if span.is_none() {
                                    self.error(pos, format!("Invalid staleness threshold \"{text}\" — write 'when > 1d' (a duration)"));
                                }
                            }
                            _ => self.error(
                                pos,
                                format!(
                                    "Invalid freshness configuration key {key}{}",
                                    if key == "filter" {
                                        " (Soda Core still applies it)"
                                    } else {
                                        ""
                                    }
                                ),
                            ),
                        }
                    }
                }
                if threshold.is_none() && config.and_then(|c| c.get("filter")).is_none() {
                    let _ = has_alert;
                    return Err(self.abort(
                        pos,
                        "a deprecated 'freshness using' check without '< duration' on the line needs a 'filter' key; better, write 'freshness(column) < 1d'",
                    ));
                }
                let mut check = self.make(CheckKind::Freshness, line, pos, config, section);
                check.column = Some(MetricArg::Text(column));
                check.fail_older_than = spans[0];
                check.warn_older_than = spans[1];
                self.report.checks.push(check);
                Ok(())
            }
        }
    }

    /// Validates configuration keys against an allowed list.
    fn check_keys(
        &mut self,
        config: Option<&Node>,
        allowed: &[&str],
        message: impl Fn(&str) -> String,
        pos: Pos,
    ) {
        let Some(entries) = config.and_then(Node::as_map) else {
            return;
        };
        for (k, _) in entries {
            let key = k.scalar_text().unwrap_or_default();
            if !allowed.contains(&key) {
                self.error(
                    pos,
                    format!(
                        "{}{}",
                        message(key),
                        did_you_mean(key, allowed.iter().copied())
                    ),
                );
            }
        }
    }

    /// `name`, `identity`, `attributes`, `samples limit` value types.
    fn common_values(&mut self, config: Option<&Node>, pos: Pos) {
        let Some(c) = config else { return };
        for (key, expected) in [
            ("name", "str"),
            ("identity", "str"),
            ("attributes", "dict"),
            ("samples limit", "int"),
        ] {
            if let Some(v) = c.get(key) {
                let ok = match expected {
                    "str" => v.as_str().is_some(),
                    "dict" => v.as_map().is_some(),
                    _ => matches!(
                        v.value,
                        Y::Scalar {
                            kind: Scalar::Int(_),
                            ..
                        }
                    ),
                };
                if !ok {
                    self.error(
                        pos,
                        format!(
                            "Invalid YAML structure: key \"{key}\" must contain a {expected}, but was {}",
                            type_name(v)
                        ),
                    );
                }
            }
        }
    }

    #[allow(clippy::too_many_lines)]
    fn metric_check(
        &mut self,
        line: &str,
        line_node: &Node,
        m: &MetricLine,
        config: Option<&Node>,
        section: &Section,
    ) -> Walk {
        let pos = line_node.pos;
        let metric_pos = offset_pos(line_node, m.metric_at);
        if m.metric.starts_with('$') {
            self.error(
                metric_pos,
                "Soda Core does not support check templates ($name); they need Soda Library",
            );
            return Ok(());
        }
        let kind = match (&m.prefix, m.metric.as_str()) {
            (Some(Prefix::Change(_)), _) => CheckKind::ChangeOverTime,
            (Some(Prefix::AnomalyScore), _) => CheckKind::AnomalyScore,
            (Some(Prefix::AnomalyDetection), _) => CheckKind::AnomalyDetection,
            (None, "freshness") => CheckKind::Freshness,
            (None, "distribution_difference") => CheckKind::Distribution,
            _ => CheckKind::Metric,
        };
        if kind == CheckKind::Freshness && m.args.is_empty() {
            self.error(
                pos,
                "Metric freshness must have at least 1 arg: write freshness(column) < 1d",
            );
            return Ok(());
        }
        if kind == CheckKind::AnomalyDetection
            && let Some(c) = config
        {
            let problems = super::anomaly::validate(c);
            if !problems.is_empty() {
                for p in problems {
                    self.error(
                        p.node.pos,
                        format!(
                            "Anomaly Detection Parsing Error: {} — the check is dropped",
                            p.message
                        ),
                    );
                }
                return Ok(());
            }
        }
        let multi_arg_ok = matches!(
            m.metric.as_str(),
            "duplicate_count" | "duplicate_percent" | "percentile" | "percentile_disc"
        ) || matches!(kind, CheckKind::Freshness | CheckKind::Distribution);
        if m.args.len() > 1 && !multi_arg_ok {
            self.warning(
                metric_pos,
                format!(
                    "Invalid syntax used in '{line}'. More than one check attribute is not supported: only '{}' is used as the column",
                    m.args[0].text()
                ),
            );
        }

        // Configuration keys.
        let mut user_defined = false;
        if let Some(entries) = config.and_then(Node::as_map) {
            for (k, v) in entries {
                let key = k.scalar_text().unwrap_or_default().to_owned();
                if kind == CheckKind::Distribution {
                    continue;
                }
                if key == "failed rows sql_file" {
                    self.sql_file(v)?;
                    continue;
                }
                if METRIC_KEYS.contains(&key.as_str()) {
                    if key == "filter" && v.as_str().is_none() && !v.is_null() {
                        return Err(self.abort(v.pos, "'filter' must be a SQL condition (text)"));
                    }
                    continue;
                }
                if VALIDITY_KEYS.contains(&key.as_str()) {
                    self.validity_value(&key, k.pos, v);
                    continue;
                }
                let suffix = ["expression", "query", "sql_file"]
                    .into_iter()
                    .find(|s| key.ends_with(s));
                if let Some(suffix) = suffix {
                    user_defined = true;
                    let expected = format!("{} {suffix}", m.metric);
                    if key != expected {
                        self.error(
                            k.pos,
                            format!(
                                "In configuration \"{key}\" the metric name must match exactly the metric name in the check \"{}\": write '{expected}'",
                                m.metric
                            ),
                        );
                    }
                    if v.is_null() {
                        self.error(
                            k.pos,
                            format!("In configuration \"{key}\" no value is provided"),
                        );
                    } else if v.as_str().is_none() {
                        if suffix == "expression" {
                            return Err(self.abort(
                                v.pos,
                                &format!("'{key}' must be a SQL expression (text)"),
                            ));
                        }
                        self.error(
                            k.pos,
                            format!("'{key}' must be text, but was {}", type_name(v)),
                        );
                    }
                    if suffix == "sql_file" {
                        self.sql_file(v)?;
                    }
                    continue;
                }
                self.error(
                    k.pos,
                    format!(
                        "Skipping unsupported check configuration: {key}{}",
                        Some(did_you_mean(
                            &key,
                            METRIC_KEYS.iter().chain(VALIDITY_KEYS).copied()
                        ))
                        .filter(|s| !s.is_empty())
                        .unwrap_or_else(|| {
                            " — not a key of this check; Soda Core ignores it".to_owned()
                        })
                    ),
                );
            }
            if kind != CheckKind::Distribution {
                self.common_values(config, pos);
            }
        }

        // Thresholds.
        let configured_fail = config.and_then(|c| c.get("fail"));
        let configured_warn = config.and_then(|c| c.get("warn"));
        let (mut fail, mut warn) = (None, None);
        match &m.threshold {
            Some(LineThreshold::Condition(_)) if kind == CheckKind::AnomalyScore => {
                // Soda Core keeps no zone; the scan then refuses the threshold (below).
            }
            Some(LineThreshold::Condition(c)) => {
                self.between_order(c, pos, line);
                fail = Some(zone(c).inverse());
                for (key, node) in [("warn", configured_warn), ("fail", configured_fail)] {
                    if let Some(node) = node
                        && kind != CheckKind::Distribution
                    {
                        self.trap(
                                node.pos,
                                format!(
                                    "'{key}:' is ignored: the check line already has a threshold, so Soda Core only uses that; remove the threshold from the line to use warn/fail"
                                ),
                            );
                    }
                }
            }
            Some(LineThreshold::Default) => {
                if kind == CheckKind::AnomalyScore {
                    warn = Some(ZoneSpec {
                        gt: Some(Bound::Number(0.9)),
                        ..ZoneSpec::default()
                    });
                } else {
                    self.error(
                        pos,
                        "Threshold \"< default\" only allowed for anomaly checks that start with: \"anomaly score {metric} < {threshold}\"",
                    );
                }
            }
            None => {
                if kind != CheckKind::AnomalyDetection && kind != CheckKind::AnomalyScore {
                    fail = self.alert(configured_fail, pos);
                    warn = self.alert(configured_warn, pos);
                }
            }
        }
        match kind {
            CheckKind::Metric | CheckKind::ChangeOverTime if fail.is_none() && warn.is_none() => {
                self.error(
                    pos,
                    format!(
                        "No threshold specified for check \"{line}\": add one to the line (e.g. '{line} > 0') or 'fail: when > 0' / 'warn: when > 0' below it"
                    ),
                );
            }
            CheckKind::Distribution => {
                if fail.is_none() && warn.is_none() {
                    self.error(
                        pos,
                        "You did not define a threshold for your distribution check",
                    );
                }
                if config
                    .and_then(|c| c.get("distribution reference file"))
                    .is_none()
                {
                    self.error(pos, "You did not define a `distribution reference file` key for your distribution check");
                    return Err(self.abort(
                        pos,
                        "a distribution check without 'distribution reference file'",
                    ));
                }
            }
            CheckKind::AnomalyScore if !matches!(m.threshold, Some(LineThreshold::Default)) => {
                self.scan_error(
                    pos,
                    "anomaly score checks only accept '< default' as threshold (Soda Core does not evaluate other thresholds)",
                );
            }
            _ => {}
        }

        // What Soda Core only finds when the scan runs.
        let builtin = catalogue::metric(&m.metric);
        if !user_defined && kind != CheckKind::Distribution && section.scope != Scope::GroupBy {
            match builtin {
                None => self.scan_error(
                    metric_pos,
                    format!(
                        "unknown metric '{}'{} (a metric of your own needs a '{} query:' or '{} expression:' key)",
                        m.metric,
                        did_you_mean(&m.metric, METRICS.iter().map(|(n, _)| *n)),
                        m.metric,
                        m.metric
                    ),
                ),
                Some(true) if m.args.is_empty() => self.scan_error(
                    metric_pos,
                    format!("metric '{}' needs a column: write {}(column)", m.metric, m.metric),
                ),
                _ => {}
            }
            if matches!(m.metric.as_str(), "percentile" | "percentile_disc") && m.args.len() == 1 {
                self.scan_error(
                    metric_pos,
                    format!(
                        "{} needs the fraction as second argument: {}({}, 0.95)",
                        m.metric,
                        m.metric,
                        m.args[0].text()
                    ),
                );
            }
        }
        if kind != CheckKind::Freshness {
            for z in fail.iter().chain(warn.iter()) {
                if z.bounds().any(|b| matches!(b, Bound::Duration(_))) {
                    self.scan_error(
                        pos,
                        "a duration threshold (like 1d) only works for freshness checks; use a number",
                    );
                    break;
                }
            }
        }
        if kind != CheckKind::Freshness {
            let texts: Vec<String> = fail
                .iter()
                .chain(warn.iter())
                .flat_map(ZoneSpec::bounds)
                .filter_map(|b| match b {
                    Bound::Text(t) => Some(t.clone()),
                    _ => None,
                })
                .collect();
            // Thresholds are read when the check is evaluated, once the whole file (and its
            // `variables:`, wherever they are) is known: checked after the walk.
            for text in texts {
                self.pending_thresholds.push((pos, text));
            }
        }

        // Freshness: only a duration lower bound survives as "older than" span.
        let (mut fail_older_than, mut warn_older_than) = (None, None);
        if kind == CheckKind::Freshness {
            let span = |z: &Option<ZoneSpec>| match z {
                Some(z) => match z.gte.as_ref().or(z.gt.as_ref()) {
                    Some(Bound::Duration(s)) => Some(*s),
                    Some(Bound::Text(t)) => grammar::duration_seconds(&self.vars.resolve(t)),
                    _ => None,
                },
                None => None,
            };
            fail_older_than = span(&fail);
            warn_older_than = span(&warn);
            if fail.is_none() && warn.is_none() {
                self.trap(
                    pos,
                    "a freshness check without threshold always passes; add one, e.g. 'freshness(column) < 1d'",
                );
            } else {
                for (z, spanned, key) in [
                    (&fail, fail_older_than, "fail"),
                    (&warn, warn_older_than, "warn"),
                ] {
                    if z.is_some() && spanned.is_none() {
                        self.trap(
                            pos,
                            format!(
                                "this {key} threshold can never trigger: freshness needs a duration with '<' on the line (e.g. '< 1d') or 'when > 1d' in {key}:, in units d, h, m"
                            ),
                        );
                    }
                }
            }
        }

        let column = match (m.metric.as_str(), m.args.len()) {
            ("duplicate_count" | "duplicate_percent", n) if n > 1 => None,
            _ => m.args.first().map(|a| match a {
                Arg::Number(n) => MetricArg::Number(*n),
                Arg::Ident(s) => MetricArg::Text(s.clone()),
            }),
        };
        let metric_args = (!m.args.is_empty()).then(|| {
            m.args
                .iter()
                .map(|a| match a {
                    Arg::Number(n) => MetricArg::Number(*n),
                    Arg::Ident(s) => MetricArg::Text(s.clone()),
                })
                .collect()
        });
        let change = match &m.prefix {
            Some(Prefix::Change(c)) => Some(ChangeOverTimeSpec::from(c)),
            _ => None,
        };
        let mut check = self.make(kind, line, pos, config, section);
        check.metric_name = Some(m.metric.clone());
        check.column = column;
        check.metric_args = metric_args;
        check.fail = fail;
        check.warn = warn;
        check.change_over_time = change;
        check.fail_older_than = fail_older_than;
        check.warn_older_than = warn_older_than;
        self.report.checks.push(check);
        Ok(())
    }

    /// A `sql_file` must exist next to the checks file: Soda Core stops reading the file when it
    /// does not.
    fn sql_file(&mut self, v: &Node) -> Walk {
        let (Some(exists), Some(path)) = (&self.options.file_exists, v.as_str()) else {
            return Ok(());
        };
        if (exists.0)(path) {
            return Ok(());
        }
        Err(self.abort(
            v.pos,
            &format!("the SQL file '{path}' does not exist next to the checks file"),
        ))
    }

    /// A reversed `between` is reported (and still evaluated) by Soda Core.
    fn between_order(&mut self, c: &Condition, pos: Pos, line: &str) {
        let Condition::Between {
            not, lower, upper, ..
        } = c
        else {
            return;
        };
        let text = |v: &Value| match v {
            Value::Text(t) => t.clone(),
            Value::Number(n) => grammar::format_number(*n),
            Value::Duration(s) => super::model::timedelta_text(*s),
        };
        if matches!(lower, Value::Text(t) if t.contains("${"))
            || matches!(upper, Value::Text(t) if t.contains("${"))
        {
            return;
        }
        if let (Value::Number(a), Value::Number(b)) = (lower, upper)
            && a > b
        {
            let effect = if *not {
                "always passes"
            } else {
                "always fails"
            };
            self.error(
                    pos,
                    format!(
                        "Left lower bound should be less than the upper bound on the right: in '{line}' the lower bound {} is greater than the upper bound {}, so the check {effect}; swap them",
                        text(lower),
                        text(upper)
                    ),
                );
        }
    }

    /// A `warn:` / `fail:` value: `when <condition>`.
    fn alert(&mut self, node: Option<&Node>, pos: Pos) -> Option<ZoneSpec> {
        let node = node?;
        let Some(text) = node.as_str() else {
            if node.is_null() {
                return None;
            }
            self.error(
                pos,
                format!(
                    "Invalid YAML structure: key \"fail\" must contain a str, but was {} — write 'when > 5'",
                    type_name(node)
                ),
            );
            return None;
        };
        let Some(condition) = text.strip_prefix("when ") else {
            self.error(
                node.pos,
                format!(
                    "Value for fail must be \"when {{condition}}\": write 'when {}'",
                    text.trim_start_matches("when").trim()
                ),
            );
            return None;
        };
        match grammar::parse_condition(condition) {
            Ok((c, ignored)) => {
                self.between_order(&c, pos, condition);
                if let Some(offset) = ignored {
                    let tail: String = condition.chars().skip(offset).collect();
                    let at = if node.style_is_plain_single_line() {
                        Pos {
                            line: node.pos.line,
                            col: node.pos.col + 5 + u32::try_from(offset).unwrap_or(0),
                        }
                    } else {
                        node.pos
                    };
                    self.trap(
                        at,
                        format!("'{tail}' after the condition is ignored by Soda Core; remove it or fix the condition"),
                    );
                }
                Some(zone(&c))
            }
            Err(e) => {
                let at = if node.style_is_plain_single_line() {
                    Pos {
                        line: node.pos.line,
                        col: node.pos.col + 5 + u32::try_from(e.offset).unwrap_or(0),
                    }
                } else {
                    node.pos
                };
                self.error(
                    at,
                    format!("Invalid threshold \"{condition}\": {}", e.message),
                );
                None
            }
        }
    }

    /// Value types of missing/validity keys.
    fn validity_value(&mut self, key: &str, key_pos: Pos, v: &Node) {
        match key {
            "missing values" | "valid values" | "invalid values" => match &v.value {
                Y::Seq(items) => {
                    let strings = items.iter().filter(|i| i.as_str().is_some()).count();
                    let numbers = items
                        .iter()
                        .filter(|i| matches!(i.value, Y::Scalar { kind: Scalar::Int(_) | Scalar::Float(_), .. }))
                        .count();
                    if strings != items.len() && numbers != items.len() {
                        self.error(
                            key_pos,
                            format!(
                                "Only strings or only numbers allowed in {key}: {} — quote the numbers to compare as text",
                                v.to_json()
                            ),
                        );
                    }
                }
                Y::Scalar {
                    kind: Scalar::Str,
                    text,
                    ..
                } => {
                    let chars: Vec<String> = text.chars().map(|c| format!("'{c}'")).collect();
                    self.trap(
                        key_pos,
                        format!(
                            "'{key}' is a single text, so Soda Core splits it into characters ({}); write a list: [{text}]",
                            chars.join(", ")
                        ),
                    );
                }
                Y::Scalar {
                    kind: Scalar::Null, ..
                } => self.error(key_pos, format!("In configuration \"{key}\" no value is provided")),
                _ => self.error(
                    key_pos,
                    format!("{key} must be a list, but was {}", type_name(v)),
                ),
            },
            "missing format" | "valid format" | "invalid format" => match v.as_str() {
                Some(name) if FORMATS.contains(&name) => {}
                Some(name) => self.scan_error(
                    key_pos,
                    format!(
                        "Format {name} is not supported{} — Soda Core drops this condition when the scan runs",
                        did_you_mean(name, FORMATS.iter().copied())
                    ),
                ),
                None => self.error(key_pos, format!("{key} must be a string, but was {}", type_name(v))),
            },
            "missing regex" | "valid regex" | "invalid regex" => {
                if v.as_str().is_none() {
                    self.error(key_pos, format!("{key} must be a string, but was {}", type_name(v)));
                } else if v.as_str().is_some_and(|r| r.contains('\'')) {
                    self.trap(
                        key_pos,
                        format!("the regex in '{key}' contains a single quote, which breaks the SQL Soda Core builds from it"),
                    );
                }
            }
            "valid min" | "valid max" => {
                let ok = match &v.value {
                    Y::Scalar { kind: Scalar::Int(_) | Scalar::Float(_), .. } => true,
                    Y::Scalar { kind: Scalar::Str, text, .. } => variables::python_float(text).is_some(),
                    _ => false,
                };
                if !ok {
                    self.error(
                        key_pos,
                        format!("{key} must be an number (float), but was '{}'", v.scalar_text().unwrap_or(type_name(v))),
                    );
                }
            }
            "valid length" | "valid min length" | "valid max length" => {
                let ok = match &v.value {
                    Y::Scalar { kind: Scalar::Int(_), .. } => true,
                    Y::Scalar { kind: Scalar::Str, text, .. } => text.trim().parse::<i64>().is_ok(),
                    _ => false,
                };
                if !ok {
                    self.error(
                        key_pos,
                        format!("{key} must be an integer, but was {}", v.scalar_text().unwrap_or(type_name(v))),
                    );
                }
            }
            "include null"
                if !matches!(v.value, Y::Scalar { kind: Scalar::Bool(_), .. }) => {
                    self.error(key_pos, format!("{key} must be a boolean, but was '{}'", type_name(v)));
                }
            _ => {}
        }
    }

    fn schema_check(&mut self, line: &str, pos: Pos, config: Option<&Node>, section: &Section) {
        let Some(c) = config else {
            self.error(
                pos,
                format!("Check \"{line}\" expects a nested object/dict, but was None"),
            );
            return;
        };
        let allowed = ["name", "warn", "fail", "attributes", "identity"];
        for (k, v) in c.as_map().unwrap_or_default() {
            let key = k.scalar_text().unwrap_or_default();
            if !allowed.contains(&key) {
                self.error(
                    pos,
                    format!(
                        "Invalid schema check configuration key \"{key}\"{}",
                        did_you_mean(key, allowed)
                    ),
                );
                continue;
            }
            if key == "warn" || key == "fail" {
                self.schema_validations(key, k.pos, v, pos, false);
            }
        }
        self.common_values(config, pos);
        self.push(
            CheckKind::Schema,
            line,
            pos,
            config,
            section,
            Some("Schema Check"),
        );
    }

    /// The `warn:` / `fail:` mapping of a schema (or group evolution) check.
    fn schema_validations(&mut self, key: &str, key_pos: Pos, v: &Node, pos: Pos, groups: bool) {
        let Some(entries) = v.as_map() else {
            let _ = key_pos;
            self.error(
                pos,
                format!(
                    "Invalid YAML structure: key \"{key}\" must contain a dict, but was {} — schema checks take validations such as 'when required column missing: [col]'",
                    type_name(v)
                ),
            );
            return;
        };
        let known: &[&str] = if groups {
            &[
                "when required group missing",
                "when forbidden group present",
                "when groups change",
            ]
        } else {
            &[
                "when required column missing",
                "when forbidden column present",
                "when wrong column type",
                "when wrong column index",
                "when mismatching columns",
                "with optional columns",
                "when schema changes",
            ]
        };
        let has_mismatching = entries
            .iter()
            .any(|(k, _)| k.scalar_text() == Some("when mismatching columns"));
        for (k, value) in entries {
            let name = k.scalar_text().unwrap_or_default();
            if !known.contains(&name) {
                self.error(
                    key_pos,
                    format!(
                        "Invalid {} validation \"{name}\"{}",
                        if groups { "group evolution" } else { "schema" },
                        did_you_mean(name, known.iter().copied())
                    ),
                );
                continue;
            }
            let list_of_strings = value
                .as_seq()
                .is_some_and(|s| s.iter().all(|i| i.as_str().is_some()));
            let entries_ok = |f: &dyn Fn(&Node) -> bool| {
                value
                    .as_map()
                    .is_some_and(|m| m.iter().all(|(k, v)| k.as_str().is_some() && f(v)))
            };
            let wants_list = matches!(
                name,
                "when required column missing"
                    | "when forbidden column present"
                    | "when required group missing"
                    | "when forbidden group present"
                    | "with optional columns"
            );
            let wants_map = matches!(
                name,
                "when wrong column type" | "when mismatching columns" | "when wrong column index"
            );
            if wants_list && value.as_seq().is_none() {
                self.error(
                    key_pos,
                    format!("Invalid YAML structure: key \"{name}\" must contain a list, but was {} — write [a, b]", type_name(value)),
                );
                continue;
            }
            if wants_map && value.as_map().is_none() {
                self.error(
                    key_pos,
                    format!("Invalid YAML structure: key \"{name}\" must contain a dict, but was {} — write column: value pairs", type_name(value)),
                );
                continue;
            }
            match name {
                "when required column missing"
                | "when forbidden column present"
                | "when required group missing"
                | "when forbidden group present"
                    if !list_of_strings =>
                {
                    self.error(k.pos, format!("\"{name}\" must contain list of strings"));
                }
                "with optional columns" => {
                    if !list_of_strings {
                        self.error(k.pos, "\"with optional columns\" must be a list of strings");
                    } else if !has_mismatching {
                        self.error(
                            key_pos,
                            "\"with optional columns\" is only allowed together with \"when mismatching columns\"",
                        );
                    }
                }
                "when wrong column type" if !entries_ok(&|v| v.as_str().is_some()) => {
                    self.error(
                        k.pos,
                        format!("\"{name}\" must contain dict with strings for keys and values"),
                    );
                }
                "when mismatching columns"
                    if !entries_ok(&|v| v.as_str().is_some() || v.is_null()) =>
                {
                    self.error(
                        k.pos,
                        format!("\"{name}\" must contain dict with strings for keys and values"),
                    );
                }
                "when wrong column index"
                    if !entries_ok(&|v| {
                        matches!(
                            v.value,
                            Y::Scalar {
                                kind: Scalar::Int(_),
                                ..
                            }
                        )
                    }) =>
                {
                    self.error(
                        k.pos,
                        format!(
                            "\"{name}\" must contain dict with strings for keys and ints for values"
                        ),
                    );
                }
                "when schema changes" | "when groups change" => {
                    let options: &[&str] = if groups {
                        &["group add", "group delete"]
                    } else {
                        &[
                            "column add",
                            "column delete",
                            "column type change",
                            "column index change",
                        ]
                    };
                    let ok = value.as_str() == Some("any")
                        || value.as_seq().is_some_and(|s| {
                            s.iter()
                                .all(|i| i.as_str().is_some_and(|t| options.contains(&t)))
                        });
                    if !ok {
                        self.error(
                            pos,
                            format!("Value for \"{name}\" must be either \"any\" or a list of these optional strings: {options:?}"),
                        );
                    }
                }
                _ => {}
            }
        }
    }

    fn group_evolution_check(
        &mut self,
        line: &str,
        pos: Pos,
        config: Option<&Node>,
        section: &Section,
    ) {
        let Some(c) = config else {
            self.error(
                pos,
                format!("Check \"{line}\" expects a nested object/dict, but was None"),
            );
            return;
        };
        let allowed = ["name", "warn", "fail", "attributes", "query", "identity"];
        for (k, v) in c.as_map().unwrap_or_default() {
            let key = k.scalar_text().unwrap_or_default();
            if !allowed.contains(&key) {
                self.error(
                    pos,
                    format!("Invalid group evolution check configuration key \"{key}\""),
                );
            } else if key == "warn" || key == "fail" {
                self.schema_validations(key, k.pos, v, pos, true);
            }
        }
        if c.get("query").is_none() {
            self.error(pos, "query is required (Soda Core then aborts the scan)");
        }
        self.push(
            CheckKind::GroupEvolution,
            line,
            pos,
            config,
            section,
            Some("Group Evolution Check"),
        );
    }

    fn failed_rows_check(
        &mut self,
        line: &str,
        pos: Pos,
        config: Option<&Node>,
        section: &Section,
    ) {
        let Some(c) = config else {
            self.error(
                pos,
                format!("Check \"{line}\" expects a nested object/dict, but was None"),
            );
            return;
        };
        let allowed = [
            "name",
            "warn",
            "fail",
            "fail condition",
            "fail query",
            "samples limit",
            "samples columns",
            "attributes",
        ];
        for (k, _) in c.as_map().unwrap_or_default() {
            let key = k.scalar_text().unwrap_or_default();
            if !allowed.contains(&key) || key == "samples columns" {
                self.error(
                    pos,
                    format!(
                        "Invalid user defined failed rows check configuration key \"{key}\"{}",
                        did_you_mean(key, allowed)
                    ),
                );
            }
        }
        let condition = c.get("fail condition");
        let query = c.get("fail query");
        if condition.is_none() && query.is_none() {
            self.error(
                pos,
                "In a \"failed rows\" check, either \"fail condition\" or \"fail query\" are required as nested configurations.",
            );
            return;
        }
        if condition.is_some() && query.is_some() {
            self.trap(
                pos,
                "both 'fail condition' and 'fail query' are set: Soda Core uses the condition and silently ignores the query",
            );
        }
        self.common_values(config, pos);
        let fail = self.alert(c.get("fail"), pos);
        let warn = self.alert(c.get("warn"), pos);
        let kind = if condition.is_some() {
            CheckKind::FailedRowsCondition
        } else {
            CheckKind::FailedRowsQuery
        };
        let mut check = self.make(kind, line, pos, config, section);
        check.fail = fail;
        check.warn = warn;
        self.report.checks.push(check);
    }

    fn group_by_check(
        &mut self,
        line: &str,
        pos: Pos,
        config: Option<&Node>,
        section: &Section,
    ) -> Walk {
        let Some(c) = config else {
            self.error(
                pos,
                format!("Check \"{line}\" expects a nested object/dict, but was None"),
            );
            return Ok(());
        };
        for key in ["query", "fields", "checks"] {
            if c.get(key).is_none() {
                self.error(pos, format!("{key} is required in a group by check"));
            }
        }
        if let Some(fields) = c.get("fields")
            && fields.as_seq().is_none()
        {
            self.error(
                pos,
                format!(
                    "Invalid YAML structure: key \"fields\" must contain a list, but was {}",
                    type_name(fields)
                ),
            );
        }
        self.push(CheckKind::GroupBy, line, pos, config, section, None);
        if let Some(checks) = c.get("checks").and_then(Node::as_seq) {
            let nested = Section {
                scope: Scope::GroupBy,
                ..section.clone()
            };
            let before = self.report.checks.len();
            for item in checks {
                self.check_item(item, &nested)?;
            }
            // Nested checks are parts of the group by check, not checks of their own.
            let nested_checks: Vec<Check> = self.report.checks.drain(before..).collect();
            for n in &nested_checks {
                if n.name.is_none() {
                    self.scan_error(
                        Pos {
                            line: n.line,
                            col: n.col,
                        },
                        "a check inside 'group by' needs a 'name:' (Soda Core fails it otherwise)",
                    );
                }
            }
            let has_warn = nested_checks.iter().any(|n| n.warn.is_some());
            if has_warn {
                self.trap(
                    pos,
                    "a group that only warns does not make the group by check warn (Soda Core reports it as passing)",
                );
            }
        }
        Ok(())
    }

    fn data_source_check(
        &mut self,
        line: &str,
        pos: Pos,
        config: Option<&Node>,
        section: &Section,
    ) -> Walk {
        if line == "failed rows" {
            if config.and_then(|c| c.get("fail query")).is_none() {
                // Soda Core keeps the check, whose empty query then fails the scan.
                self.error(pos, "fail query is required: the data source 'checks:' section only supports 'failed rows' with 'fail query'");
            }
            let mut check = self.make(CheckKind::FailedRowsQuery, line, pos, config, section);
            check.fail = self.alert(config.and_then(|c| c.get("fail")), pos);
            check.warn = self.alert(config.and_then(|c| c.get("warn")), pos);
            self.report.checks.push(check);
            return Ok(());
        }
        match grammar::parse_check(line) {
            Ok(CheckLine::Metric(m)) => {
                let has_query = config.and_then(Node::as_map).is_some_and(|e| {
                    e.iter().any(|(k, _)| {
                        let key = k.scalar_text().unwrap_or_default();
                        key.ends_with(" query") || key.ends_with(" sql_file")
                    })
                });
                if !has_query {
                    self.scan_error(
                        pos,
                        format!(
                            "'{line}' needs a dataset: put it under 'checks for DATASET:' (the data source 'checks:' section only runs '<metric> query' and 'failed rows' checks; Soda Core aborts the scan)"
                        ),
                    );
                }
                let node = Node {
                    pos,
                    value: Y::Scalar {
                        text: line.to_owned(),
                        style: Style::Plain,
                        kind: Scalar::Str,
                    },
                    flow: false,
                    anchor: None,
                };
                self.metric_check(line, &node, &m, config, section)
            }
            Ok(_) => {
                self.error(
                    pos,
                    format!("Check type \"{line}\" must be in \"checks for TABLENAME:\" section."),
                );
                Ok(())
            }
            Err(e) => {
                self.error(pos, format!("Invalid check \"{line}\": {}", e.message));
                Ok(())
            }
        }
    }

    fn make(
        &mut self,
        kind: CheckKind,
        line: &str,
        pos: Pos,
        config: Option<&Node>,
        section: &Section,
    ) -> Check {
        let name = config
            .and_then(|c| c.get("name"))
            .and_then(Node::as_str)
            .map(str::to_owned);
        let display_name = match &name {
            Some(n) => self.vars.resolve(n),
            None => {
                let mut generated = line.to_owned();
                for key in ["warn", "fail"] {
                    if let Some(v) = config.and_then(|c| c.get(key))
                        && let Some(text) = python_truthy_text(v)
                    {
                        generated.push_str(&format!(" {key} {text}"));
                    }
                }
                self.vars.resolve(&generated)
            }
        };
        if let Some((_, set_in)) = &self.dataset_attributes
            && *set_in != self.section_index
            && section.scope == Scope::Dataset
        {
            let set_in = *set_in;
            self.trap(
                    pos,
                    format!(
                        "the dataset-level 'attributes' set in section {} also apply to this check in a later section (Soda Core never resets them)",
                        set_in + 1
                    ),
                );
            // Say it once per section.
            self.dataset_attributes = self
                .dataset_attributes
                .take()
                .map(|(a, _)| (a, self.section_index));
        }
        Check {
            dataset: section.dataset.clone(),
            kind,
            metric_name: None,
            column: None,
            line: pos.line,
            col: pos.col,
            source_line: line.to_owned(),
            name,
            identity: None,
            fail: None,
            warn: None,
            scope: section.scope,
            source_header: section.header.clone(),
            filter_name: section.partition.clone(),
            metric_args: None,
            identities: None,
            change_over_time: None,
            fail_older_than: None,
            warn_older_than: None,
            display_name,
            source_configurations: config.map(Node::to_json),
            config_node: config.cloned(),
        }
    }

    fn push(
        &mut self,
        kind: CheckKind,
        line: &str,
        pos: Pos,
        config: Option<&Node>,
        section: &Section,
        default_name: Option<&str>,
    ) {
        let mut check = self.make(kind, line, pos, config, section);
        if check.name.is_none()
            && let Some(d) = default_name
        {
            check.name = Some(d.to_owned());
            check.display_name = d.to_owned();
        }
        self.report.checks.push(check);
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

/// The zone in which a condition is true.
fn zone(c: &Condition) -> ZoneSpec {
    let b = |v: &Value| match v {
        Value::Number(n) => Bound::Number(*n),
        Value::Duration(s) => Bound::Duration(*s),
        Value::Text(t) => Bound::Text(t.clone()),
    };
    match c {
        Condition::Compare(op, v) => {
            let v = b(v);
            match op {
                Comparator::Lt => ZoneSpec {
                    lt: Some(v),
                    ..ZoneSpec::default()
                },
                Comparator::Lte => ZoneSpec {
                    lte: Some(v),
                    ..ZoneSpec::default()
                },
                Comparator::Gt => ZoneSpec {
                    gt: Some(v),
                    ..ZoneSpec::default()
                },
                Comparator::Gte => ZoneSpec {
                    gte: Some(v),
                    ..ZoneSpec::default()
                },
                Comparator::Eq => ZoneSpec {
                    gte: Some(v.clone()),
                    lte: Some(v),
                    ..ZoneSpec::default()
                },
                Comparator::Ne => ZoneSpec {
                    gt: Some(v.clone()),
                    lt: Some(v),
                    split_zone: true,
                    ..ZoneSpec::default()
                },
            }
        }
        Condition::Between {
            not,
            lower_inclusive,
            lower,
            upper,
            upper_inclusive,
        } => {
            let mut z = ZoneSpec::default();
            if *lower_inclusive {
                z.gte = Some(b(lower));
            } else {
                z.gt = Some(b(lower));
            }
            if *upper_inclusive {
                z.lte = Some(b(upper));
            } else {
                z.lt = Some(b(upper));
            }
            if *not { z.inverse() } else { z }
        }
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

fn header_hint(raw: &str) -> String {
    let first = raw.split(' ').next().unwrap_or_default();
    let lower = raw.to_lowercase();
    if lower.starts_with("checks for") && !raw.starts_with("checks for") {
        return " — section keywords are lower case: 'checks for'".to_owned();
    }
    if let Some(k) = catalogue::suggest(first, ["checks", "filter", "configurations", "variables"])
        && k != first
    {
        return format!(" — did you mean '{k}'?");
    }
    if raw.starts_with("reconciliation") {
        return " — reconciliation checks need Soda Library; Soda Core does not support them"
            .to_owned();
    }
    String::new()
}
