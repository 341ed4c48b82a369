//! Schema checks: `schema:` with its `fail:` / `warn:` validations.

use super::*;

impl Walker<'_> {
    pub(super) fn schema_check(&mut self, item: Item<'_>) {
        let Some(c) = self.nested_config(item) else {
            return;
        };
        let Item { pos, config, .. } = item;
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
        self.push(CheckKind::Schema, item, Some("Schema Check"));
    }

    /// The `warn:` / `fail:` mapping of a schema (or group evolution) check.
    pub(super) fn schema_validations(
        &mut self,
        key: &str,
        key_pos: Pos,
        v: &Node,
        pos: Pos,
        groups: bool,
    ) {
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
}
