#!/usr/bin/env bash
# The whole test suite: independent Python verification of exported evidence,
# then every Rust test of the workspace (unit, property, integration, UI).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cargo build --workspace --bins
bash tests/external/verify_with_python.sh
cargo test --workspace
