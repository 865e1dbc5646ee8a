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
badge=$("$devtools" sample-manifest --server-key "$work/server.key" --device-id CT-PYTHON-1 \
  --out "$work/m.json" --codes-out "$work/codes.json" --iterations 1000 --parcels 6 \
  | sed -n 's/^supervisor badge: //p')
[ -n "$badge" ]
"$bin" manifest load "$work/m.json" >/dev/null
code=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["numeric"])' "$work/codes.json")
label=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["label"])' "$work/codes.json")
"$bin" deliver "$label" --code 000000 >/dev/null || true
"$bin" deliver "$label" --code "$code" >/dev/null
label2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[1]["label"])' "$work/codes.json")
"$bin" arrive "$label2" >/dev/null
"$bin" attempt "$label2" --outcome buyer_cancelled --reason changed_mind --note "a changé d'avis" >/dev/null
# The depot: the sample supervisor (badge on standard input: offline, as the
# sample depot allows; a PIN is checked by the server) scans returns in, one
# of them unexpected (exit 6: an alarm), and closes the day with the
# courier's confirmation: supervisor proofs and the day record in the log.
printf '%s\n%s\nZZ-NOT-OURS\n' "$badge" "$label2" \
  | "$bin" depot scan-in >/dev/null || [ $? -eq 6 ]
"$bin" depot confirm-close >/dev/null
printf '%s\n' "$badge" | "$bin" depot close \
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

# The day report (docs/protocol.md, "Day reports"): a closed sample day at
# the depot (supervisor, returns, four-eyes fee change, forced close), its
# signed JSON report verified with the same recipe against the device's
# events, and its CSV read by Python's csv module.
"$devtools" day-sheet --out "$work/day" >/dev/null
day_pub=$(cat "$work/day/device_key.txt")
python3 "$here/verify_day_report.py" "$work/day/day.json" "$day_pub" --events "$work/day/events.jsonl"
expect_report_failure() {
  if python3 "$here/verify_day_report.py" "$1" "$2" --events "$work/day/events.jsonl" >/dev/null; then
    echo "FAILED: the Python verifier accepted $3"; exit 1
  fi
  echo "ok: $3 detected"
}
sed '0,/"payer": "seller"/s//"payer": "carrier"/' "$work/day/day.json" > "$work/bad.json"
grep -q '"payer": "carrier"' "$work/bad.json"; expect_report_failure "$work/bad.json" "$day_pub" "a day report whose fee payer was edited"
expect_report_failure "$work/day/day.json" "$pub" "a day report checked with another device's key"
python3 - "$work/day/day.csv" <<'PY'
import csv, sys
with open(sys.argv[1], encoding="utf-8-sig", newline="") as f:
    rows = list(csv.DictReader(f))
moved = [r for r in rows if r["code_payeur"] == "seller" and r["code_resultat"] == "buyer_cancelled"]
assert len(moved) == 1, rows
row = moved[0]
assert row["Résultat"] == "Annulé par l'acheteur à la porte", row
assert row["Frais de retour à la charge de"] == "Vendeur", row
assert "« annonce trompeuse : la photo ne correspond pas »" in row["Pourquoi"], row
assert row["Retour au dépôt"] == "Reçu au dépôt", row
assert row["Reçu au dépôt à"].endswith("+01:00"), row
assert any(r["Étiquette"] == "XX-INCONNU-1" and r["code_retour"] == "unexpected" for r in rows), rows
damaged = [r for r in rows if r["État à la réception"] == "Endommagé"]
assert damaged and damaged[0]["Remarque à la réception"] == "coin du carton écrasé", rows
print(f"ok: the day's CSV reads back with Python's csv module ({len(rows)} rows)")
PY
echo "python verification: all checks passed"
