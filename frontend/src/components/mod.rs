//! Pieces several pages draw the same way.
//! - `health`: a dataset's health as a badge;
//! - `loaded`: a resource, with "Loading…" until it arrives and its error as an alert;
//! - `measure`: a value in its unit (counts, percentages, durations);
//! - `outcome`: a check outcome as a badge;
//! - `pager`: the previous / next links under a paged list.

mod health;
mod loaded;
mod measure;
mod outcome;
mod pager;

pub use health::health_badge;
pub use loaded::loaded;
pub use measure::{format_measure, zone_words};
pub use outcome::outcome_badge;
pub use pager::{page_count, pager};
