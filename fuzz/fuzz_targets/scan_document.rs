//! The scan results document of `sodaCoreInsertScanResults`, as Seltzer reads a request body:
//! any bytes give a document or an error, never a panic, and a document's derived facts (its
//! tables, its failed state, its bounded log) can be computed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use server::soda::document;

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = document::parse_slice(data) {
        let _ = doc.named_tables();
        let _ = doc.metric_table_candidates();
        let _ = doc.failed();
        let _ = doc.attribute_rejections();
        for check in doc.all_checks() {
            let _ = check.value();
            let _ = check.sample_files();
            let _ = check.all_identities();
            let _ = doc.data_source_of(check);
        }
    }
});
