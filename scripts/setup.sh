#!/usr/bin/env bash
# Installs what building Seltzer needs, skipping whatever is already there, so a second run
# takes seconds. Sourced by scripts/run.sh and scripts/test.sh. For the tests:
#   --browser  Debian's chromium and chromium-driver
#   --soda     cached virtualenvs with Soda Core 3.5.6 (and aiosmtpd, the SMTP server the
#              email tests send to) and Soda Core 4.28.0 from PyPI: the real clients
#
# Never downloads a prebuilt tool from outside the package registries: Rust tools come from
# crates.io (cargo install), JavaScript from npm (package-lock.json), the browser from Debian.

seltzer_log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Where the Soda Core virtualenv lives (the tests look there too).
SELTZER_SODA_VENV=${SELTZER_SODA_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/seltzer/soda-core-3.5.6}
SELTZER_SODA4_VENV=${SELTZER_SODA4_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/seltzer/soda-core-4.28.0}
export SELTZER_SODA_VENV SELTZER_SODA4_VENV

seltzer_setup() {
  local with_browser="" with_soda=""
  for flag in "$@"; do
    case "$flag" in
      --browser) with_browser=1 ;;
      --soda) with_soda=1 ;;
      *) echo "seltzer_setup: unknown flag $flag" >&2; return 2 ;;
    esac
  done
  export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

  local missing_components=()
  for component in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$component" || missing_components+=("$component")
  done
  if [ ${#missing_components[@]} -gt 0 ]; then
    seltzer_log "rustup component add ${missing_components[*]}"
    rustup component add "${missing_components[@]}"
  fi
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    seltzer_log "rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi

  # Everything later runs with --offline/--locked, so the crates must be here first.
  cargo fetch --locked --quiet

  # wasm-bindgen-cli must be exactly the wasm-bindgen of Cargo.lock: Trunk otherwise tries to
  # download it, and the wasm tests' runner must match the crate too. `--locked` fails against
  # some registry mirrors (its lock file names crates they lack), hence the unlocked fallback.
  local wbg
  wbg=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
  if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$wbg" ]; then
    seltzer_log "cargo install wasm-bindgen-cli $wbg (takes a few minutes, once)"
    cargo install wasm-bindgen-cli --version "$wbg" --locked \
      || cargo install wasm-bindgen-cli --version "$wbg"
  fi

  local trunk_version=0.21.14
  if [ "$(trunk --version 2>/dev/null)" != "trunk $trunk_version" ]; then
    seltzer_log "cargo install trunk $trunk_version (takes several minutes, once)"
    cargo install trunk --version "$trunk_version" --locked
  fi

  # wasm-split-cli splits the dashboard's pages into lazily loaded chunks (scripts/build-app.sh).
  # Its version must understand the split points of the wasm_split_helpers in Cargo.lock (0.2.x).
  local wasm_split_version=0.2.4
  # (It has no --version: cargo's list of installed crates says which one is there.)
  if ! cargo install --list | grep -qx "wasm_split_cli_support v$wasm_split_version:"; then
    seltzer_log "cargo install wasm_split_cli_support $wasm_split_version (takes a few minutes, once)"
    cargo install wasm_split_cli_support --version "$wasm_split_version" --features build-binary --locked
  fi

  # ECharts (served to the browser) and binaryen's wasm-opt (run by Trunk), exactly as locked.
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    seltzer_log "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
  fi

  if [ -n "$with_browser" ] && ! { command -v chromium && command -v chromedriver; } >/dev/null 2>&1; then
    seltzer_log "apt-get install chromium chromium-driver (for the browser tests)"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
  fi

  # Soda Core 3.5.6 imports distutils, so it needs Python <= 3.11 (or setuptools); DuckDB is
  # pinned below 1.1 by soda-core-duckdb.
  if [ -n "$with_soda" ] && [ ! -x "$SELTZER_SODA_VENV/bin/soda" ]; then
    seltzer_log "python3 -m venv $SELTZER_SODA_VENV; pip install soda-core-duckdb==3.5.6"
    rm -rf "$SELTZER_SODA_VENV"
    python3 -m venv "$SELTZER_SODA_VENV"
    "$SELTZER_SODA_VENV/bin/pip" install -q --upgrade pip
    "$SELTZER_SODA_VENV/bin/pip" install -q "soda-core-duckdb==3.5.6" "duckdb<1.1.0" setuptools
  fi
  # Soda Core 4 (data contracts), the other client Seltzer takes results from.
  if [ -n "$with_soda" ] && [ ! -x "$SELTZER_SODA4_VENV/bin/soda" ]; then
    seltzer_log "python3 -m venv $SELTZER_SODA4_VENV; pip install soda-core==4.28.0 soda-duckdb==4.28.0"
    rm -rf "$SELTZER_SODA4_VENV"
    python3 -m venv "$SELTZER_SODA4_VENV"
    "$SELTZER_SODA4_VENV/bin/pip" install -q --upgrade pip
    "$SELTZER_SODA4_VENV/bin/pip" install -q "soda-core==4.28.0" "soda-duckdb==4.28.0"
  fi
  # PostgreSQL as a data source of the scans Seltzer runs, for both Soda Cores.
  if [ -n "$with_soda" ] && ! "$SELTZER_SODA_VENV/bin/pip" show -q soda-core-postgres >/dev/null 2>&1; then
    seltzer_log "pip install soda-core-postgres==3.5.6"
    "$SELTZER_SODA_VENV/bin/pip" install -q "soda-core-postgres==3.5.6"
  fi
  if [ -n "$with_soda" ] && ! "$SELTZER_SODA4_VENV/bin/pip" show -q soda-postgres >/dev/null 2>&1; then
    seltzer_log "pip install soda-postgres==4.28.0"
    "$SELTZER_SODA4_VENV/bin/pip" install -q "soda-postgres==4.28.0"
  fi
  # The tests' SMTP server (email notifications), beside the client in the same virtualenv.
  if [ -n "$with_soda" ] && ! "$SELTZER_SODA_VENV/bin/python" -c "import aiosmtpd" 2>/dev/null; then
    seltzer_log "pip install aiosmtpd (the tests' SMTP server)"
    "$SELTZER_SODA_VENV/bin/pip" install -q "aiosmtpd==1.4.6"
  fi
}

# Builds the dashboard into dist/. `--offline` turns any attempt by Trunk to download a tool into
# an error; the explicit check before it says what to do instead.
seltzer_build_frontend() {
  local wbg
  wbg=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
  if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$wbg" ]; then
    echo "error: wasm-bindgen $wbg (from Cargo.lock) is not on PATH; run scripts/setup.sh" >&2
    return 1
  fi
  if ! command -v wasm-split-cli >/dev/null; then
    echo "error: wasm-split-cli is not on PATH; run scripts/setup.sh" >&2
    return 1
  fi
  if [ "$(wasm-opt --version 2>/dev/null | awk '{print $3}')" != "132" ]; then
    echo "error: wasm-opt 132 (npm binaryen) is not first on PATH; run npm ci" >&2
    return 1
  fi
  seltzer_log "trunk build --release"
  trunk --config Trunk.toml build --release --offline --locked
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  cd "$(dirname "$0")/.."
  seltzer_setup "$@"
fi
