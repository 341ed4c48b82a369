//! The SodaCL engine: reads checks files the way Soda Core 3.5.6 does — the YAML walk, the
//! check-line grammar, the checks and their identities — reports every mistake with its line and
//! column, and decides outcomes from measured values exactly as Soda Core decides them.
//!
//! Folders of the reader, in the order a file goes through them: [`yaml`] (the tree with
//! positions), [`parser`] (sections and check items), [`grammar`] (check lines and headers),
//! [`identity`] (check identities), [`model`] (what comes out); [`threshold`] and [`evaluate`]
//! turn a value into an outcome.

pub mod anomaly;
pub mod catalogue;
pub mod evaluate;
pub mod grammar;
pub mod identity;
pub mod model;
pub mod parser;
pub mod threshold;
pub mod variables;
pub mod yaml;

pub use model::{Check, CheckKind, Diagnostic, Origin, Report, Scope, Severity, ZoneSpec};
pub use parser::{FileCheck, Options, parse};
pub use threshold::{ThresholdError, Thresholds, Zone, split_inline_threshold};
