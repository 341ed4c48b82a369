#!/usr/bin/env bash
# Runs real Soda Core 3.5.6 (`soda scan`, from PyPI) against a Soda Cloud compatible
# server and checks that Soda Core reports no Soda Cloud error.
#
#   reproduce.sh [options] HOST PORT [SCHEME]
#
# HOST/PORT/SCHEME go into the `soda_cloud:` block of the generated configuration
# (keys host, port, scheme). SCHEME defaults to http. PORT may be "none" to omit it.
#
# Modes
#   default     run the portable scenarios (s01..s13) against an already running server
#               (e.g. our own). Results go to <work>/results/<scenario>/.
#   --capture   also start capture_server.py on HOST:PORT (HOST must be loopback,
#               PORT 0 = any free port), run the fault-injection scenarios (e01..e10) too,
#               and write fixtures to --fixtures (one folder per scenario).
#
# Exit status: 0 when every scenario behaved as expected (no Soda Cloud error in a
# portable scenario; in capture mode the fault scenarios must show the error they
# provoke); 1 otherwise; 2 on bad usage / setup failure.
#
# Options
#   --capture                 start the capture server and record fixtures
#   --fixtures DIR            fixture root (capture mode)  [../data/soda-core-3.5.6]
#   --clean                   delete the fixture scenario folders before capturing
#   --work DIR                scratch directory            [~/.cache/soda-client-work]
#   --venv DIR                venv with soda-core-duckdb==3.5.6, created if missing [~/.cache/soda-proto]
#   --scientific-venv DIR     venv that also has soda-core-scientific==3.5.6; used for the
#                             history/anomaly scenarios when present [~/.cache/soda-proto-sci]
#   --install-scientific      create the scientific venv if it is missing (large: prophet, pandas)
#   --only LIST               comma separated scenario name prefixes, e.g. s01,s02,e0
#   --backfill-days N         days of history built by s12 (one backfill scan per day) [14]
#   --strict-exit-codes       also fail when soda's exit code differs from the reference run
#   --api-key-id ID           (or env SODA_API_KEY_ID)      [dummy-api-key-id]
#   --api-key-secret SECRET   (or env SODA_API_KEY_SECRET)  [dummy-api-key-secret]
set -uo pipefail

TOOLS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCEN_DIR="$TOOLS_DIR/scenarios"
FIXTURES="$TOOLS_DIR/../data/soda-core-3.5.6"
WORK="${XDG_CACHE_HOME:-$HOME/.cache}/soda-client-work"
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/soda-proto"
SCI_VENV="${XDG_CACHE_HOME:-$HOME/.cache}/soda-proto-sci"
INSTALL_SCI=0
CAPTURE=0
CLEAN=0
ONLY=""
BACKFILL_DAYS=14
STRICT=0
API_KEY_ID="${SODA_API_KEY_ID:-dummy-api-key-id}"
API_KEY_SECRET="${SODA_API_KEY_SECRET:-dummy-api-key-secret}"
SODA_VERSION="3.5.6"

POSITIONAL=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --capture) CAPTURE=1 ;;
    --clean) CLEAN=1 ;;
    --fixtures) FIXTURES="$2"; shift ;;
    --work) WORK="$2"; shift ;;
    --venv) VENV="$2"; shift ;;
    --scientific-venv) SCI_VENV="$2"; shift ;;
    --install-scientific) INSTALL_SCI=1 ;;
    --only) ONLY="$2"; shift ;;
    --backfill-days) BACKFILL_DAYS="$2"; shift ;;
    --strict-exit-codes) STRICT=1 ;;
    --api-key-id) API_KEY_ID="$2"; shift ;;
    --api-key-secret) API_KEY_SECRET="$2"; shift ;;
    -h|--help) sed -n '2,40p' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) POSITIONAL+=("$1") ;;
  esac
  shift
done
if [[ ${#POSITIONAL[@]} -lt 2 ]]; then
  echo "usage: $0 [options] HOST PORT [SCHEME]   (see --help)" >&2; exit 2
fi
HOST="${POSITIONAL[0]}"; PORT="${POSITIONAL[1]}"; SCHEME="${POSITIONAL[2]:-http}"

log() { printf '[reproduce] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }

# ---------------------------------------------------------------- setup
mkdir -p "$WORK" || die "cannot create $WORK"
WORK="$(cd "$WORK" && pwd)"

ensure_venv() {  # $1 dir, $2 = "sci" to add soda-core-scientific
  local dir="$1" kind="${2:-}"
  if [[ -x "$dir/bin/soda" ]]; then return 0; fi
  log "creating venv $dir"
  python3 -m venv "$dir" || return 1
  "$dir/bin/pip" install -q --upgrade pip >/dev/null 2>&1
  local pkgs=("soda-core-duckdb==$SODA_VERSION" "duckdb<1.1.0")
  [[ "$kind" == "sci" ]] && pkgs+=("soda-core-scientific==$SODA_VERSION")
  "$dir/bin/pip" install -q "${pkgs[@]}" || return 1
}
ensure_venv "$VENV" || die "could not create $VENV"
if [[ ! -x "$SCI_VENV/bin/soda" && $INSTALL_SCI -eq 1 ]]; then
  ensure_venv "$SCI_VENV" sci || die "could not create $SCI_VENV"
fi
HIST_VENV="$VENV"
if [[ -x "$SCI_VENV/bin/soda" ]] && "$SCI_VENV/bin/python" -c "import soda.scientific.anomaly_detection_v2" 2>/dev/null; then
  HIST_VENV="$SCI_VENV"
fi
log "soda venv: $VENV ; history/anomaly scenarios use: $HIST_VENV"

# Private HOME: disables Soda's anonymous usage telemetry (it would try to reach
# collect.soda.io) without touching the real ~/.soda.
SODA_HOME="$WORK/home"
mkdir -p "$SODA_HOME/.soda"
printf 'send_anonymous_usage_stats: false\n' > "$SODA_HOME/.soda/config.yml"

DB="$WORK/shop.duckdb"
rm -f "$DB" "$DB.wal"
"$VENV/bin/python" - "$DB" "$TOOLS_DIR/create_db.sql" <<'PY' || die "database creation failed"
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute(open(sys.argv[2]).read())
con.close()
PY
log "created $DB"

# ---------------------------------------------------------------- capture server
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null
  fi
}
trap cleanup EXIT

if [[ $CAPTURE -eq 1 ]]; then
  case "$HOST" in 127.*|localhost|::1) ;; *) die "--capture only binds loopback hosts (got $HOST)";; esac
  [[ "$SCHEME" == "http" ]] || die "the capture server speaks plain http"
  BIND_HOST="$HOST"; [[ "$HOST" == "localhost" ]] && BIND_HOST="127.0.0.1"
  mkdir -p "$FIXTURES"
  rm -f "$WORK/capture_port.txt" "$WORK/capture_state.json"
  python3 "$TOOLS_DIR/capture_server.py" --host "$BIND_HOST" --port "$PORT" --port-file "$WORK/capture_port.txt" \
      --out "$FIXTURES" --state "$WORK/capture_state.json" > "$WORK/capture_server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 50); do [[ -s "$WORK/capture_port.txt" ]] && break; sleep 0.1; done
  [[ -s "$WORK/capture_port.txt" ]] || die "capture server did not start (see $WORK/capture_server.log)"
  PORT="$(cat "$WORK/capture_port.txt")"
  log "capture server pid $SERVER_PID on http://$HOST:$PORT, fixtures -> $FIXTURES"
  "$VENV/bin/pip" freeze > "$FIXTURES/pip-freeze.txt" 2>/dev/null
  [[ "$HIST_VENV" != "$VENV" ]] && "$HIST_VENV/bin/pip" freeze > "$FIXTURES/pip-freeze-scientific.txt" 2>/dev/null
fi

control() {  # $1 scenario, $2 control json file or ""
  [[ $CAPTURE -eq 1 ]] || return 0
  local body
  body="$(python3 - "$1" "${2:-}" <<'PY'
import json, sys, datetime
name, path = sys.argv[1], sys.argv[2]
cfg = {}
if path:
    text = open(path).read()
    today = datetime.date.today()
    text = text.replace("@DAYS_AGO_7@", (today - datetime.timedelta(days=7)).isoformat())
    cfg = json.loads(text)
cfg["scenario"] = name
print(json.dumps(cfg))
PY
)"
  curl -fsS -X POST -H 'Content-Type: application/json' -d "$body" "http://$HOST:$PORT/__capture/control" >/dev/null \
    || die "control request failed"
}

# ---------------------------------------------------------------- helpers
render_config() {  # $1 out file, $2 db path, $3 port
  local port_value="$3"
  [[ "$port_value" == "none" || -z "$port_value" ]] && port_value=""
  sed -e "s#@DB_PATH@#$2#" -e "s#@HOST@#$HOST#" -e "s#@PORT@#$port_value#" -e "s#@SCHEME@#$SCHEME#" \
      -e "s#@API_KEY_ID@#$API_KEY_ID#" -e "s#@API_KEY_SECRET@#$API_KEY_SECRET#" \
      "$SCEN_DIR/config/configuration.yml.tmpl" > "$1"
  if [[ -z "$port_value" ]]; then sed -i '/^  port: *$/d' "$1"; fi
}

CLOUD_ERROR_RE='Error while executing Soda Cloud|Soda Cloud login failed|Soda cloud error|No fileId received in response|Error occurred while sending scan results to soda cloud'

cloud_errors_in() { grep -E "$CLOUD_ERROR_RE" "$1" 2>/dev/null; }

selected() {
  [[ -z "$ONLY" ]] && return 0
  local p; IFS=',' read -ra parts <<< "$ONLY"
  for p in "${parts[@]}"; do [[ "$1" == "$p"* ]] && return 0; done
  return 1
}

RESULTS=()
FAILED=0
record() {  # name exit expected_exit cloud_error expect_error note
  local name="$1" code="$2" exp="$3" cerr="$4" experr="$5" note="${6:-}"
  local verdict="ok"
  if [[ "$cerr" != "$experr" ]]; then verdict="FAIL(cloud error: got $cerr, expected $experr)"; fi
  if [[ $STRICT -eq 1 && "$code" != "$exp" ]]; then verdict="FAIL(exit $code, expected $exp)"; fi
  [[ "$verdict" == "ok" ]] || FAILED=1
  RESULTS+=("$(printf '%-40s exit=%-3s ref_exit=%-3s cloud_error=%-3s %s %s' "$name" "$code" "$exp" "$cerr" "$verdict" "$note")")
}

outdir_for() {
  if [[ $CAPTURE -eq 1 ]]; then echo "$FIXTURES/$1"; else echo "$WORK/results/$1"; fi
}

prepare() {  # name checks_file control_file config_variant -> sets RUN_DIR OUT_DIR
  local name="$1" checks="$2" ctl="${3:-}" variant="${4:-default}"
  RUN_DIR="$WORK/runs/$name"; OUT_DIR="$(outdir_for "$name")"
  rm -rf "$RUN_DIR"; mkdir -p "$RUN_DIR"
  if [[ $CAPTURE -eq 1 && $CLEAN -eq 1 ]]; then rm -rf "$OUT_DIR"; fi
  [[ $CAPTURE -eq 1 ]] && rm -rf "$OUT_DIR/requests"
  mkdir -p "$OUT_DIR"
  local db_path="../../shop.duckdb" port="$PORT"
  case "$variant" in
    broken_db) db_path="/nonexistent/soda-proto/shop.duckdb" ;;
    dead_port) port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')" ;;
  esac
  render_config "$RUN_DIR/configuration.yml" "$db_path" "$port"
  [[ -n "$checks" ]] && cp "$SCEN_DIR/checks/$checks" "$RUN_DIR/checks.yml"
  # copy for the record; a real secret (our own server) is never written to the outputs
  sed -E 's/^(  api_key_secret: ).*/\1<redacted>/' "$RUN_DIR/configuration.yml" > "$OUT_DIR/configuration.yml"
  [[ "$API_KEY_SECRET" == "dummy-api-key-secret" ]] && cp "$RUN_DIR/configuration.yml" "$OUT_DIR/configuration.yml"
  [[ -n "$checks" ]] && cp "$RUN_DIR/checks.yml" "$OUT_DIR/checks.yml"
  if [[ $CAPTURE -eq 1 && -n "$ctl" ]]; then cp "$SCEN_DIR/control/$ctl" "$OUT_DIR/capture_control.json"; fi
  control "$name" "${ctl:+$SCEN_DIR/control/$ctl}"
}

soda_scan() {  # venv scan_def results_file output_file [extra args...]; runs in $RUN_DIR
  local venv="$1" scan_def="$2" srf="$3" out="$4"; shift 4
  local -a cmd=(soda scan -d shop -c configuration.yml -s "$scan_def" "$@" -srf "$srf" checks.yml)
  echo "${cmd[*]}" >> "$OUT_DIR/command.txt"
  ( cd "$RUN_DIR" && HOME="$SODA_HOME" PATH="$venv/bin:$PATH" "${cmd[@]}" ) > "$out" 2>&1
}

# name checks scan_def ref_exit expect_cloud_error control variant venv -- extra soda args
scenario() {
  local name="$1" checks="$2" scan_def="$3" ref_exit="$4" experr="$5" ctl="$6" variant="$7" venv="$8"; shift 8
  [[ "${1:-}" == "--" ]] && shift
  selected "$name" || return 0
  log "scenario $name"
  prepare "$name" "$checks" "$ctl" "$variant"
  rm -f "$OUT_DIR/command.txt"
  local start end code
  start=$(date +%s)
  soda_scan "$venv" "$scan_def" scan_results.json "$OUT_DIR/soda_output.txt" "$@"; code=$?
  end=$(date +%s)
  echo "$code" > "$OUT_DIR/exit_code.txt"
  [[ -f "$RUN_DIR/scan_results.json" ]] && python3 -m json.tool "$RUN_DIR/scan_results.json" > "$OUT_DIR/scan_results.json"
  local cerr=no; cloud_errors_in "$OUT_DIR/soda_output.txt" >/dev/null && cerr=yes
  if ! grep -q "Sending results to Soda Cloud" "$OUT_DIR/soda_output.txt"; then
    cerr=yes; log "  soda never reached 'Sending results to Soda Cloud'"
  fi
  if [[ "$cerr" == yes && "$experr" == no ]]; then
    cloud_errors_in "$OUT_DIR/soda_output.txt" | sed 's/^/[reproduce]   soda: /' >&2
  fi
  record "$name" "$code" "$ref_exit" "$cerr" "$experr" "wall=$((end - start))s"
}

# ---------------------------------------------------------------- portable scenarios
HIST_SCI=0; [[ "$HIST_VENV" == "$SCI_VENV" ]] && HIST_SCI=1

scenario s01_first_scan                 main_checks.yml            shop_daily      2 no s01_first_scan.json "" "$VENV"
scenario s02_second_scan_with_history   main_checks.yml            shop_daily      2 no s02_second_scan_with_history.json "" "$VENV"
scenario s03_data_timestamp_backfill    main_checks.yml            shop_daily      2 no "" "" "$VENV" -- -t 2021-04-28T09:00:00+02:00
scenario s04_unknown_column_scan_abort  check_error_checks.yml     shop_errors     3 no "" "" "$VENV"
scenario s05_check_evaluation_error     check_eval_error_checks.yml shop_errors    3 no "" "" "$VENV"
scenario s06_missing_table              missing_table_checks.yml   shop_errors     3 no "" "" "$VENV"
scenario s07_broken_data_source         small_checks.yml           shop_broken     3 no "" broken_db "$VENV"
scenario s08_profiling_discovery_samples profiling_checks.yml      shop_profiling  0 no "" "" "$VENV"
scenario s09_invalid_check_attributes   invalid_attributes_checks.yml shop_attributes 3 no "" "" "$VENV"

if selected s10_programmatic_scan_api; then
  name=s10_programmatic_scan_api
  log "scenario $name"
  prepare "$name" "" "" default
  # The script itself stays in scenarios/ (one copy); command.txt names it.
  echo "python scenarios/programmatic_scan.py configuration.yml ." > "$OUT_DIR/command.txt"
  ( cd "$RUN_DIR" && HOME="$SODA_HOME" "$VENV/bin/python" "$SCEN_DIR/programmatic_scan.py" configuration.yml "$OUT_DIR" ) \
      > "$OUT_DIR/soda_output.txt" 2>&1
  code=$?
  cerr=no; [[ $code -eq 10 ]] && cerr=yes
  [[ $code -ne 0 && $code -ne 10 ]] && cerr=crash
  record "$name" "$(cat "$OUT_DIR/exit_code.txt" 2>/dev/null || echo "$code")" 2 "$cerr" no "(script rc=$code)"
fi

scenario s11_anomaly_without_scientific anomaly_small_checks.yml   shop_anomaly_plain 3 no "" "" "$VENV"

# s12: build a daily history through the protocol itself (backfill scans with -t),
# s13: today's scan, where anomaly detection / change-over-time see the spike.
if selected s12_history_backfill; then
  name=s12_history_backfill
  log "scenario $name ($BACKFILL_DAYS backfill scans, venv $HIST_VENV)"
  prepare "$name" anomaly_checks.yml "" default
  rm -f "$OUT_DIR/command.txt" "$OUT_DIR/soda_output.txt" "$OUT_DIR/exit_code.txt"
  mkdir -p "$OUT_DIR/scan_results"
  worst=0; cerr=no; start=$(date +%s)
  for i in $(seq "$BACKFILL_DAYS" -1 1); do
    d="$(date -d "-$i day" +%F)"
    soda_scan "$HIST_VENV" shop_history "scan_results_$d.json" "$RUN_DIR/out_$d.txt" \
        -t "${d}T06:00:00+00:00" -v "SCAN_DATE=$d"; code=$?
    { echo "===== data timestamp ${d}T06:00:00+00:00 (exit $code)"; cat "$RUN_DIR/out_$d.txt"; } >> "$OUT_DIR/soda_output.txt"
    echo "$d $code" >> "$OUT_DIR/exit_code.txt"
    python3 -m json.tool "$RUN_DIR/scan_results_$d.json" > "$OUT_DIR/scan_results/$d.json" 2>/dev/null
    if cloud_errors_in "$RUN_DIR/out_$d.txt" >/dev/null; then
      cerr=yes; cloud_errors_in "$RUN_DIR/out_$d.txt" | sed "s/^/[reproduce]   soda ($d): /" >&2
    fi
    grep -q "Sending results to Soda Cloud" "$RUN_DIR/out_$d.txt" || cerr=yes
    [[ $code -gt $worst ]] && worst=$code
  done
  ref=0; [[ $HIST_SCI -eq 0 ]] && ref=3
  record "$name" "$worst" "$ref" "$cerr" no "wall=$(( $(date +%s) - start ))s (max exit over runs)"
fi
if selected s13_anomaly_detection_today; then
  ref=2; [[ $HIST_SCI -eq 0 ]] && ref=3
  today="$(date +%F)"
  scenario s13_anomaly_detection_today anomaly_checks.yml shop_history "$ref" no "" "" "$HIST_VENV" -- \
      -t "${today}T06:00:00+00:00" -v "SCAN_DATE=$today"
fi

# ---------------------------------------------------------------- capture-only: server faults
if [[ $CAPTURE -eq 1 ]]; then
  scenario e01_login_rejected_401        small_checks.yml shop_faults 3 yes e01_login_rejected_401.json "" "$VENV"
  scenario e02_insert_http_500           small_checks.yml shop_faults 2 yes e02_insert_http_500.json "" "$VENV"
  scenario e03_insert_http_400           small_checks.yml shop_faults 2 yes e03_insert_http_400.json "" "$VENV"
  scenario e04_insert_200_non_json       small_checks.yml shop_faults 2 yes e04_insert_200_non_json.json "" "$VENV"
  scenario e05_token_expired_reauth      small_checks.yml shop_faults 2 no  e05_token_expired_reauth.json "" "$VENV"
  scenario e06_upload_http_500           small_checks.yml shop_faults 2 yes e06_upload_http_500.json "" "$VENV"
  scenario e07_samples_disabled_by_org_config small_checks.yml shop_faults 2 no e07_samples_disabled_by_org_config.json "" "$VENV"
  scenario e08_historic_query_500        anomaly_small_checks.yml shop_faults 3 yes e08_historic_query_500.json "" "$VENV"
  scenario e09_slow_insert_12s           small_checks.yml shop_faults 2 no  e09_slow_insert_12s.json "" "$VENV"
  scenario e10_cloud_unreachable         small_checks.yml shop_faults 3 yes "" dead_port "$VENV"
  control "idle" ""
fi

# ---------------------------------------------------------------- summary
echo
echo "Soda Core $SODA_VERSION against $SCHEME://$HOST:$PORT  (capture=$CAPTURE)"
printf '%s\n' "${RESULTS[@]}"
if [[ $FAILED -ne 0 ]]; then
  echo "RESULT: FAILED (see outputs under $( [[ $CAPTURE -eq 1 ]] && echo "$FIXTURES" || echo "$WORK/results" ))"
  exit 1
fi
echo "RESULT: OK"
exit 0
