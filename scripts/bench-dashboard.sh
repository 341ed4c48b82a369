#!/usr/bin/env bash
# The dashboard benchmark in headless Chromium: first-load bytes, and charting a check with
# 10,000 results (see `benchmark_charting_a_check_with_10000_results` in server/tests/it/browser.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
seltzer_setup --browser
seltzer_build_frontend
cargo test --locked --offline --release -p server --test it benchmark_charting -- --ignored --nocapture
