#!/usr/bin/env bash
# Installs what a fresh Debian machine with the Rust toolchain lacks for the
# test suite: Python's `cryptography` (independent verification of the evidence
# log), poppler-utils, PostgreSQL and a virtual X display (below). The Rust build itself needs crates only (bundled SQLite, pure-Rust TLS,
# Slint's software renderer): no -dev packages.
set -euo pipefail
if ! python3 -c 'import cryptography' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check 'cryptography>=41'
fi
# Debian packages, installed when missing (with sudo when not root):
# - poppler-utils (pdftoppm, pdftotext): tests/external/day_sheet_to_png.sh
#   renders and reads the printable day sheet;
# - postgresql (server binaries): scripts/postgres-test.sh runs the reference
#   server's tests on a throwaway cluster on loopback.
sudo=$([ "$(id -u)" = 0 ] || echo sudo)
need=()
if ! command -v pdftoppm >/dev/null || ! command -v pdftotext >/dev/null; then
  need+=(poppler-utils)
fi
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# - xvfb, xdotool, imagemagick: tests/ui_real_window.rs and the install test
#   run the real app in a real window on a virtual X display, press its keys,
#   tap it and take screenshots.
command -v Xvfb >/dev/null || need+=(xvfb)
command -v xdotool >/dev/null || need+=(xdotool)
command -v import >/dev/null || need+=(imagemagick)
# - chromium, chromium-driver: reference-server/tests/back_office_browser.rs
#   drives the browser back office in headless chromium through chromedriver.
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
# - openssl: scripts/postgres-test.sh makes the throwaway cluster's TLS
#   authority and certificate (tests/postgres_tls.rs).
command -v openssl >/dev/null || need+=(openssl)
if ((${#need[@]})); then
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
