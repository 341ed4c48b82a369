//! The SodaCL engine: reads checks files the way Soda Core 3.5.6 does — the YAML walk, the
//! check-line grammar, the checks and their identities — reports every mistake with its line and
//! column, and decides outcomes from measured values exactly as Soda Core decides them. The same
//! code runs natively (server, `seltzer validate`) and as wasm (the dashboard's editor).
//!
//! Modules, in the order a file goes through them: [`yaml`] (the tree with positions),
//! [`parser`] (sections and check items; [`anomaly`] for anomaly-detection settings), [`grammar`]
//! (check lines and section headers), [`identity`] (check identities), [`model`] (what comes
//! out: checks and diagnostics); [`evaluate`] and [`threshold`] turn a measured value into an
//! outcome; [`catalogue`] knows the metric, format and key names; [`variables`] resolves
//! `${NAME}`.
//!
//! # Agreement with Soda Core
//!
//! `tests/corpus_sodacl.rs` compares every corpus file (the shared corpus, and Seltzer's own
//! cases judged by the same oracle in `tests/data/sodacl-extra/`) with what Soda Core did: the
//! verdict (parse errors or not), every located error on the same line, the checks (kind,
//! dataset, metric, arguments, column, position, name, thresholds, filter), identities v1–v3,
//! and every outcome from the recorded value. Each [`Diagnostic`] carries its [`Origin`]:
//! `SodaParse` problems are exactly the ones Soda Core reports when reading the file (Soda
//! Core's own texts, usually followed by the fix); the rest are deliberate differences, listed
//! here.
//!
//! Where Soda Core gives no line, Seltzer gives one: grammar errors point at the offending
//! character of the check line, anomaly-detection errors at the offending key, YAML errors at
//! ruamel's position. Messages add what was expected and a "did you mean" when a name is close
//! to a known one.
//!
//! ## Errors Soda Core only reports when the scan runs (`Origin::SodaScan`)
//! Soda Core accepts these files, then fails the check (or the whole scan) when it runs; the
//! editor says so at once. The corpus test checks that the scan did log an error for each.
//! - an unknown metric without a `<metric> query` / `expression` / `sql_file` (typos such as
//!   `row_cout`, or `median`, `missing`);
//! - a built-in metric that needs a column written without one (`avg > 1`), and `percentile`
//!   without its fraction (both abort the whole scan);
//! - a duration threshold on a check other than freshness (`row_count > 5d`);
//! - a threshold that is not a number once variables are resolved (`> ten`, an undefined
//!   `${VAR}`);
//! - an unknown format name in `valid format` / `invalid format` / `missing format` (Soda Core
//!   silently drops the condition at scan time);
//! - `row_count same as X [p]` where filter `p` of `X` is not declared (aborts the scan);
//! - an `anomaly score` check with a threshold other than `< default`;
//! - a check inside `group by` without `name`;
//! - a built-in metric check in the data-source `checks:` section (aborts the scan).
//!
//! ## Warnings for what Soda Core accepts silently (`Origin::Seltzer`)
//! - `warn:` / `fail:` next to an inline threshold: ignored by Soda Core;
//! - a freshness check without threshold, or with one that can never trigger (`>`, `when <`,
//!   bare numbers, units other than d/h/m): it always passes;
//! - a single text where a list is expected (`missing values: N/A` means `N`, `/`, `A`);
//! - `invalid values` / `invalid format` / `invalid regex` in `configurations for`: never applied;
//! - a regex containing `'`, which breaks the SQL Soda Core builds;
//! - dataset-level `attributes` that leak into checks of a later section;
//! - configuration keys at the same level as the check (bad indentation), which Soda Core
//!   reports only as an info message;
//! - `fail condition` and `fail query` together: the query is ignored;
//! - a `group by` whose groups can only warn: the parent check never warns.
//!
//! Seltzer reports no error that Soda Core would not also report, at parse or at scan time.
//!
//! ## Also different
//! - Soda Core stops reading a file at some mistakes ("Could not add SodaCL file"); Seltzer
//!   stops at the same point (the checks after it are not loaded) and says where and why.
//! - Variables come from `--var` / the options and the file's `variables:` section; the
//!   operating system environment that Soda Core also consults is not read, so that a file
//!   validates the same everywhere.
//! - Identities of `for each dataset` checks depend on the datasets a scan finds; they are left
//!   out. Checks of `automated monitoring` sections are not listed (they need Soda Cloud).

pub mod anomaly;
pub mod catalogue;
pub mod evaluate;
pub mod grammar;
pub mod identity;
pub mod measure;
pub mod model;
pub mod parser;
pub mod threshold;
pub mod units;
pub mod variables;
pub mod workbench;
pub mod yaml;

pub use model::{Check, CheckKind, Diagnostic, Origin, Report, Scope, Severity, ZoneSpec};
pub use parser::{FileCheck, Options, parse};
pub use threshold::{Thresholds, Zone};
