#!/usr/bin/env bash
# Runs every check and test: formatting, clippy (host and wasm32), the wasm size budget, all
# workspace tests (storage and ingest on SQLite and PostgreSQL, the real binary, real Soda Core
# from PyPI, the browser tests) and the shared crate's tests as wasm in headless Chromium.
# Installs what it needs first.
#
# PostgreSQL: SELTZER_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres).
# Without one, its tests are skipped with a reason, except under CI=true where they fail.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
seltzer_setup --browser --soda

seltzer_log "cargo fmt --check"
cargo fmt --all --check

# The dashboard first: the server embeds dist/, so building it later would rebuild the server.
seltzer_build_frontend

# Budget: what a browser downloads on its first visit (index.html, the JS glue, the wasm, the CSS,
# the icon), gzip-compressed as Seltzer serves it. ECharts and the checks editor's worker are not
# part of it: the chart pages and the editor load them when they need them. Enforced: 400 KB.
# The issue's target is 300 KB (not met yet: see the README's figures).
first_load=0
for f in dist/*; do
  case "$f" in
    */echarts.min.js|*/sodacl_worker*) continue ;;
  esac
  n=$(gzip -9 -c "$f" | wc -c)
  printf '  %-60s %8s bytes raw, %7s gzip\n' "$f" "$(wc -c <"$f")" "$n"
  first_load=$((first_load + n))
done
printf 'first load without ECharts: %s bytes gzip (enforced 409600, target 307200)\n' "$first_load"
printf 'ECharts (with the first chart): %s bytes gzip\n' "$(gzip -9 -c dist/echarts.min.js | wc -c)"
printf 'checks editor worker (with the editor): %s bytes gzip\n' \
  "$(cat dist/sodacl_worker_bg.wasm dist/sodacl_worker.js dist/sodacl_worker_loader.js | gzip -9 | wc -c)"
if [ "$first_load" -gt 409600 ]; then
  echo "error: the dashboard's first load is $first_load bytes gzipped, over the 400 KB budget" >&2
  exit 1
fi

seltzer_log "cargo clippy (host)"
cargo clippy --locked --offline --all-targets -- -D warnings
seltzer_log "cargo clippy (wasm32: shared, frontend)"
cargo clippy --locked --offline -p shared -p frontend --target wasm32-unknown-unknown --all-targets -- -D warnings

seltzer_log "cargo test (shared; server on SQLite and PostgreSQL: storage, ingest, real Soda Core, the binary, the browser)"
cargo test --locked --offline

seltzer_log "cargo test -p frontend (the dashboard's pure logic, on the host)"
cargo test --locked --offline -p frontend

seltzer_log "cargo test -p shared as wasm in headless Chromium"
CHROMEDRIVER=$(command -v chromedriver) cargo test --locked --offline -p shared --target wasm32-unknown-unknown

seltzer_log "all checks passed"
