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

# Budget: what a browser downloads on its first visit, and on the first visit to each page.
seltzer_log "dashboard download sizes"
bash scripts/dashboard-size.sh

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
