//! What Soda Core sends and asks, as Seltzer understands it: the scan results document of
//! `sodaCoreInsertScanResults` (Soda Core 3's, and Soda Core 4's contract results read into
//! the same shape) and the filter of its history queries. A domain module: it
//! imports neither `http` nor `storage`; both import it.

pub mod contract_results;
pub mod document;
pub mod history_filter;

use crate::timestamp::EpochMillis;

/// Which history to return: one identity, an optional data-time window, at most `limit` rows.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryQuery {
    pub identity: String,
    pub from: Option<EpochMillis>,
    pub to: Option<EpochMillis>,
    pub limit: i64,
}
