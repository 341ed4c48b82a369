//! The filter of Soda Core's history queries: any JSON gives a query or an error naming the
//! node, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use server::soda::history_filter;

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = history_filter::parse(&body, "metric.identity");
        let _ = history_filter::parse(&body, "check.identity");
    }
});
