#!/usr/bin/env bash
# The back office's pages on a big PostgreSQL database (docs/benchmarks.md,
# "Back office"): starts a throwaway cluster on loopback in a temporary
# directory (like scripts/postgres-test.sh, fsync on), runs the
# back_office_pages bench (a release build) against it, then stops and
# deletes the cluster. PG_BIN and PG_BENCH_PORT override the binaries'
# directory and the port (default 55433).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
if [ ! -x "$bin/initdb" ]; then
    echo "back-office-bench: no PostgreSQL server binaries (install them: apt-get install -y postgresql)" >&2
    exit 1
fi
port=${PG_BENCH_PORT:-55433}
dir=$(mktemp -d /tmp/escrow-bo-bench.XXXXXX)
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
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c shared_buffers=512MB" start
export ESCROW_BENCH_DATABASE_URL="postgres://escrow@127.0.0.1:$port/postgres"
echo "back-office-bench: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
cargo bench -p escrow-reference-server --bench back_office_pages "$@"
