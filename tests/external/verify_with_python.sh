#!/usr/bin/env bash
# Independent verification: record a small day with the real binary, export the
# events, and verify them with Python from docs/protocol.md alone; then check that
# an edited, a dropped and a reordered event, and a repeated JSON key, are each caught.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=${CARGO_TARGET_DIR:-$here/../../target}
bin=${COURIER_BIN:-$target/debug/courier-terminal}
devtools=${COURIER_DEVTOOLS_BIN:-$target/debug/courier-devtools}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export COURIER_TERMINAL_DATA=$work/data

server_pub=$("$devtools" server-key --out "$work/server.key")
"$bin" init --device-id CT-PYTHON-1 --server-key "$server_pub" >/dev/null
"$devtools" sample-manifest --server-key "$work/server.key" --device-id CT-PYTHON-1 \
  --out "$work/m.json" --codes-out "$work/codes.json" --iterations 1000 --parcels 6 >/dev/null
"$bin" manifest load "$work/m.json" >/dev/null
code=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["numeric"])' "$work/codes.json")
label=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["label"])' "$work/codes.json")
"$bin" deliver "$label" --code 000000 >/dev/null || true
"$bin" deliver "$label" --code "$code" >/dev/null
label2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[1]["label"])' "$work/codes.json")
"$bin" arrive "$label2" >/dev/null
"$bin" attempt "$label2" --outcome buyer_cancelled --reason changed_mind --note "a changé d'avis" >/dev/null
# The depot: the sample supervisor (PIN on standard input) scans returns in,
# one of them unexpected (exit 2: an alarm), and closes the day with the
# courier's confirmation: supervisor proofs and the day record in the log.
printf '135790\n%s\nZZ-NOT-OURS\n' "$label2" \
  | "$bin" depot scan-in --supervisor SUP-ALGER-EST-1 >/dev/null || [ $? -eq 2 ]
"$bin" depot confirm-close >/dev/null
printf '135790\n' | "$bin" depot close --supervisor SUP-ALGER-EST-1 \
  --force-reason "the other parcels stay for tomorrow" >/dev/null
"$bin" events export --out "$work/events.jsonl" 2>/dev/null
grep -q '"kind":"day_closed"' "$work/events.jsonl"
grep -q '"supervisor":{' "$work/events.jsonl"
pub=$("$bin" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["public_key"])')

python3 "$here/verify_events.py" "$work/events.jsonl" "$pub"

expect_failure() {
  if python3 "$here/verify_events.py" "$work/bad.jsonl" "$pub" >/dev/null; then
    echo "FAILED: the Python verifier accepted $1"; exit 1
  fi
  echo "ok: $1 detected"
}
sed 's/"buyer_cancelled"/"refused_after_inspection"/' "$work/events.jsonl" > "$work/bad.jsonl"; expect_failure "an edited outcome"
sed '2d' "$work/events.jsonl" > "$work/bad.jsonl"; expect_failure "a dropped event"
{ sed -n '2p' "$work/events.jsonl"; sed -n '1p' "$work/events.jsonl"; sed '1,2d' "$work/events.jsonl"; } > "$work/bad.jsonl"; expect_failure "reordered events"
# A first "outcome" hiding the real one: plain json.loads keeps the last, so
# the hash and signature still match; the recipe refuses the repeated key.
sed '0,/"outcome":"buyer_cancelled"/s//"outcome":"refused_after_inspection","outcome":"buyer_cancelled"/' "$work/events.jsonl" > "$work/bad.jsonl"
grep -q '"outcome":"refused_after_inspection","outcome"' "$work/bad.jsonl"; expect_failure "a repeated JSON key hiding the real outcome"
echo "python verification: all checks passed"
