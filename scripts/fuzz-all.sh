#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 600) with the nightly toolchain,
# one after the other, and prints each target's last status line (runs, exec/s)
# and whether it found a crash. Needs `cargo install cargo-fuzz`.
#   scripts/fuzz-all.sh [SECONDS]
set -uo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-600}
for t in $(cargo +nightly fuzz list); do
  log=$(mktemp)
  cargo +nightly fuzz run "$t" -- -max_total_time="$secs" -print_final_stats=1 >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  eps=$(grep -o 'exec/s: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
  crash=$([ $rc -eq 0 ] && echo "no crash" || echo "CRASH (rc $rc, see fuzz/artifacts/$t)")
  echo "$t: ${secs} s, ${runs:-?} runs, ${eps:-?} exec/s, $crash"
  rm -f "$log"
done
