//! Checks of the other kinds: group evolution, failed rows, group by, and data-source-level
//! checks.

use super::*;

impl Walker<'_> {
    pub(super) fn group_evolution_check(&mut self, item: Item<'_>) {
        let Some(c) = self.nested_config(item) else {
            return;
        };
        let pos = item.pos;
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
            item,
            Some("Group Evolution Check"),
        );
    }

    pub(super) fn failed_rows_check(&mut self, item: Item<'_>) {
        let Some(c) = self.nested_config(item) else {
            return;
        };
        let Item { pos, config, .. } = item;
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
        let mut check = self.make(kind, item);
        check.fail = fail;
        check.warn = warn;
        self.report.checks.push(check);
    }

    pub(super) fn group_by_check(&mut self, item: Item<'_>) -> Walk {
        let Some(c) = self.nested_config(item) else {
            return Ok(());
        };
        let Item { pos, section, .. } = item;
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
        self.push(CheckKind::GroupBy, item, None);
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

    pub(super) fn data_source_check(&mut self, item: Item<'_>) -> Walk {
        let Item {
            line, pos, config, ..
        } = item;
        if line == "failed rows" {
            if config.and_then(|c| c.get("fail query")).is_none() {
                // Soda Core keeps the check, whose empty query then fails the scan.
                self.error(pos, "fail query is required: the data source 'checks:' section only supports 'failed rows' with 'fail query'");
            }
            let mut check = self.make(CheckKind::FailedRowsQuery, item);
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
                self.metric_check(item, &node, &m)
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
}
