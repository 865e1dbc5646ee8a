#!/usr/bin/env bash
# The reference server's tests on PostgreSQL: starts a throwaway cluster on
# loopback in a temporary directory (initdb and pg_ctl of the newest installed
# PostgreSQL, run as the postgres user when this script runs as root), runs
# `cargo test -p escrow-reference-server` and the terminal-and-server property
# test (`tests/rules_both_sides.rs`) with ESCROW_TEST_DATABASE_URL pointing
# at it (each test makes its own fresh database), then stops and deletes the
# cluster. The cluster also serves TLS with a throwaway CA
# (ESCROW_TEST_PG_TLS_CA) for tests/postgres_tls.rs. Extra arguments go to cargo test. PG_BIN and PG_TEST_PORT override
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
# TLS for tests/postgres_tls.rs: a throwaway CA, a server certificate for the
# name "localhost" only (so 127.0.0.1 fails the host name check), and a second
# CA that signed nothing here.
tls="$dir/tls"
mkdir -p "$tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=escrow test CA" -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=another CA" -keyout "$tls/other-ca.key" -out "$tls/other-ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
    -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost\n' > "$tls/san.ext"
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
    -CAcreateserial -days 2 -extfile "$tls/san.ext" -out "$tls/server.pem" 2>/dev/null
chmod 600 "$tls/server.key"
[ "$(id -u)" != 0 ] || chown -R postgres "$tls"
# fsync off: a throwaway cluster for tests (the load bench keeps it on).
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=300 \
        -c ssl=on -c ssl_cert_file=$tls/server.pem -c ssl_key_file=$tls/server.key" start
export ESCROW_TEST_DATABASE_URL="postgres://escrow@127.0.0.1:$port/postgres"
export ESCROW_TEST_PG_TLS_CA="$tls/ca.pem" ESCROW_TEST_PG_OTHER_CA="$tls/other-ca.pem"
# Photo bytes of this run only (the default for PostgreSQL is a shared
# directory under /tmp, where an earlier run's complete photo would answer
# a resumed upload as already whole).
mkdir -p "$dir/photos"
export ESCROW_PHOTO_DIR="$dir/photos"
echo "postgres-test: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
cargo test -p escrow-reference-server "$@"
# The shared rules on both sides: the terminal against the server's ingest on PostgreSQL.
cargo test -p courier-terminal --test rules_both_sides
