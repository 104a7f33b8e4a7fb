#!/usr/bin/env bash
# Builds and runs the runtime benchmark (tests/perf/bench_runtime.cpp).
#
#   tools/bench/runtime.sh [--quick] [any sophia-bench-runtime option]
#
# Prints the table and writes build/bench/runtime.json (override with --out).
# A full run takes about 3-4 minutes on 2 cores; --quick about 20-30 s.
# BUILD_DIR selects another build directory (default: build).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"

if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja
fi
ninja -C "$build" -j2 sophia-bench-runtime sophia-node
exec "$build/bin/sophia-bench-runtime" --node-bin "$build/bin/sophia-node" "$@"
