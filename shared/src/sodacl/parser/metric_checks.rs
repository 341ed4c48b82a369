//! Metric and change-over-time checks: the metric, its arguments and configuration keys, the
//! `warn:` / `fail:` alerts and validity values.

use super::*;

impl Walker<'_> {
    #[allow(clippy::too_many_lines)]
    pub(super) fn metric_check(
        &mut self,
        item: Item<'_>,
        line_node: &Node,
        m: &MetricLine,
    ) -> Walk {
        let Item { line, pos, .. } = item;
        let (config, section) = (item.config, item.section);
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
            let problems = crate::sodacl::anomaly::validate(c);
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
                fail = Some(ZoneSpec::of(c).inverse());
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
        let mut check = self.make(kind, item);
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
    pub(super) fn sql_file(&mut self, v: &Node) -> Walk {
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
    pub(super) fn between_order(&mut self, c: &Condition, pos: Pos, line: &str) {
        let Condition::Between {
            not, lower, upper, ..
        } = c
        else {
            return;
        };
        let text = |v: &Value| match v {
            Value::Text(t) => t.clone(),
            Value::Number(n) => grammar::format_number(*n),
            Value::Duration(s) => crate::sodacl::model::timedelta_text(*s),
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
    pub(super) fn alert(&mut self, node: Option<&Node>, pos: Pos) -> Option<ZoneSpec> {
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
                Some(ZoneSpec::of(&c))
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
    pub(super) fn validity_value(&mut self, key: &str, key_pos: Pos, v: &Node) {
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
}
