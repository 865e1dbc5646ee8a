#!/usr/bin/env bash
# Builds the Debian package from the kiosk build and checks it: contents and
# modes, conffile, maintainer scripts (sh -n, shellcheck), lintian (every
# warning left is overridden with its reason in packaging/lintian-overrides and
# packaging/README.md) and `systemd-analyze verify` on the unit.
#
# CI calls it after the test suite. It does not make a second optimized build:
# it compiles the binary once more in the test profile with the `kiosk` feature
# (which also proves the kiosk build links) and packages that binary. The
# release package is `cargo deb` (release profile, same metadata).
#
# Then, as root, the install test (scripts/package-install-test.sh).
# Prints the path of the .deb on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

CARGO_DEB_VERSION=3.8.0
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
# Not target/debian: cargo-deb deletes other versions of the package there.
out="$target_dir/deb-ci"
t0=$(date +%s)
step() { echo "== package: $* ($(($(date +%s) - t0)) s)"; }

# --- tools -----------------------------------------------------------------
need_apt=()
# Xvfb and import: the install test's first start on a virtual display.
for pair in lintian:lintian shellcheck:shellcheck systemd-analyze:systemd \
    pkg-config:pkg-config Xvfb:xvfb import:imagemagick; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need_apt+=("${pair#*:}")
done
# The kiosk feature (Slint on Linux KMS through libinput) links these.
for pkg in libinput-dev libxkbcommon-dev libudev-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need_apt+=("$pkg")
done
if ((${#need_apt[@]})); then
  step "apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${need_apt[@]}" >/dev/null
fi
if ! cargo deb --version 2>/dev/null | grep -q "$CARGO_DEB_VERSION"; then
  step "cargo install cargo-deb $CARGO_DEB_VERSION"
  cargo install cargo-deb --locked --version "$CARGO_DEB_VERSION" --quiet
fi

# --- build -----------------------------------------------------------------
step "cargo build --features kiosk (test profile)"
cargo build --quiet --locked --bin courier-terminal --features kiosk
step "cargo deb --no-build"
rm -rf "$out"
# The dev profile is what the tests built; cargo-deb warns that it prefers
# release (the warning is expected here).
cargo deb --no-build --profile dev --strip --fast --quiet --output "$out/" >/dev/null
deb=$(ls "$out"/courier-terminal_*.deb)
echo "package: $deb ($(du -h "$deb" | cut -f1))"

# --- contents --------------------------------------------------------------
step "contents"
listing=$(dpkg-deb -c "$deb")
expect() { # mode path
  grep -Eq "^$1 (root/root|0/0) .* \./$2\$" <<<"$listing" || {
    echo "package: missing or wrong mode: $1 $2" >&2
    echo "$listing" >&2
    exit 1
  }
}
expect '-rwxr-xr-x' usr/bin/courier-terminal
expect '-rw-r--r--' etc/courier-terminal/config.toml
expect '-rw-r--r--' usr/lib/systemd/system/courier-terminal.service
expect '-rw-r--r--' usr/lib/sysusers.d/courier-terminal.conf
expect '-rw-r--r--' usr/lib/udev/rules.d/60-courier-terminal.rules
expect '-rw-r--r--' usr/share/doc/courier-terminal/README.md
expect '-rw-r--r--' usr/share/doc/courier-terminal/copyright
expect '-rw-r--r--' usr/share/doc/courier-terminal/changelog.Debian.gz
expect '-rw-r--r--' usr/share/lintian/overrides/courier-terminal
expect '-rw-r--r--' usr/share/man/man1/courier-terminal.1.gz
if grep -q ' \./var/' <<<"$listing"; then
  echo "package: ships files under /var (the data directory belongs to the device)" >&2
  exit 1
fi

ctl=$(mktemp -d)
root=$(mktemp -d)
trap 'rm -rf "$ctl" "$root"' EXIT
dpkg-deb -e "$deb" "$ctl"
dpkg-deb -x "$deb" "$root"
dpkg-deb -I "$deb" | sed -n '/^ Package:/,$p'
grep -qx '/etc/courier-terminal/config.toml' "$ctl/conffiles" || {
  echo "package: config.toml is not a conffile" >&2
  exit 1
}
# The kiosk build links libinput: the computed dependencies must say so.
grep -q '^Depends:.*libinput' "$ctl/control" || {
  echo "package: the binary is not the kiosk build (no libinput dependency)" >&2
  exit 1
}
# The packaged config file is the one the tests check against the defaults.
cmp packaging/config.toml "$root/etc/courier-terminal/config.toml"

# --- maintainer scripts ----------------------------------------------------
step "maintainer scripts"
for s in postinst prerm postrm; do
  [[ -x "$ctl/$s" ]] || { echo "package: $s missing" >&2; exit 1; }
  sh -n "$ctl/$s"
  if grep -q '#DEBHELPER#' "$ctl/$s"; then
    echo "package: $s still has the #DEBHELPER# token" >&2
    exit 1
  fi
done
grep -q 'systemd-sysusers' "$ctl/postinst"
grep -q 'deb-systemd-invoke stop' "$ctl/prerm"
# The scripts as generated (with cargo-deb's fragments), POSIX sh.
shellcheck --shell=sh "$ctl/postinst" "$ctl/prerm" "$ctl/postrm"

# --- lintian ---------------------------------------------------------------
step "lintian"
# Fails on any error or warning not overridden (with its reason) in the package.
lintian --fail-on error,warning --display-info --tag-display-limit 0 "$deb"

# --- systemd unit ----------------------------------------------------------
step "systemd-analyze verify"
# Offline (no systemd as PID 1 needed): the unit is checked inside the unpacked
# package, where its ExecStart binary exists, with the system's own units beside
# it for the targets it is ordered against. Unknown keys only print a line, so
# any line naming the unit fails the check.
cp -rn /usr/lib/systemd/system/. "$root/usr/lib/systemd/system/"
verify_log=$(systemd-analyze verify --man=no --generators=no --root="$root" \
  "$root/usr/lib/systemd/system/courier-terminal.service" 2>&1) || {
  echo "$verify_log" >&2
  echo "package: systemd-analyze verify failed" >&2
  exit 1
}
if [[ -n "$verify_log" ]]; then
  echo "$verify_log"
  if grep -qi 'courier-terminal.service' <<<"$verify_log"; then
    echo "package: systemd-analyze verify complains about the unit" >&2
    exit 1
  fi
fi
systemd-analyze security --offline=yes --root="$root" \
  "$root/usr/lib/systemd/system/courier-terminal.service" 2>/dev/null | tail -1 || true

# --- install test ------------------------------------------------------------
# dpkg on this machine, as root (CI is root); PACKAGE_INSTALL_TEST=0 skips it.
if [[ $(id -u) == 0 && ${PACKAGE_INSTALL_TEST:-1} == 1 ]]; then
  step "install test"
  cargo build --quiet --locked -p escrow-reference-server --bin escrow-server \
    -p courier-devtools --bin courier-devtools
  bash scripts/package-install-test.sh "$deb"
fi

step "done"
echo "$deb"
