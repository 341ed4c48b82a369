#!/usr/bin/env bash
# Builds Seltzer (dashboard + server, release) and serves it on http://127.0.0.1:8080 with an
# SQLite database file in the working directory. Extra arguments go to `seltzer serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
seltzer_setup
seltzer_build_frontend
seltzer_log "cargo build --release --bin seltzer"
cargo build --release --locked --offline --bin seltzer
seltzer_log "Seltzer: http://127.0.0.1:8080 (Ctrl-C stops it)"
exec ./target/release/seltzer serve "$@"
