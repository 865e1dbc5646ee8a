#!/usr/bin/env bash
# Installs the .deb on this machine (root, dpkg; systemd need not be running)
# and checks what a handheld would live through:
#   install      files, modes, conffile, service user, private data directory;
#   first start  the unit's ExecStart, as its user, on a virtual display: the
#                first-run screen comes up and stays up (no restart loop);
#   enroll       against the reference server on loopback over HTTPS, its
#                certificate from a carrier CA made here and named in the
#                config's [server] ca_file; `diagnose --json` there; then
#                events recorded offline;
#   upgrade      to a second build while events wait: the database is untouched,
#                then the events sync once;
#   remove       keeps the data and leaves a note saying what waits;
#   purge        with waiting events keeps the data directory and says where;
#   purge        after a removal with nothing waiting deletes it.
# Usage: scripts/package-install-test.sh PATH.deb
# Refuses to run where a data directory it did not create already exists.
set -euo pipefail
cd "$(dirname "$0")/.."

deb=${1:?usage: $0 PATH.deb}
DATA=/var/lib/courier-terminal
MARK=.package-install-test
PKG=courier-terminal
[[ $(id -u) == 0 ]] || { echo "install test: needs root (dpkg)" >&2; exit 1; }
if [[ -d $DATA && ! -e $DATA/$MARK ]]; then
  echo "install test: $DATA exists and was not made by this test; not touching it" >&2
  exit 1
fi

target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
# The workspace's reference escrow server (dev tools), run on loopback.
ESCROW_SERVER=${ESCROW_SERVER:-"$target_dir/debug/escrow-server"}
# Makes the throwaway carrier CA and the server's certificate (dev tools).
DEVTOOLS=${DEVTOOLS:-"$target_dir/debug/courier-devtools"}
work=$(mktemp -d)
chmod 755 "$work"
server_pid=""
trap '[[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT
checks=0
# cargo-deb (second build below) may clean its output directory: keep a copy.
cp "$deb" "$work/first.deb"
deb="$work/first.deb"
fail() { echo "install test: FAILED: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok: $*"; }
as_service() { runuser -u courier-terminal -- /usr/bin/courier-terminal --data-dir "$DATA" "$@"; }
pending() { as_service sync --status --json | sed -n 's/.*"pending":\([0-9][0-9]*\).*/\1/p'; }
db_sum() { sha256sum "$DATA/terminal.db" "$DATA/device.key" | cut -d' ' -f1 | tr '\n' ' '; }
mode_owner() { stat -c '%a %U:%G' "$1"; }

# A clean start: an earlier run of this test may have left its package or data.
dpkg -P "$PKG" >/dev/null 2>&1 || true
rm -rf "$DATA"

# --- install ---------------------------------------------------------------
dpkg -i "$deb" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "dpkg -i"; }
touch "$DATA/$MARK"
[[ $(mode_owner /usr/bin/courier-terminal) == "755 root:root" ]] || fail "binary mode"
[[ $(mode_owner /etc/courier-terminal/config.toml) == "644 root:root" ]] || fail "config mode"
dpkg-query -W -f='${Conffiles}\n' "$PKG" | grep -q '/etc/courier-terminal/config.toml' ||
  fail "config.toml is not a registered conffile"
getent passwd courier-terminal | grep -q ':/var/lib/courier-terminal:/usr/sbin/nologin$' ||
  fail "service user: $(getent passwd courier-terminal)"
[[ $(mode_owner "$DATA") == "700 courier-terminal:courier-terminal" ]] ||
  fail "data directory: $(mode_owner "$DATA")"
[[ -f /usr/lib/systemd/system/courier-terminal.service ]] || fail "unit not installed"
[[ -f /usr/lib/udev/rules.d/60-courier-terminal.rules ]] || fail "udev rules not installed"
ok "install: binary, conffile, unit, udev rules, user and private data directory"

# --- first start: the service's own command on the fresh data directory -----
# What systemd runs (the unit's ExecStart, as its user), on a virtual X display
# instead of the panel (SLINT_BACKEND=winit, as under a kiosk compositor): the
# first-run screen must come up and stay up, not panic into a restart loop.
exec_start=$(sed -n 's/^ExecStart=//p' /usr/lib/systemd/system/courier-terminal.service)
[[ $exec_start == "/usr/bin/courier-terminal --config /etc/courier-terminal/config.toml ui" ]] ||
  fail "unexpected ExecStart: $exec_start"
exec 9< <(Xvfb -displayfd 1 -nolisten tcp -screen 0 720x1280x24 2>/dev/null & echo "pid $!")
read -r _ xvfb_pid <&9
read -r display_number <&9
[[ $display_number =~ ^[0-9]+$ ]] || fail "Xvfb gave no display number"
first_log="$work/first-start.log"
# shellcheck disable=SC2086 # ExecStart is a command line, split as systemd does
runuser -u courier-terminal -- env DISPLAY=":$display_number" SLINT_BACKEND=winit \
  COURIER_LOG=info $exec_start >/dev/null 2>"$first_log" &
ui_pid=$!
for _ in $(seq 600); do
  grep -q 'screen shown screen=Enroll' "$first_log" && break
  kill -0 "$ui_pid" 2>/dev/null || { cat "$first_log" >&2; fail "the first start ended (a restart loop under systemd)"; }
  sleep 0.1
done
grep -q 'screen shown screen=Enroll' "$first_log" || { cat "$first_log" >&2; fail "no first-run screen after 60 s"; }
import -display ":$display_number" -window root "$work/first-start.png" 2>/dev/null || true
kill -0 "$ui_pid" 2>/dev/null || { cat "$first_log" >&2; fail "the first-run screen did not stay up"; }
if grep -q 'panicked' "$first_log"; then cat "$first_log" >&2; fail "the first start panicked"; fi
kill "$ui_pid" 2>/dev/null || true
pkill -TERM -u courier-terminal -f '^/usr/bin/courier-terminal ' || true
wait "$ui_pid" 2>/dev/null || true
kill "$xvfb_pid" 2>/dev/null || true
exec 9<&-
ok "first start: the service's command shows the first-run screen on a fresh data directory"

# --- enrolled against a reference server on loopback, events waiting --------
starts=0
start_server() {
  starts=$((starts + 1))
  server_log="$work/server-$starts.log"
  : >"$server_log"
  $ESCROW_SERVER --db "$work/server.sqlite" serve --listen 127.0.0.1:0 \
    --tls-cert "$work/pki/carrier-server.pem" --tls-key "$work/pki/carrier-server.key" \
    >"$server_log" 2>/dev/null &
  server_pid=$!
  for _ in $(seq 100); do
    url=$(sed -n 's/^listening on //p' "$server_log")
    [[ -n $url ]] && return 0
    kill -0 "$server_pid" 2>/dev/null || fail "reference server did not start"
    sleep 0.1
  done
  fail "reference server not listening after 10 s"
}
stop_server() {
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
# The carrier's PKI: its CA goes where carrier IT puts it, named in the config.
mkdir -p "$work/pki"
$DEVTOOLS test-pki --out "$work/pki" --name carrier >/dev/null
install -m 644 "$work/pki/carrier-ca.pem" /etc/courier-terminal/ca.pem
sed -i 's|^# ca_file = "/etc/courier-terminal/ca.pem"$|ca_file = "/etc/courier-terminal/ca.pem"|' \
  /etc/courier-terminal/config.toml
grep -q '^ca_file = ' /etc/courier-terminal/config.toml || fail "could not set ca_file"
token=$($ESCROW_SERVER --db "$work/server.sqlite" issue-token)
parcel=$($ESCROW_SERVER --db "$work/server.sqlite" create-order --order-ref CMD-IT-1 \
  --label DZIT0001 --iterations 1000 | sed -n 's/^parcel_id //p')
start_server
as_service enroll --server "$url" --token "$token" --hardware-label install-test >"$work/enroll.log"
device=$(sed -n 's/^enrolled as *//p' "$work/enroll.log")
[[ -n $device ]] || fail "enrollment printed no device id"
$ESCROW_SERVER --db "$work/server.sqlite" issue-manifest --device "$device" --parcel "$parcel" >/dev/null
as_service sync >/dev/null || fail "first sync"
[[ $url == https://* ]] || fail "the server is not on HTTPS: $url"
ok "enrolled over HTTPS ($url) trusting only the carrier CA in [server] ca_file"

# --- diagnose, as fleet tools read it ---------------------------------------
# No GNSS module or scanner on this machine: those lines fail (exit 1) and say
# what to fix; storage, key, server (TLS, pinned key) and outbox are OK.
set +e
as_service diagnose --json >"$work/diagnose.json"
diagnose_status=$?
set -e
[[ $diagnose_status == 1 ]] || fail "diagnose exit $diagnose_status (expected 1: no GNSS here)"
python3 - "$work/diagnose.json" "$device" <<'PY' || fail "diagnose --json: $(cat "$work/diagnose.json")"
import json, sys
checks = {c["area"]: c for c in json.load(open(sys.argv[1]))["checks"]}
for area in ("storage", "key", "server", "outbox"):
    assert checks[area]["verdict"] == "ok", checks[area]
server = checks["server"]["detail"]
assert "TLS valid" in server and "pinned key matches" in server and sys.argv[2] in server, server
assert checks["gnss"]["verdict"] == "fail" and checks["gnss"]["fix"], checks["gnss"]
PY
ok "diagnose --json: storage, key, server (TLS valid, pinned key) and outbox OK; GNSS absent named with its fix"
stop_server
as_service --fixed-position 36.7538,3.0588 arrive DZIT0001 >/dev/null
as_service --fixed-position 36.7538,3.0588 contact DZIT0001 >/dev/null
waiting=$(pending)
[[ $waiting -ge 2 ]] || fail "expected events waiting, found ${waiting:-none}"
[[ $(mode_owner "$DATA/device.key") == "600 courier-terminal:courier-terminal" ]] ||
  fail "device key: $(mode_owner "$DATA/device.key")"
echo "# carrier edit" >>/etc/courier-terminal/config.toml  # the ca_file line is one too
before=$(db_sum)
ok "enrolled as $device on $url; server stopped; $waiting events wait to sync"

# --- upgrade to a second build ----------------------------------------------
cargo deb --no-build --profile dev --strip --fast --quiet --deb-version 0.1.0-2 \
  --output "$work/" >/dev/null 2>&1 || fail "second build"
dpkg -i "$work"/courier-terminal_0.1.0-2_*.deb >"$work/upgrade.log" 2>&1 ||
  { cat "$work/upgrade.log"; fail "upgrade"; }
[[ $(dpkg-query -W -f='${Version}' "$PKG") == 0.1.0-2 ]] || fail "version after upgrade"
[[ $(db_sum) == "$before" ]] || fail "the upgrade changed the database or the key"
[[ $(pending) == "$waiting" ]] || fail "pending count changed by the upgrade"
tail -1 /etc/courier-terminal/config.toml | grep -q '^# carrier edit$' &&
  grep -q '^ca_file = "/etc/courier-terminal/ca.pem"$' /etc/courier-terminal/config.toml ||
  fail "the upgrade replaced the carrier's config.toml"
as_service events verify >/dev/null || fail "evidence log does not verify after upgrade"
ok "upgrade: database, key, $waiting waiting events and the edited config kept"

# --- the waiting events sync once after the upgrade ------------------------
start_server
as_service sync --server "$url" >/dev/null || fail "sync after upgrade"
[[ $(pending) == 0 ]] || fail "events still waiting after sync"
as_service sync --server "$url" --status --json | grep -q '"rejected":0' || fail "events rejected"
stop_server
ok "after the upgrade the $waiting events synced, none rejected"
as_service --fixed-position 36.7538,3.0588 contact DZIT0001 >/dev/null
waiting=$(pending)
[[ $waiting == 1 ]] || fail "expected 1 event waiting, found ${waiting:-none}"
before=$(db_sum)

# --- remove ----------------------------------------------------------------
dpkg -r "$PKG" >"$work/remove.log" 2>&1 || { cat "$work/remove.log"; fail "remove"; }
[[ ! -e /usr/bin/courier-terminal ]] || fail "binary left after remove"
[[ $(db_sum) == "$before" ]] || fail "remove changed the data"
grep -q "pending upload: $waiting" "$DATA/UNSYNCED-EVENTS.txt" || fail "no note of waiting events"
[[ ! -e $DATA/.outbox-empty-at-removal ]] || fail "removal marked the outbox empty"
ok "remove: data kept, UNSYNCED-EVENTS.txt says $waiting wait"

# --- purge with events waiting ---------------------------------------------
dpkg -P "$PKG" >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "purge"; }
[[ $(db_sum) == "$before" ]] || fail "purge deleted or changed waiting evidence"
grep -q "NOT deleting $DATA" "$work/purge.log" || { cat "$work/purge.log"; fail "purge said nothing"; }
[[ ! -e /etc/courier-terminal/config.toml ]] || fail "purge left the conffile"
ok "purge with waiting events: $DATA kept and named"

# --- purge with nothing waiting ----------------------------------------------
rm -rf "$DATA"
dpkg -i "$deb" >"$work/install2.log" 2>&1 || { cat "$work/install2.log"; fail "reinstall"; }
touch "$DATA/$MARK"
as_service init --device-id dev-install-test-2 >/dev/null
[[ $(pending) == 0 ]] || fail "a fresh device has waiting events"
dpkg -r "$PKG" >/dev/null 2>&1 || fail "remove (clean)"
[[ -f $DATA/.outbox-empty-at-removal ]] || fail "no empty-outbox stamp"
dpkg -P "$PKG" >"$work/purge2.log" 2>&1 || { cat "$work/purge2.log"; fail "purge (clean)"; }
[[ ! -e $DATA ]] || fail "purge with nothing waiting left $DATA"
ok "purge with nothing waiting: $DATA deleted"

rm -f /etc/courier-terminal/ca.pem  # the carrier's file, put there above
rmdir /etc/courier-terminal 2>/dev/null || true
echo "install test: all $checks checks passed"
