//! Pieces several pages draw the same way.
//! - `diagnostics`: Soda Core's diagnostics of a result as sentences;
//! - `health`: a dataset's health as a badge;
//! - `incident`: a link to a check's open incident;
//! - `loaded`: a resource, with "Loading…" until it arrives and its error as an alert;
//! - `outcome`: a check outcome as a badge, checks by outcome in a cell;
//! - `pager`: the previous / next links under a paged list;
//! - `rule`: a notification rule in a line;
//! - `run`: a scan run's state as a badge;
//! - `since`: since when a check's outcome holds, and whether it flaps;
//! - `table`: a listed resource as a table, or a line saying it is empty.

mod diagnostics;
mod health;
mod incident;
mod loaded;
mod outcome;
mod pager;
mod rule;
mod run;
mod since;
mod table;

pub use diagnostics::diagnostic_sentences;
pub use health::health_badge;
pub use incident::incident_badge;
pub use loaded::loaded;
pub use outcome::{outcome_badge, outcome_counts_cell};
pub use pager::{page_count, pager};
pub use rule::rule_summary;
pub use run::run_state_badge;
pub use shared::sodacl::measure::{format_measure, zone_words};
pub use since::{SinceSummary, since_cell};
pub use table::table_of;
