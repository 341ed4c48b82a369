//! The in-browser half of the SodaCL benchmark (`scripts/bench-sodacl.sh`): reads and validates
//! every corpus file and a 500-line checks file as wasm in headless Chromium, and prints the
//! mean time per file. Ignored in the test run: it measures, it asserts nothing.

#![cfg(target_arch = "wasm32")]

use shared::sodacl::{Options, parse};
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

#[path = "../benches/common.rs"]
mod common;

include!(concat!(env!("OUT_DIR"), "/sodacl_corpus.rs"));

wasm_bindgen_test_configure!(run_in_browser);

/// Mean microseconds per parse, repeating until at least 50 ms have passed.
fn time_parse(source: &str, file_name: &str) -> f64 {
    let options = Options {
        file_name: file_name.to_owned(),
        data_source: "warehouse".to_owned(),
        ..Options::default()
    };
    let _ = parse(source, &options);
    let start = js_sys::Date::now();
    let mut runs = 0u32;
    loop {
        std::hint::black_box(parse(std::hint::black_box(source), &options));
        runs += 1;
        let elapsed = js_sys::Date::now() - start;
        if elapsed > 50.0 && runs >= 10 {
            return elapsed * 1000.0 / f64::from(runs);
        }
    }
}

#[wasm_bindgen_test]
#[ignore = "benchmark: run by scripts/bench-sodacl.sh"]
fn sodacl_in_the_browser() {
    for (dir, name, yml, _) in CORPUS {
        if *dir == "sodacl-corpus" {
            let file = format!("{name}.yml");
            console_log!("WASM {file} {:.1}", time_parse(yml, &file));
        }
    }
    let large = common::large_checks_file(500);
    console_log!(
        "WASM large-500-lines {:.1}",
        time_parse(&large, "large.yml")
    );
}
