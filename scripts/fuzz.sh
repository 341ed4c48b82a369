#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo-fuzz / libFuzzer) of the readers of untrusted input: the scan
# results document, Soda Core's history filter and the SodaCL parser.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 600 s each, every target)
#
# Each corpus starts from the real inputs in the repository (captured Soda Core requests, the
# SodaCL corpus) and from fuzz/regressions/. Prints each target's executions; exits 1 when a
# target crashed, with the input in fuzz/artifacts/TARGET/: copy it to fuzz/regressions/TARGET/,
# where `cargo test` replays it, and fix the cause. `scripts/test.sh` runs a short form.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"

seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(scan_document history_filter sodacl)

if ! cargo fuzz --version >/dev/null 2>&1; then
  seltzer_log "cargo install cargo-fuzz (once)"
  cargo install cargo-fuzz --version 0.13.1 --locked
fi

# The seeds: every body Soda Core sent in the captured scenarios, and every SodaCL file.
seed() {
  local target=$1 dir=fuzz/corpus/$1
  mkdir -p "$dir"
  case "$target" in
    scan_document|history_filter)
      python3 - "$target" "$dir" <<'PY'
import json, pathlib, sys, hashlib
target, out = sys.argv[1], pathlib.Path(sys.argv[2])
want = "sodaCoreInsertScanResults" if target == "scan_document" else "sodaCoreHistoric"
for f in sorted(pathlib.Path("server/tests/data/soda-core-3.5.6").glob("*/requests/*.json")):
    body = json.loads(f.read_text()).get("request", {}).get("body")
    if isinstance(body, dict) and str(body.get("type", "")).startswith(want):
        data = json.dumps(body).encode()
        (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
PY
      ;;
    sodacl)
      cp shared/tests/data/sodacl-corpus/*.yml "$dir"/ 2>/dev/null || true
      ;;
  esac
  if [ -d "fuzz/regressions/$target" ]; then
    cp "fuzz/regressions/$target"/* "$dir"/ 2>/dev/null || true
  fi
}

failed=()
for target in "${targets[@]}"; do
  seed "$target"
  seltzer_log "fuzzing $target for ${seconds}s"
  log=$(mktemp)
  # Stable Rust: cargo-fuzz's instrumentation flags are accepted with RUSTC_BOOTSTRAP; no
  # sanitizer (`-s none`): the code is safe Rust, and libFuzzer still finds panics, aborts,
  # timeouts and memory beyond -rss_limit_mb.
  if RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none --release "$target" "fuzz/corpus/$target" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
      -print_final_stats=1 2>&1 | tee "$log" | grep -E '^(#[0-9]+.*(pulse|DONE|NEW)|Done|==|SUMMARY|stat::)' | tail -5; then
    :
  fi
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
  if grep -qE 'ERROR: libFuzzer|panicked at|SUMMARY: libFuzzer|deadly signal' "$log"; then
    echo "$target: CRASH after $runs executions; input in fuzz/artifacts/$target/" >&2
    failed+=("$target")
  else
    echo "$target: $runs executions in ${seconds}s, no crash"
  fi
  rm -f "$log"
done
[ ${#failed[@]} -eq 0 ] || { echo "crashed: ${failed[*]}" >&2; exit 1; }
