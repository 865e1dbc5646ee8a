#!/usr/bin/env bash
# The whole test suite: independent Python verification of exported evidence
# and of the server's checkpoints, schema-driven testing of the reference server
# (schemathesis, bounded to about a minute and a half), then every Rust test of the workspace (unit, property, integration, UI),
# then the reference server's tests once more on PostgreSQL (scripts/postgres-test.sh).
# Ends with one line "N passed, N failed" summed over every test binary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cargo build --workspace --bins
bash tests/external/verify_with_python.sh
bash tests/external/verify_checkpoint_with_python.sh
bash tests/external/day_sheet_to_png.sh
bash scripts/schemathesis.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# The reference server's tests again, on a throwaway PostgreSQL cluster.
bash scripts/postgres-test.sh 2>&1 | tee -a "$log"
pg_status=${PIPESTATUS[0]}
[ "$status" -ne 0 ] || status=$pg_status
set -e
awk '/^test result:/ { p += $4; f += $6 } END { printf "%d passed, %d failed\n", p, f + 0 }' "$log"
exit "$status"
