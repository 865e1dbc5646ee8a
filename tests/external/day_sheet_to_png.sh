#!/usr/bin/env bash
# The printable day sheet, rendered: records a day with the real binary (a
# delivery, a refusal, a cancellation, a carrier problem, two returns scanned
# in, a forced close), exports the PDF with an Arabic supervisor name, renders
# its first page with poppler's pdftoppm and checks its text with pdftotext.
# Usage: day_sheet_to_png.sh [OUT.png]   (default: a temporary file;
# docs/screens/day-sheet.png is made with this script).
# Needs Debian's poppler-utils (pdftoppm, pdftotext): it says so and fails
# when they are missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for tool in pdftoppm pdftotext; do
  if ! command -v "$tool" >/dev/null; then
    echo "MISSING: $tool (Debian package poppler-utils: apt-get install -y poppler-utils); the day sheet was NOT rendered" >&2
    exit 1
  fi
done
target=${CARGO_TARGET_DIR:-$here/../../target}
bin=${COURIER_BIN:-$target/debug/courier-terminal}
devtools=${COURIER_DEVTOOLS_BIN:-$target/debug/courier-devtools}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=${1:-$work/day-sheet.png}
export COURIER_TERMINAL_DATA=$work/data

server_pub=$("$devtools" server-key --out "$work/server.key")
"$bin" init --device-id CT-ALG-07 --server-key "$server_pub" >/dev/null
"$devtools" sample-manifest --server-key "$work/server.key" --device-id CT-ALG-07 \
  --out "$work/m.json" --codes-out "$work/codes.json" --iterations 1000 --parcels 8 >/dev/null
"$bin" manifest load "$work/m.json" >/dev/null
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[int(sys.argv[2])][sys.argv[3]])' "$work/codes.json" "$1" "$2"; }
l0=$(field 0 label); l1=$(field 1 label); l2=$(field 2 label); l3=$(field 3 label)
"$bin" arrive "$l0" >/dev/null; "$bin" inspect "$l0" >/dev/null
"$bin" deliver "$l0" --code "$(field 0 numeric)" >/dev/null
"$bin" arrive "$l1" >/dev/null; "$bin" inspect "$l1" >/dev/null
"$bin" attempt "$l1" --outcome refused_after_inspection --reason damaged --note "écran fissuré" >/dev/null
"$bin" arrive "$l2" >/dev/null
"$bin" attempt "$l2" --outcome buyer_cancelled --reason changed_mind --note "a changé d'avis" >/dev/null
"$bin" arrive "$l3" >/dev/null
"$bin" attempt "$l3" --outcome carrier_problem --reason address_not_found >/dev/null
"$bin" check-in "$l1" >/dev/null
"$bin" check-in "$l2" >/dev/null
"$bin" depot close --force >/dev/null
"$bin" depot export --format pdf --out "$work/day.pdf" --utc-offset +01:00 \
  --courier "Karim Boudiaf" --supervisor "سارة بن علي" >/dev/null

pdftotext -layout "$work/day.pdf" "$work/day.txt"
for expected in "Feuille de journée" "Livreur" "Superviseur" "Karim Boudiaf" "Totaux" \
    "Refusé après inspection" "Vendeur" "Reçu au dépôt" "Manquant" "Signature du livreur" \
    "Signature du superviseur" "UTC+01:00" "$l1"; do
  grep -qF "$expected" "$work/day.txt" || { echo "FAILED: the day sheet does not show \"$expected\""; cat "$work/day.txt"; exit 1; }
done
pdftoppm -png -r 110 -f 1 -l 1 -singlefile "$work/day.pdf" "$work/page"
mkdir -p "$(dirname "$out")"
cp "$work/page.png" "$out"
echo "ok: day sheet rendered with pdftoppm ($(stat -c %s "$work/day.pdf") bytes of PDF) to $out; its text reads back with pdftotext"
