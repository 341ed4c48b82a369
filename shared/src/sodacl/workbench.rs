//! The checks editor's engine, in one call: the dashboard runs it in a Web Worker (the
//! `sodacl_worker` wasm, loaded only by the editor page, so the SodaCL engine stays out of every
//! other page's download), sending `WorkbenchRequest`s and reading `WorkbenchReport`s as JSON.
//!
//! A request carries the file's text, the names that go into identities, and the stored values
//! of checks Seltzer has history for; the report has the file's problems, its checks, and for
//! each check with history the outcome the edited check gives every stored value (a backtest).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::evaluate::{judge_stored, needs_soda_core};
use super::model::ZoneSpec;
use super::variables::Variables;
use super::{Options, Severity, parse};
use crate::api::CheckOutcome;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkbenchRequest {
    /// Echoed in the report, so a late answer to an older text can be recognised.
    pub seq: u64,
    pub text: String,
    pub file_name: String,
    pub data_source: String,
    /// What `${NOW}` stands for (see `Options::now`): the browser's clock.
    #[serde(default)]
    pub now: String,
    /// Stored values (oldest first) by check identity.
    #[serde(default)]
    pub histories: BTreeMap<String, Vec<Option<f64>>>,
    /// Stored values pinned to the file's first check, whatever its identity becomes (the
    /// editor opened from a check).
    #[serde(default)]
    pub pinned: Option<Vec<Option<f64>>>,
    /// Stored values pinned to checks by their position in the file (from 0), whatever their
    /// identities become: `seltzer backtest --against` pairs an edited file's checks with the
    /// deployed file's this way.
    #[serde(default)]
    pub pinned_at: BTreeMap<usize, Vec<Option<f64>>>,
    /// Scan variables (`--var`).
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkbenchReport {
    pub seq: u64,
    pub errors: usize,
    pub warnings: usize,
    /// Soda Core would stop reading the file at its first error.
    pub aborted: bool,
    /// Errors and warnings, in file order.
    pub problems: Vec<Problem>,
    pub checks: Vec<WorkbenchCheck>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    pub line: u32,
    pub col: u32,
    pub error: bool,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkbenchCheck {
    pub line: u32,
    pub dataset: Option<String>,
    pub name: String,
    /// The fail and warn conditions as written (`> 5`, `between 1 and 3`), empty when none.
    pub fail: String,
    pub warn: String,
    /// Soda Core's identity (v3, or the check's own `identity:`).
    pub identity: Option<String>,
    /// Where the backtest's values came from: `identity` or `pinned`.
    pub history: Option<String>,
    /// The outcome this check gives each stored value, in the history's order.
    pub backtest: Option<Vec<Option<CheckOutcome>>>,
    /// Why there is no backtest although the check kind has stored results: Soda Core alone
    /// judges it (anomalies, schemas, groups).
    #[serde(default)]
    pub not_backtested: Option<String>,
}

/// `> 5 and <= 10`, `< 1 or > 3` (a split zone), as the bounds were written.
pub fn describe_zone(zone: Option<&ZoneSpec>) -> String {
    let Some(z) = zone else {
        return String::new();
    };
    let parts: Vec<String> = [(">", &z.gt), (">=", &z.gte), ("<", &z.lt), ("<=", &z.lte)]
        .into_iter()
        .filter_map(|(op, b)| b.as_ref().map(|b| format!("{op} {}", b.describe())))
        .collect();
    parts.join(if z.split_zone { " or " } else { " and " })
}

/// Parses the text and backtests every check that has stored values.
pub fn run(request: &WorkbenchRequest) -> WorkbenchReport {
    let options = Options {
        file_name: request.file_name.clone(),
        data_source: request.data_source.clone(),
        now: request.now.clone(),
        variables: request.variables.clone(),
        ..Options::default()
    };
    let report = parse(&request.text, &options);
    let variables = Variables::new(&options.variables, &options.now);
    let problems = report
        .diagnostics()
        .into_iter()
        .filter(|d| d.severity != Severity::Info)
        .map(|d| Problem {
            line: d.line,
            col: d.col,
            error: d.severity == Severity::Error,
            message: d.message.clone(),
        })
        .collect();
    let checks = report
        .checks
        .iter()
        .enumerate()
        .map(|(i, check)| {
            let by_identity = check
                .identity
                .as_ref()
                .and_then(|id| request.histories.get(id))
                .map(|values| ("identity", values));
            let pinned = request
                .pinned_at
                .get(&i)
                .or((i == 0).then_some(request.pinned.as_ref()).flatten())
                .map(|values| ("pinned", values));
            let found = by_identity.or(pinned);
            let not_backtested = needs_soda_core(check.kind);
            let backtest = found
                .filter(|_| not_backtested.is_none())
                .map(|(_, values)| {
                    values
                        .iter()
                        .map(|value| judge_stored(check, *value, &variables))
                        .collect()
                });
            WorkbenchCheck {
                line: check.line,
                dataset: check.dataset.clone(),
                name: check.display_name.clone(),
                fail: describe_zone(check.fail.as_ref()),
                warn: describe_zone(check.warn.as_ref()),
                identity: check.identity.clone(),
                history: found.map(|(source, _)| source.to_owned()),
                backtest,
                not_backtested: not_backtested.map(str::to_owned),
            }
        })
        .collect();
    WorkbenchReport {
        seq: request.seq,
        errors: report.errors.len(),
        warnings: report.warnings.len(),
        aborted: report.aborted,
        problems,
        checks,
    }
}

/// Outcomes counted by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub not_evaluated: usize,
}

impl Tally {
    fn add(&mut self, outcome: Option<CheckOutcome>) {
        *match outcome {
            Some(CheckOutcome::Pass) => &mut self.pass,
            Some(CheckOutcome::Warn) => &mut self.warn,
            Some(CheckOutcome::Fail) => &mut self.fail,
            None => &mut self.not_evaluated,
        } += 1;
    }

    /// The kinds that occur, by their API names (`pass`, `notEvaluated`…), in that order.
    pub fn named(&self) -> Vec<(&'static str, usize)> {
        [
            ("fail", self.fail),
            ("notEvaluated", self.not_evaluated),
            ("pass", self.pass),
            ("warn", self.warn),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect()
    }
}

/// A backtest against what Soda Core stored: how many results were compared, how many the
/// edited checks judge differently, and the outcomes before and after.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Comparison {
    pub results: usize,
    pub changed: usize,
    pub before: Tally,
    pub after: Tally,
}

/// Compares the stored outcomes with a backtest's (`WorkbenchCheck::backtest`, in the same
/// order); the editor and `seltzer backtest` both count with this.
pub fn compare(
    stored: impl IntoIterator<Item = Option<CheckOutcome>>,
    judged: &[Option<CheckOutcome>],
) -> Comparison {
    let mut c = Comparison::default();
    for (old, new) in stored.into_iter().zip(judged) {
        c.results += 1;
        c.before.add(old);
        c.after.add(*new);
        if old != *new {
            c.changed += 1;
        }
    }
    c
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_backtest_counts_what_it_would_judge_differently() {
        use CheckOutcome::{Fail, Pass, Warn};
        let stored = [Some(Pass), Some(Fail), None, Some(Warn)];
        let judged = [Some(Pass), Some(Warn), None];
        let c = compare(stored, &judged);
        assert_eq!(
            (c.results, c.changed),
            (3, 1),
            "only as many as were judged"
        );
        assert_eq!(
            c.before.named(),
            [("fail", 1), ("notEvaluated", 1), ("pass", 1)]
        );
        assert_eq!(
            c.after.named(),
            [("notEvaluated", 1), ("pass", 1), ("warn", 1)]
        );
    }

    fn request(text: &str) -> WorkbenchRequest {
        WorkbenchRequest {
            seq: 7,
            text: text.to_owned(),
            file_name: "checks.yml".to_owned(),
            data_source: "shop".to_owned(),
            ..WorkbenchRequest::default()
        }
    }

    #[test]
    fn problems_are_located_and_checks_listed() {
        let report = run(&request(
            "checks for orders:\n  - row_count > 0\n  - row_count between 10\n",
        ));
        assert_eq!(report.seq, 7);
        assert_eq!(report.errors, 1);
        assert_eq!(report.problems[0].line, 3);
        assert!(report.problems[0].error);
        let ok = run(&request(
            "checks for orders:\n  - row_count:\n      fail: when <= 0\n      warn: when < 10\n",
        ));
        assert!(ok.problems.is_empty(), "{:?}", ok.problems);
        assert_eq!(ok.checks.len(), 1);
        assert_eq!(ok.checks[0].fail, "<= 0.0");
        assert_eq!(ok.checks[0].warn, "< 10.0");
        assert_eq!(ok.checks[0].dataset.as_deref(), Some("orders"));
        assert!(ok.checks[0].identity.is_some());
    }

    #[test]
    fn stored_values_are_judged_by_the_edited_thresholds() {
        let mut req = request("checks for orders:\n  - row_count > 100\n");
        let identity = run(&req).checks[0].identity.clone().unwrap();
        req.histories
            .insert(identity, vec![Some(50.0), None, Some(150.0)]);
        let report = run(&req);
        assert_eq!(report.checks[0].history.as_deref(), Some("identity"));
        assert_eq!(
            report.checks[0].backtest,
            Some(vec![
                Some(CheckOutcome::Fail),
                None,
                Some(CheckOutcome::Pass)
            ])
        );

        // A changed threshold changes the identity: only a pinned history still applies.
        let mut edited = request("checks for orders:\n  - row_count > 10\n");
        edited.histories = req.histories.clone();
        assert_eq!(run(&edited).checks[0].backtest, None);
        edited.pinned = Some(vec![Some(50.0), Some(5.0)]);
        let pinned = run(&edited);
        assert_eq!(pinned.checks[0].history.as_deref(), Some("pinned"));
        assert_eq!(
            pinned.checks[0].backtest,
            Some(vec![Some(CheckOutcome::Pass), Some(CheckOutcome::Fail)])
        );
    }

    #[test]
    fn stored_values_are_judged_as_soda_core_reported_them() {
        // A change check's stored value is the change Soda Core computed: only the thresholds
        // apply (it is not the change of the change).
        let mut change = request("checks for orders:\n  - change for row_count < 50\n");
        change.pinned = Some(vec![Some(-300.0), Some(20.0), Some(80.0), None]);
        assert_eq!(
            run(&change).checks[0].backtest,
            Some(vec![
                Some(CheckOutcome::Pass),
                Some(CheckOutcome::Pass),
                Some(CheckOutcome::Fail),
                None
            ])
        );
        // Freshness is reported in milliseconds.
        let mut fresh = request("checks for orders:\n  - freshness(created_at) < 1d\n");
        fresh.pinned = Some(vec![Some(3_603_295.0), Some(90_148_988_610.0)]);
        assert_eq!(
            run(&fresh).checks[0].backtest,
            Some(vec![Some(CheckOutcome::Pass), Some(CheckOutcome::Fail)])
        );
        // Soda Core alone judges anomalies, schemas and groups: no guess, a reason.
        let mut anomaly = request("checks for orders:\n  - anomaly detection for row_count\n");
        anomaly.pinned = Some(vec![Some(100.0)]);
        let report = run(&anomaly);
        assert_eq!(report.checks[0].backtest, None);
        assert!(
            report.checks[0]
                .not_backtested
                .as_deref()
                .is_some_and(|r| r.contains("Soda Core")),
            "{report:?}"
        );
    }
}

#[cfg(test)]
mod typing {
    use super::*;

    /// The editor checks the file after every keystroke: every prefix of a real checks file
    /// (Soda Core's history scenario) must give a report, never a panic.
    #[test]
    fn every_prefix_of_a_file_being_typed_is_checked() {
        let file = "# History-driven checks\nfilter orders_history [daily]:\n  where: order_date = DATE '${SCAN_DATE}'\n\nchecks for orders_history [daily]:\n  - row_count > 0\n  - anomaly detection for row_count\n  - anomaly score for row_count < default\n  - change for row_count < 50\n  - change avg last 7 for row_count < 50\n  - anomaly detection for avg(amount):\n      name: Average amount is not anomalous\n";
        let chars: Vec<char> = file.chars().collect();
        for end in 0..=chars.len() {
            let text: String = chars[..end].iter().collect();
            let request = WorkbenchRequest {
                text,
                file_name: "checks.yml".to_owned(),
                data_source: "shop".to_owned(),
                ..WorkbenchRequest::default()
            };
            let report = run(&request);
            let errors = report.problems.iter().filter(|p| p.error).count();
            assert_eq!(report.errors, errors, "prefix of {end} characters");
            assert_eq!(report.warnings, report.problems.len() - errors);
            let lines = u32::try_from(request.text.lines().count().max(1)).unwrap();
            assert!(
                report
                    .problems
                    .iter()
                    .all(|p| p.line >= 1 && p.line <= lines + 1 && p.col >= 1),
                "prefix of {end} characters: {:?}",
                report.problems
            );
        }
        // The whole file is a valid checks file with six checks.
        let whole = run(&WorkbenchRequest {
            text: file.to_owned(),
            file_name: "checks.yml".to_owned(),
            data_source: "shop".to_owned(),
            ..WorkbenchRequest::default()
        });
        assert_eq!(whole.errors, 0, "{:?}", whole.problems);
        assert_eq!(whole.checks.len(), 6);
    }
}
