#!/usr/bin/env bash
# Trunk's post_build hook (Trunk.toml): builds the dashboard's wasm and splits its pages into
# lazily loaded chunks, which Trunk cannot do itself.
#
# The pages behind `Lazy` routes (frontend/src/app.rs) are split points: wasm-split-cli moves the
# code only they reach into chunks that the browser fetches on the first visit to such a page, so
# the first load carries the shell and the checks page only (the issue's 300 KB budget). Order
# matters: the split needs the linker's relocations (`--emit-relocs`), which wasm-bindgen drops,
# so split first, then wasm-bindgen on the main module, then wasm-opt. `cargo rustc` passes
# `--emit-relocs` to this binary's link only: the editor's worker (built by Trunk from the same
# dependencies) must not carry relocations, and dependencies must not rebuild for a flag.
#
# Output: `$TRUNK_STAGING_DIR/app-<hash>/` (the JS glue, the main wasm, the chunks and their
# loader), named by a hash of everything in it so the server can cache the folder forever, and
# the tags that load it written into the staged index.html.
set -euo pipefail
cd "$(dirname "$0")/.."

staging=${TRUNK_STAGING_DIR:?"run by trunk (Trunk.toml's post_build hook)"}
public_url=${TRUNK_PUBLIC_URL:-/}
case "$public_url" in */) ;; *) public_url="$public_url/" ;; esac

target_dir=${CARGO_TARGET_DIR:-target}
if [ "${TRUNK_PROFILE:-debug}" = release ]; then
  # The size profile (see the root Cargo.toml): the server's own release build keeps opt-level 3.
  cargo rustc --locked --target wasm32-unknown-unknown -p frontend --bin frontend --profile wasm-release \
    -- -Clink-args=--emit-relocs
  input=$target_dir/wasm32-unknown-unknown/wasm-release/frontend.wasm
  optimize=1
else
  cargo rustc --locked --target wasm32-unknown-unknown -p frontend --bin frontend \
    -- -Clink-args=--emit-relocs
  input=$target_dir/wasm32-unknown-unknown/debug/frontend.wasm
  optimize=""
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The main module goes to split/frontend.wasm; chunks and the loader (__wasm_split.js, which
# imports `initSync` from ./frontend.js) next to it.
wasm-split-cli "$input" "$work/split" --out-name frontend --target web
# --keep-lld-exports: the chunks import the main module's function table, which wasm-bindgen
# would otherwise stop exporting.
wasm-bindgen --target web --keep-lld-exports --no-typescript --out-name frontend \
  --out-dir "$work/app" "$work/split/frontend.wasm"
for f in "$work"/split/*; do
  [ "$(basename "$f")" = frontend.wasm ] || cp "$f" "$work/app/"
done

if [ -n "$optimize" ]; then
  # Binaryen 132 from npm (package.json), run as Trunk runs it for the worker. The split
  # modules carry a name subsection Binaryen does not know (it warns, then drops it).
  for f in "$work"/app/*.wasm; do
    wasm-opt -Oz "$f" -o "$f" 2>&1 | { grep -v 'unknown name subsection' >&2 || true; }
  done
fi

hash=$(cd "$work/app" && find . -type f | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-16)
app="app-$hash"
rm -rf "${staging:?}/$app"
mv "$work/app" "$staging/$app"

# The main module and its glue are needed at once: preload them with the page.
tags="<link rel=\"modulepreload\" href=\"${public_url}${app}/frontend.js\">"
tags+="<link rel=\"modulepreload\" href=\"${public_url}${app}/__wasm_split.js\">"
tags+="<link rel=\"preload\" href=\"${public_url}${app}/frontend_bg.wasm\" as=\"fetch\" type=\"application/wasm\" crossorigin>"
tags+="<script type=\"module\">import init from \"${public_url}${app}/frontend.js\";"
tags+="await init({ module_or_path: \"${public_url}${app}/frontend_bg.wasm\" });</script>"
index="$staging/index.html"
grep -q '</head>' "$index" || { echo "error: $index has no </head>" >&2; exit 1; }
TAGS="$tags" perl -0pi -e 's{</head>}{$ENV{TAGS}</head>}' "$index"
echo "dashboard: $app ($(find "$staging/$app" -name '*.wasm' | wc -l) wasm modules)"
