#!/usr/bin/env bash
# Runs a command against a fresh reference escrow server on a free loopback port.
# Usage: with_reference_server.sh COMMAND ARGS...   (BASE_URL and ADMIN_TOKEN exported)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${ESCROW_BIN:-${CARGO_TARGET_DIR:-$here/../../target}/debug/escrow-server}
work=$(mktemp -d)
export ADMIN_TOKEN=admin-$RANDOM$RANDOM
: > "$work/server.out"
"$bin" --db "$work/server.sqlite" serve --listen 127.0.0.1:0 --admin-token "$ADMIN_TOKEN" \
  > "$work/server.out" 2> "$work/server.log" &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
# The server prints its address once it listens; read it from its output.
exec 3< <(tail -f "$work/server.out" --pid "$server")
BASE_URL=
while read -r -t 30 line <&3; do
  case $line in "listening on "*) BASE_URL=${line#listening on }; break ;; esac
done
[ -n "$BASE_URL" ] || { echo "the reference server did not start:"; cat "$work/server.out" "$work/server.log"; exit 1; }
export BASE_URL
export WORKDIR=$work
"$@"
