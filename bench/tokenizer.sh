#!/usr/bin/env bash
# Tokenizer benchmark: mnlp and the `tokenizers` library (when node is present)
# on every fixture tokenizer, single-threaded, measured in the same run.
# usage: bench/tokenizer.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
seconds=${2:-2}
fixtures="$build/tests/fixtures/tokenizers"
corpus=tests/fixtures/tokenizers/corpus.jsonl

cmake --build "$build" --target bench_tokenizer >/dev/null
[ -d "$fixtures/gpt2" ] || ctest --test-dir "$build" -R unpack-tokenizer-fixtures >/dev/null

node_dir=""
if command -v node >/dev/null && command -v npm >/dev/null; then
    node_dir=$(mktemp -d)
    (cd "$node_dir" && npm install --silent tokenizers@0.23.2 >/dev/null 2>&1) || node_dir=""
fi

printf '%-22s %10s %10s %12s %12s %8s\n' tokenizer "load ms" "hf load" "MB/s" "hf MB/s" ratio
for dir in "$fixtures"/*/; do
    [ -f "$dir/tokenizer.json" ] || continue
    name=$(basename "$dir")
    read -r load mbs _ < <(MNLP_NUM_THREADS=1 "$build/bench/bench_tokenizer" "$corpus" \
        "$dir/tokenizer.json" "$seconds")
    if [ -n "$node_dir" ]; then
        read -r hload hmbs _ < <(NODE_PATH="$node_dir/node_modules" RAYON_NUM_THREADS=1 \
            node bench/tokenizers_node.js "$corpus" "$dir/tokenizer.json" "$seconds")
        ratio=$(awk -v a="$mbs" -v b="$hmbs" 'BEGIN { printf "%.2fx", a / b }')
    else
        hload=- hmbs=- ratio=-
    fi
    printf '%-22s %10s %10s %12s %12s %8s\n' "$name" "$load" "$hload" "$mbs" "$hmbs" "$ratio"
done
[ -z "$node_dir" ] || rm -rf "$node_dir"
