#!/usr/bin/env bash
# Start-up of the real app, measured from outside: a 500-parcel day, then
# `courier-terminal ui --fullscreen --panel-dpi 294` under Xvfb (720x1280),
# timed from the process start to its "first frame drawn" log line (written
# on the event loop's turn after the winit backend drew and presented its
# first frame; MARK overrides it, e.g. MARK="display applied" for a build
# without that line), RUNS times; prints each time and the median.
#
# Beside it, in the same run and alternating with it, the floor: `slint_floor`
# (courier-devtools), a minimal Slint window with the same backend, fonts and
# scale, timed to the same line. Each process's resident memory is read from
# /proc at the mark and RSS_WAIT seconds later (default 3).
#
#   scripts/ui-start-bench.sh [courier-terminal binary] [courier-devtools binary]
#
# Both binaries default to target/release/; the floor is `slint_floor` next to
# the devtools binary. Needs Xvfb (apt-get install -y xvfb).
set -euo pipefail
bin=${1:-target/release/courier-terminal}
dev=${2:-target/release/courier-devtools}
runs=${RUNS:-7}
mark=${MARK:-first frame drawn}
parcels=${PARCELS:-500}
tmp=$(mktemp -d /tmp/ui-start.XXXXXX)
xvfb_pid=
cleanup() {
    [ -n "$xvfb_pid" ] && { kill "$xvfb_pid" 2>/dev/null; wait "$xvfb_pid" 2>/dev/null; } || true
    rm -rf "$tmp"
}
trap cleanup EXIT
pub=$("$dev" server-key --out "$tmp/server.key" | tail -n 1)
"$bin" --data-dir "$tmp/data" init --device-id CT-BENCH-1 --server-key "$pub" >/dev/null
"$dev" sample-manifest --server-key "$tmp/server.key" --device-id CT-BENCH-1 \
    --out "$tmp/manifest.json" --parcels "$parcels" --iterations 1 >/dev/null
"$bin" --data-dir "$tmp/data" manifest load "$tmp/manifest.json" >/dev/null
# Xvfb writes its display number once it accepts clients.
mkfifo "$tmp/display"
Xvfb -displayfd 3 -screen 0 720x1280x24 -nolisten tcp 3>"$tmp/display" 2>/dev/null &
xvfb_pid=$!
read -r display <"$tmp/display"
export DISPLAY=":$display"
unset WAYLAND_DISPLAY SLINT_SCALE_FACTOR COURIER_UI_DISPLAY_ENV
floor_bin=${FLOOR:-$(dirname "$dev")/slint_floor}
rss_wait=${RSS_WAIT:-3}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# measure NAME COMMAND...: one start of COMMAND (its log on stderr, read line by
# line until the mark), then its memory, then SIGTERM. Appends to NAME's lists.
declare -A times rss_first rss_later
measure() {
    local name=$1; shift
    local start end shown= line pid first later
    start=$(date +%s%N)
    coproc APP { exec "$@" 2>&1 >/dev/null; }
    pid=$APP_PID
    while IFS= read -r line <&"${APP[0]}"; do
        if [[ $line == *"$mark"* ]]; then shown=1; break; fi
    done
    end=$(date +%s%N)
    [ -n "$shown" ] || { echo "$name: no \"$mark\" line: the first frame was never drawn" >&2; exit 1; }
    first=$(rss_kb "$pid")
    # Let the process settle (timers, the sync thread) before the second reading;
    # its log keeps draining meanwhile so it never blocks on the pipe.
    timeout "$rss_wait" cat <&"${APP[0]}" >/dev/null || true
    later=$(rss_kb "$pid")
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
    local ms=$(( (end - start) / 1000000 ))
    times[$name]+="$ms "
    rss_first[$name]+="$first "
    rss_later[$name]+="$later "
    echo "$name: start to $mark $ms ms, resident $((first / 1024)) MiB at the mark, $((later / 1024)) MiB ${rss_wait} s later"
}
median() { printf '%s\n' $1 | sort -n | awk '{ v[NR] = $1 } END { printf "%d (min %d, max %d)", v[int((NR + 1) / 2)], v[1], v[NR] }'; }
for _ in $(seq 1 "$runs"); do
    COURIER_LOG=info measure app "$bin" --data-dir "$tmp/data" ui --fullscreen --panel-dpi 294
    [ -x "$floor_bin" ] && SLINT_SCALE_FACTOR=1.8375 measure floor "$floor_bin"
done
for name in app floor; do
    [ -n "${times[$name]:-}" ] || continue
    echo "$name, median of $runs: $(median "${times[$name]}") ms to \"$mark\"; resident $(median "${rss_later[$name]}") KiB after ${rss_wait} s ($(median "${rss_first[$name]}") KiB at the mark)"
done
echo "$parcels parcels, load $(cut -d' ' -f1-3 /proc/loadavg)"
