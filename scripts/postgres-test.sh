#!/usr/bin/env bash
# The reference server's tests on PostgreSQL: starts a throwaway cluster on
# loopback in a temporary directory (initdb and pg_ctl of the newest installed
# PostgreSQL, run as the postgres user when this script runs as root), runs
# `cargo test -p escrow-reference-server` and the terminal-and-server property
# test (`tests/rules_both_sides.rs`) with ESCROW_TEST_DATABASE_URL pointing
# at it (each test makes its own fresh database), then stops and deletes the
# cluster. Extra arguments go to cargo test. PG_BIN and PG_TEST_PORT override
# the binaries' directory and the port (default 55432).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
if [ ! -x "$bin/initdb" ]; then
    echo "postgres-test: no PostgreSQL server binaries (install them: apt-get install -y postgresql)" >&2
    exit 1
fi
port=${PG_TEST_PORT:-55432}
dir=$(mktemp -d /tmp/escrow-pg.XXXXXX)
as=()
if [ "$(id -u)" = 0 ]; then
    chown postgres "$dir"
    as=(runuser -u postgres --)
fi
stop() {
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap stop EXIT
"${as[@]}" "$bin/initdb" -D "$dir/data" -U escrow --auth=trust -E UTF8 >/dev/null
# fsync off: a throwaway cluster for tests (the load bench keeps it on).
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=300" start
export ESCROW_TEST_DATABASE_URL="postgres://escrow@127.0.0.1:$port/postgres"
echo "postgres-test: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
cargo test -p escrow-reference-server "$@"
# The shared rules on both sides: the terminal against the server's ingest on PostgreSQL.
cargo test -p courier-terminal --test rules_both_sides
