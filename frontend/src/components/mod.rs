//! Pieces several pages draw the same way.
//! - `health`: a dataset's health as a badge;
//! - `loaded`: a resource, with "Loading…" until it arrives and its error as an alert;
//! - `outcome`: a check outcome as a badge, a measured value as text;
//! - `pager`: the previous / next links under a paged list.

mod health;
mod loaded;
mod outcome;
mod pager;

pub use health::health_badge;
pub use loaded::loaded;
pub use outcome::{format_value, outcome_badge};
pub use pager::{page_count, pager};
