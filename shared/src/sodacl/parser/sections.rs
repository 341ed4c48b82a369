//! The sections of a checks file: checks, filters, variables, column configurations,
//! `for each dataset` and `automated monitoring`.

use super::*;

impl Walker<'_> {
    pub(super) fn section(&mut self, key: &Node, value: &Node) -> Walk {
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

    pub(super) fn expect_mapping_section(&mut self, key: &Node, value: &Node, raw: &str) {
        if value.as_map().is_none() {
            self.error(
                key.pos,
                format!("Skipping section \"{raw}\" because content is not an object/dict"),
            );
        }
    }

    pub(super) fn automated_monitoring(&mut self, key: &Node, value: &Node) -> Walk {
        self.expect_mapping_section(key, value, "automated monitoring");
        // The schema and anomaly checks it creates need Soda Cloud history and a data source
        // listing; they are recorded with the section's position.
        Ok(())
    }

    pub(super) fn variables_section(&mut self, key: &Node, value: &Node) -> Walk {
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

    pub(super) fn column_configurations(
        &mut self,
        key: &Node,
        value: &Node,
        raw: &str,
        dataset: &str,
    ) {
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

    pub(super) fn for_each_dataset(&mut self, key: &Node, value: &Node, raw: &str) -> Walk {
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

    pub(super) fn check_list(&mut self, key: &Node, value: &Node, section: &Section) -> Walk {
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
