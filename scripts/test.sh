#!/usr/bin/env bash
# Runs every check and test: formatting, clippy (host and wasm32), the wasm size budget, all
# workspace tests (storage and ingest on SQLite and PostgreSQL, the real binary, real Soda Core
# from PyPI, the browser tests), the shared crate's tests as wasm in headless Chromium, and
# short runs of the standing proofs: the crash soak (scripts/soak.py), schema-driven API fuzzing
# (scripts/api-fuzz.sh) and coverage-guided fuzzing (scripts/fuzz.sh). Installs what it needs
# first.
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

# The standing proofs, in short forms (their long forms: the same scripts with larger numbers,
# figures in docs/benchmarks.md). They run the debug binary `cargo test` built.
pg_url=${SELTZER_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
engines=(sqlite)
if psql "$pg_url" -qAtc 'select 1' >/dev/null 2>&1; then
  engines+=(postgres)
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL at $pg_url is not reachable (CI=true: required)" >&2
  exit 1
else
  echo "skipping the PostgreSQL soak and API fuzzing: $pg_url is not reachable" >&2
fi
seltzer_log "crash soak (short): kill -9 under load, SQLite with an outside reader; two Seltzers on PostgreSQL"
python3 scripts/soak.py --engine sqlite --rounds 2 --seconds 8 --outside-reader
if [[ " ${engines[*]} " == *" postgres "* ]]; then
  python3 scripts/soak.py --engine postgres --processes 2 --rounds 2 --seconds 8
fi
seltzer_log "schema-driven API fuzzing (short): schemathesis against the OpenAPI document"
bash scripts/api-fuzz.sh 10 "${engines[@]}"
seltzer_log "coverage-guided fuzzing (short): the scan document, the history filter, SodaCL"
bash scripts/fuzz.sh 20

seltzer_log "cargo test -p frontend (the dashboard's pure logic, on the host)"
cargo test --locked --offline -p frontend

seltzer_log "cargo test -p shared as wasm in headless Chromium"
CHROMEDRIVER=$(command -v chromedriver) cargo test --locked --offline -p shared --target wasm32-unknown-unknown

seltzer_log "all checks passed"
