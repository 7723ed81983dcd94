#!/usr/bin/env bash
# Builds mnlp with its tests (gcc, warnings as errors) and runs the whole suite.
# usage: scripts/test.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}

scripts/setup.sh
cmake -S . -B "$build" -G Ninja -DMNLP_TESTS=ON >/dev/null
cmake --build "$build"
ctest --test-dir "$build" --output-on-failure
