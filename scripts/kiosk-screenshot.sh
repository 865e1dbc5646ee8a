#!/usr/bin/env bash
# The app full screen under a real kiosk compositor: Debian's `cage` (wlroots)
# on its headless backend with the pixman renderer, captured with `grim`. The
# headless output is 1280x720 (wlroots' fixed size; cage 0.1.4 has no output
# management): `cage -r` turns it a quarter, as a handheld's landscape panel
# mounted in portrait is, which gives the app the handheld's 720x1280. A sample day
# (12 parcels, Algiers) is loaded into a throwaway data directory first.
#
# Usage: scripts/kiosk-screenshot.sh [OUT_DIR] [LANG...]
#   OUT_DIR defaults to docs/screens, LANG to "fr ar en";
#   writes OUT_DIR/cage-LANG-720x1280.png (the route list of the sample day)
#   and OUT_DIR/cage-first-run-LANG-720x1280.png (a fresh data directory).
# Needs: apt-get install cage grim xwayland (cage 0.1.4 always starts Xwayland)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/screens}
shift || true
langs=("$@")
((${#langs[@]})) || langs=(fr ar en)
for tool in cage grim Xwayland; do
  command -v "$tool" >/dev/null || {
    echo "kiosk screenshot: $tool is missing (apt-get install cage grim xwayland)" >&2
    exit 1
  }
done

target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
cargo build --quiet --bin courier-terminal -p courier-terminal
cargo build --quiet --bin courier-devtools -p courier-devtools
ct="$target_dir/debug/courier-terminal"
dt="$target_dir/debug/courier-devtools"

work=$(mktemp -d)
cage_pid=""
cleanup() {
  [[ -n $cage_pid ]] && kill "$cage_pid" 2>/dev/null && wait "$cage_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export XDG_RUNTIME_DIR="$work/run"
mkdir -m 700 "$XDG_RUNTIME_DIR"
# cage refuses to run as root: as root, everything below runs as nobody.
as_user=()
if [[ $(id -u) == 0 ]]; then
  as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
  chmod 755 "$work"
  chown -R nobody:nogroup "$work"
fi

ct=("${as_user[@]}" "$ct" --config /dev/null)
server_key=$("$dt" server-key --out "$work/server.key" | tail -1)
"${ct[@]}" --data-dir "$work/device" init --device-id kiosk-demo --server-key "$server_key" >/dev/null
chmod 644 "$work/server.key"
"$dt" sample-manifest --server-key "$work/server.key" --device-id kiosk-demo \
  --out "$work/manifest.json" --parcels 12 >/dev/null
"${ct[@]}" --data-dir "$work/device" manifest load "$work/manifest.json" >/dev/null

mkdir -p "$out"
# One screen under cage: shoot DATA_DIR NAME LANG waits for the app's log line
# naming the screen it made (the log is at info for this), checks that the app
# is still running (no panic at start), then captures OUT/cage-NAME-720x1280.png.
shoot() {
  local data=$1 name=$2 lang=$3 expect=$4
  rm -f "$XDG_RUNTIME_DIR"/wayland-*
  WLR_BACKENDS=headless WLR_LIBINPUT_NO_DEVICES=1 WLR_RENDERER=pixman COURIER_LOG=info \
    "${as_user[@]}" cage -d -r -- "${ct[@]:${#as_user[@]}}" --data-dir "$data" \
    --fixed-position 36.7538,3.0588 ui --fullscreen --panel-dpi 294 --lang "$lang" \
    >"$work/cage-$name.log" 2>&1 &
  cage_pid=$!
  # The compositor's socket.
  for _ in $(seq 100); do
    socket=$(cd "$XDG_RUNTIME_DIR" && ls wayland-? 2>/dev/null | head -1) || true
    [[ -n $socket ]] && break
    kill -0 "$cage_pid" 2>/dev/null || { cat "$work/cage-$name.log" >&2; exit 1; }
    sleep 0.1
  done
  [[ -n $socket ]] || { echo "kiosk screenshot: cage opened no socket" >&2; exit 1; }
  export WAYLAND_DISPLAY=$socket
  for _ in $(seq 300); do
    grep -q "screen shown screen=$expect" "$work/cage-$name.log" && break
    kill -0 "$cage_pid" 2>/dev/null || { cat "$work/cage-$name.log" >&2; echo "kiosk screenshot: the app ended under cage" >&2; exit 1; }
    sleep 0.1
  done
  grep -q "screen shown screen=$expect" "$work/cage-$name.log" ||
    { cat "$work/cage-$name.log" >&2; echo "kiosk screenshot: no $expect screen" >&2; exit 1; }
  # Until the app has drawn its first screen at that size (a blank output
  # compresses to a few kilobytes), at most 30 s.
  shot="$out/cage-$name-720x1280.png"
  for _ in $(seq 60); do
    "${as_user[@]}" grim - >"$shot"
    (($(stat -c %s "$shot") > 20000)) && break
    sleep 0.5
  done
  # One more frame after the last resize, then keep it.
  sleep 1
  "${as_user[@]}" grim - >"$shot"
  if grep -q panicked "$work/cage-$name.log" || ! kill -0 "$cage_pid" 2>/dev/null; then
    cat "$work/cage-$name.log" >&2
    echo "kiosk screenshot: the app did not stay up under cage" >&2
    exit 1
  fi
  kill "$cage_pid"
  wait "$cage_pid" 2>/dev/null || true
  cage_pid=""
  echo "$shot"
}
for lang in "${langs[@]}"; do
  shoot "$work/device" "$lang" "$lang" Route
  # A fresh handheld: no identity yet, the first-run (enrollment) screen.
  mkdir -p "$work/fresh-$lang"
  [[ -z ${as_user[*]} ]] || chown nobody:nogroup "$work/fresh-$lang"
  shoot "$work/fresh-$lang" "first-run-$lang" "$lang" Enroll
done
