#!/usr/bin/env bash
# Run with: crates/core/fuzz/run.sh [SECONDS_PER_TARGET]   (needs nightly and cargo-fuzz)
# Runs every fuzz target of jw-upload-core for a bounded time and prints the run counts.
# Not part of CI.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
for t in range_report replies engine_replies snapshot; do
  echo "== fuzz $t for ${secs}s"
  mkdir -p "corpus/$t"
  seeds=(); [ -d "seeds/$t" ] && seeds=("seeds/$t")
  cargo +nightly fuzz run "$t" "corpus/$t" "${seeds[@]}" -- -max_total_time="$secs" 2>&1 \
    | grep -E "^Done|SUMMARY|panicked|ERROR" || true
done
