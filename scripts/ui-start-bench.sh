#!/usr/bin/env bash
# Start-up of the real app, measured from outside: a 500-parcel day, then
# `courier-terminal ui --fullscreen --panel-dpi 294` under Xvfb (720x1280),
# timed from the process start to its "first frame drawn" log line (written
# on the event loop's turn after the winit backend drew and presented its
# first frame; MARK overrides it, e.g. MARK="display applied" for a build
# without that line), RUNS times; prints each time and the median.
#
#   scripts/ui-start-bench.sh [courier-terminal binary] [courier-devtools binary]
#
# Both binaries default to target/release/. Needs Xvfb (apt-get install -y xvfb).
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
times=()
for _ in $(seq 1 "$runs"); do
    start=$(date +%s%N)
    # The app's log on a pipe, read line by line until the mark; then it gets
    # SIGTERM.
    coproc APP { COURIER_LOG=info exec "$bin" --data-dir "$tmp/data" ui --fullscreen --panel-dpi 294 2>&1 >/dev/null; }
    pid=$APP_PID
    shown=
    while IFS= read -r line <&"${APP[0]}"; do
        if [[ $line == *"$mark"* ]]; then shown=1; break; fi
    done
    end=$(date +%s%N)
    [ -n "$shown" ] || { echo "no \"$mark\" line: the first frame was never drawn" >&2; exit 1; }
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
    ms=$(( (end - start) / 1000000 ))
    times+=("$ms")
    echo "start to $mark: $ms ms"
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "median of $runs: ${sorted[$(( runs / 2 ))]} ms (min ${sorted[0]}, max ${sorted[$(( runs - 1 ))]}), $parcels parcels, load $(cut -d' ' -f1-3 /proc/loadavg)"
