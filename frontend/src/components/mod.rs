//! Pieces several pages draw the same way.
//! - `loaded`: a resource, with "Loading…" until it arrives and its error as an alert;
//! - `outcome`: a check outcome as a badge, a measured value as text;
//! - `pager`: the previous / next links under a paged list.

mod loaded;
mod outcome;
mod pager;

pub use loaded::loaded;
pub use outcome::{format_value, outcome_badge};
pub use pager::{page_count, pager};
