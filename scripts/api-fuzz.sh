#!/usr/bin/env bash
# Schema-driven API fuzzing: schemathesis (from PyPI) generates requests from Seltzer's own
# OpenAPI document (`/api/v1/openapi.json`) and sends them, with an admin API key, to a real
# `seltzer serve` on SQLite and on PostgreSQL. It fails on any 5xx and on any response that
# does not conform to the document (status, content type, schema).
#
#   scripts/api-fuzz.sh [EXAMPLES_PER_OPERATION] [ENGINE...]   (default 100; sqlite postgres)
#
# `scripts/test.sh` runs a short form. Needs target/debug/seltzer (cargo build).
#
# One worker: with several, hypothesis parses lambdas' source on several threads at once and
# CPython 3.11's `ast` module is not thread-safe ("AST constructor recursion depth mismatch",
# CPython gh-106905), which schemathesis reports as a runtime error of the run, not of Seltzer.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

examples=${1:-100}
shift || true
engines=("$@")
[ ${#engines[@]} -gt 0 ] || engines=(sqlite postgres)
binary=${SELTZER_BINARY:-target/debug/seltzer}
venv=${XDG_CACHE_HOME:-$HOME/.cache}/seltzer/schemathesis-4.32.5
if [ ! -x "$venv/bin/st" ]; then
  seltzer_log "python3 -m venv $venv; pip install schemathesis==4.32.5 hypothesis==6.170.27 (once)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet schemathesis==4.32.5 hypothesis==6.170.27
fi
pg_admin=${SELTZER_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
work=$(mktemp -d)
pid=""
pg_db=""
cleanup() {
  [ -z "$pid" ] || kill "$pid" 2>/dev/null || true
  [ -z "$pg_db" ] || psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

status=0
for engine in "${engines[@]}"; do
  case "$engine" in
    sqlite) url="sqlite://$work/fuzz.db" ;;
    postgres)
      pg_db="seltzer_api_fuzz_$$"
      psql "$pg_admin" -qc "CREATE DATABASE $pg_db"
      url="${pg_admin%/*}/$pg_db" ;;
    *) echo "unknown engine $engine" >&2; exit 2 ;;
  esac
  key=$("$binary" api-key create --name fuzz --role admin --format json --database-url "$url")
  id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$key")
  secret=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])' <<<"$key")
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$binary" serve --bind "127.0.0.1:$port" --database-url "$url" >"$work/$engine.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.1; done
  seltzer_log "schemathesis on $engine: $examples examples per operation"
  # From the scratch folder: schemathesis keeps a cache in the working directory.
  if (cd "$work" && "$venv/bin/st" run "http://127.0.0.1:$port/api/v1/openapi.json" \
      --url "http://127.0.0.1:$port" --auth "$id:$secret" \
      --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
      --max-examples "$examples" --workers 1 --seed 1 --no-color \
      --generation-database none --generation-with-security-parameters false --report-dir "$work/report-$engine"); then
    echo "$engine: no 5xx, every response conforms"
  else
    status=1
    echo "$engine: schemathesis found failures (above); the server log:" >&2
    grep -E 'ERROR|panicked' "$work/$engine.log" | tail -20 >&2 || true
  fi
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
done
exit $status
