//! One item of a checks list: its line and configuration read into a `Check`, the keys every
//! check may have, and adding it to the report.

use super::*;

impl Walker<'_> {
    pub(super) fn check_item(&mut self, item: &Node, section: &Section) -> Walk {
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
                        self.no_nested_config(&line, pos);
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

        let item = Item {
            line: &line,
            pos,
            config,
            section,
        };
        if section.scope == Scope::DataSource {
            return self.data_source_check(item);
        }
        match line.as_str() {
            "schema" => {
                self.schema_check(item);
                Ok(())
            }
            "group evolution" => {
                self.group_evolution_check(item);
                Ok(())
            }
            "failed rows" => {
                self.failed_rows_check(item);
                Ok(())
            }
            "group by" => self.group_by_check(item),
            _ => self.parsed_check(item, line_node),
        }
    }

    pub(super) fn parsed_check(&mut self, item: Item<'_>, line_node: &Node) -> Walk {
        let Item { line, pos, .. } = item;
        let (config, section) = (item.config, item.section);
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
            Ok(CheckLine::Metric(m)) => self.metric_check(item, line_node, &m),
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
                self.push(CheckKind::RowCountComparison, item, None);
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
                self.push(CheckKind::Reference, item, None);
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
                let mut check = self.make(CheckKind::Freshness, item);
                check.column = Some(MetricArg::Text(column));
                check.fail_older_than = spans[0];
                check.warn_older_than = spans[1];
                self.report.checks.push(check);
                Ok(())
            }
        }
    }

    /// Validates configuration keys against an allowed list.
    pub(super) fn check_keys(
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
    pub(super) fn common_values(&mut self, config: Option<&Node>, pos: Pos) {
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

    pub(super) fn make(&mut self, kind: CheckKind, item: Item<'_>) -> Check {
        let Item { line, pos, .. } = item;
        let (config, section) = (item.config, item.section);
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

    pub(super) fn push(&mut self, kind: CheckKind, item: Item<'_>, default_name: Option<&str>) {
        let mut check = self.make(kind, item);
        if check.name.is_none()
            && let Some(d) = default_name
        {
            check.name = Some(d.to_owned());
            check.display_name = d.to_owned();
        }
        self.report.checks.push(check);
    }
}
