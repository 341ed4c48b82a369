#!/usr/bin/env bash
# Trunk's pre_build hook: bundles the parts of ECharts the dashboard uses (frontend/js/echarts.js)
# into target/echarts/echarts.min.js, which frontend/index.html copies into dist/. esbuild and
# ECharts come from node_modules (npm ci, as locked); nothing is downloaded here.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/echarts/echarts.min.js
entry=frontend/js/echarts.js
if [ -f "$out" ] && [ "$out" -nt "$entry" ] && [ "$out" -nt node_modules/.package-lock.json ]; then
  exit 0
fi
mkdir -p "$(dirname "$out")"
node_modules/.bin/esbuild "$entry" --bundle --minify --format=iife --target=es2020 \
  --log-level=warning --outfile="$out"
