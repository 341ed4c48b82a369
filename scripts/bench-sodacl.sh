#!/usr/bin/env bash
# The SodaCL benchmark: every corpus file read and validated natively, as wasm in headless
# Chromium, and by Soda Core 3.5.6's own parser (Python) — one run, one table, no assertions.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
seltzer_setup --browser --soda
timings=$(mktemp)
trap 'rm -f "$timings"' EXIT
seltzer_log "wasm in headless Chromium (release build)"
CHROMEDRIVER=$(command -v chromedriver) cargo test --release --locked --offline -p shared \
  --target wasm32-unknown-unknown --test wasm_bench -- --include-ignored --nocapture \
  | grep '^WASM ' >"$timings"
seltzer_log "native and Soda Core's parser"
SODACL_WASM_TIMINGS="$timings" cargo bench --locked --offline -p shared --bench sodacl
