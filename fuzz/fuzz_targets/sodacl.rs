//! The SodaCL reader (the CLI's `seltzer validate` and the editor's worker): any text gives a
//! report, never a panic nor unbounded memory (alias and variable bombs are errors).
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::sodacl::{Options, parse};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let report = parse(text, &Options::default());
        let _ = serde_json::to_string(&report);
    }
});
