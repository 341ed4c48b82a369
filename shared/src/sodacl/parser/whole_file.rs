//! What is decided once the whole file is read: thresholds that needed every variable, and
//! the check identities.

use super::*;

impl Walker<'_> {
    /// Threshold texts that Python's `float()` will not read once variables are resolved:
    /// Soda Core fails those checks when it evaluates them.
    pub(super) fn check_thresholds(&mut self) {
        for (pos, text) in std::mem::take(&mut self.pending_thresholds) {
            let resolved = self.vars.resolve(&text);
            if variables::python_float(&resolved).is_some() {
                continue;
            }
            let undefined = self.vars.undefined_in(&text);
            let message = if undefined.is_empty() && resolved != text {
                format!(
                    "threshold '{text}' is '{resolved}' once variables are resolved: not a number"
                )
            } else if undefined.is_empty() {
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
    pub(super) fn identify(&mut self) {
        if self.options.data_source.is_empty() {
            return;
        }
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
}
