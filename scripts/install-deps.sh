#!/usr/bin/env bash
# Installs what a fresh Debian machine with the Rust toolchain lacks for the
# test suite: Python's `cryptography` (independent verification of the evidence
# log). The Rust build itself needs crates only (bundled SQLite, pure-Rust TLS,
# Slint's software renderer): no -dev packages.
set -euo pipefail
if ! python3 -c 'import cryptography' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check 'cryptography>=41'
fi
# poppler-utils (pdftoppm, pdftotext): tests/external/day_sheet_to_png.sh
# renders and reads the printable day sheet.
if ! command -v pdftoppm >/dev/null || ! command -v pdftotext >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils
fi
