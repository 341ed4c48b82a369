#!/usr/bin/env bash
# The dashboard's download budget, from a built dist/ (gzip -9, as Seltzer serves it):
# - first load: index.html, CSS, icon, and from app-<hash>/ the JS glue, the chunk loader and the
#   main wasm (the shell, sign-in and the checks page). Enforced: the issue's 300 KB.
# - each other page's first visit: its own wasm chunk plus the shared chunks it needs (the
#   loader's comments list which pages use each shared chunk).
# - ECharts (with the first chart) and the checks editor's worker (with the editor).
set -euo pipefail
cd "$(dirname "$0")/.."

budget=307200
gz() { gzip -9 -c "$@" | wc -c; }

apps=(dist/app-*/)
if [ "${#apps[@]}" -ne 1 ] || [ ! -f "${apps[0]}frontend_bg.wasm" ]; then
  echo "error: expected exactly one dist/app-<hash>/ with frontend_bg.wasm (run trunk build)" >&2
  exit 1
fi
app=${apps[0]%/}

first_load=0
for f in dist/index.html dist/*.css dist/*.svg "$app/frontend.js" "$app/__wasm_split.js" "$app/frontend_bg.wasm"; do
  n=$(gz "$f")
  printf '  %-50s %8s bytes raw, %7s gzip\n' "$f" "$(wc -c <"$f")" "$n"
  first_load=$((first_load + n))
done
printf 'first load without ECharts: %s bytes gzip (budget %s)\n' "$first_load" "$budget"

# Each page: its split module, and every shared chunk whose loader comment names the page.
for split in "$app"/split_*.wasm; do
  page=${split##*/split_}
  page=${page%.wasm}
  bytes=$(gz "$split")
  chunks=$(awk -v page="$page" '
    /^\/\* / { uses = index($0, page) > 0; next }
    uses && /fetch\(new URL\("\.\/chunk_[0-9]+\.wasm"/ { match($0, /chunk_[0-9]+\.wasm/); print substr($0, RSTART, RLENGTH); uses = 0 }
  ' "$app/__wasm_split.js")
  for c in $chunks; do bytes=$((bytes + $(gz "$app/$c"))); done
  name=${page#__}
  name=${name%_view_*}
  printf '  first visit to the %-16s page: + %7s bytes gzip (%s shared chunks)\n' \
    "${name%_route}" "$bytes" "$(wc -w <<<"$chunks")"
done

printf 'ECharts (with the first chart): %s bytes gzip\n' "$(gz dist/echarts.min.js)"
printf 'checks editor worker (with the editor): %s bytes gzip\n' \
  "$(cat dist/sodacl_worker_bg.wasm dist/sodacl_worker.js dist/sodacl_worker_loader.js | gzip -9 | wc -c)"
if [ "$first_load" -gt "$budget" ]; then
  echo "error: the dashboard's first load is $first_load bytes gzipped, over the $budget-byte budget" >&2
  exit 1
fi
