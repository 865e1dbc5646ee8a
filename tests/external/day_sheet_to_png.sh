#!/usr/bin/env bash
# The printable day sheet, rendered: `courier-devtools day-sheet` plays a
# closed day at the depot with the terminal's own calls (deliveries, a
# refusal, a cancellation, a carrier problem, returns scanned in with their
# condition, an unknown label, a four-eyes fee change, a forced close) and
# exports it; this renders the sheet's first page with poppler's pdftoppm and
# checks its text with pdftotext.
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
devtools=${COURIER_DEVTOOLS_BIN:-$target/debug/courier-devtools}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=${1:-$work/day-sheet.png}

"$devtools" day-sheet --out "$work/day" >/dev/null
pdftotext -layout "$work/day/day.pdf" "$work/day.txt"
for expected in "Feuille de journée" "Livreur" "Superviseur" "Samira Belkacem" "Totaux" \
    "Refusé après inspection" "Vendeur" "Reçu au dépôt" "Manquant" "Inattendu" \
    "clôture forcée" "Signature du livreur" "Signature du superviseur" "UTC+01:00" \
    "Endommagé" "XX-INCONNU-1"; do
  grep -qF "$expected" "$work/day.txt" || { echo "FAILED: the day sheet does not show \"$expected\""; cat "$work/day.txt"; exit 1; }
done
pdftoppm -png -r 110 -f 1 -l 1 -singlefile "$work/day/day.pdf" "$work/page"
mkdir -p "$(dirname "$out")"
cp "$work/page.png" "$out"
echo "ok: day sheet rendered with pdftoppm ($(stat -c %s "$work/day/day.pdf") bytes of PDF) to $out; its text reads back with pdftotext"
