#!/bin/sh
# deps.sh [--if-missing] [PACKAGE...]: installs the Debian 12 packages that
# `make run` and `make test` need, plus any PACKAGEs named (CI adds its
# fuzzing compiler), with apt-get when root or through sudo.
# --if-missing: does nothing, quietly, when every library and command is
# already there (so `make run` and `make test` call it every time).
# Another apt-get or dpkg holding the lock is waited for, up to 10 minutes.
set -eu
# pkg-config's names of the libraries (the Makefile's PKGS).
LIBS="sqlite3 libmicrohttpd libcmark jansson libcrypt zlib libcurl libzstd libpq"
PKGS="gcc make pkg-config libsqlite3-dev libmicrohttpd-dev libcmark-dev
libjansson-dev libcrypt-dev zlib1g-dev libcurl4-openssl-dev libzstd-dev zstd
sqlite3 curl jq libxml2-utils openssl ca-certificates python3 faketime
chromium wrk nginx-light time prometheus-alertmanager"
# Real log writers for the evidence-format tests (t0070..t0074; omrelp
# for t0111), and the zone files --tz and the status page read.
PKGS="$PKGS rsyslog rsyslog-relp haproxy bsdutils tzdata"
# The streaming doors: Loki's snappy, and the libraries of the syslog-ng
# that tools/syslog-ng.sh unpacks beside rsyslog (t0068): all that
# syslog-ng-core depends on (a plain Debian 12 lacks libpcre3, libjson-c5).
PKGS="$PKGS libsnappy-dev libivykis0 libnet1 libwrap0 libpcre3 libjson-c5
libcap2 libglib2.0-0 libssl3 libsystemd0"
# The PostgreSQL backend (libpq) and the server `make test DB=pg` starts
# (tests/pg.sh: initdb and pg_ctl from /usr/lib/postgresql/15/bin, psql).
PKGS="$PKGS libpq-dev postgresql-15 postgresql-client-15"
# What the tests run by name; node and npm come from Debian's nodejs and
# npm unless some Node.js (with its npm) is already installed.
CMDS="gcc make pkg-config sqlite3 curl jq xmllint openssl python3 faketime
chromium node npm prometheus-alertmanager psql"

if [ "${1:-}" = --if-missing ]; then
  shift
  missing=
  pkg-config --exists $LIBS 2>/dev/null || missing="libraries"
  # Every package of the list, as dpkg knows it (libraries without a
  # pkg-config file, daemons outside PATH, syslog-ng's libraries).
  # shellcheck disable=SC2086
  for p in $(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $PKGS 2>&1 |
    awk '$1 != "ii" { print $NF }'); do
    missing="$missing $p"
  done
  for c in $CMDS; do
    command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
  done
  [ -n "$missing" ] || [ $# -gt 0 ] || exit 0
  echo "deps: missing:$missing; installing Debian packages" >&2
fi

if ! command -v npm >/dev/null 2>&1; then
  PKGS="$PKGS nodejs npm"
fi
if [ "$(id -u)" = 0 ]; then
  SUDO=
elif command -v sudo >/dev/null 2>&1; then
  SUDO=sudo
else
  echo "deps: need root or sudo to install:" $PKGS "$@" >&2
  exit 1
fi

# apt_get ARGS...: apt-get, tried again while another apt or dpkg holds one
# of its locks. DPkg::Lock::Timeout covers dpkg's lock only, not the lists
# lock of `apt-get update` nor the archives lock, hence the loop.
apt_get() {
  log=$(mktemp "${TMPDIR:-/tmp}/hs-deps.XXXXXX")
  tries=0
  while :; do
    # Shown as it goes (an install takes minutes) and kept to look for a lock.
    (
      rc=0
      $SUDO env DEBIAN_FRONTEND=noninteractive apt-get \
        -o DPkg::Lock::Timeout=600 "$@" 2>&1 || rc=$?
      echo $rc >"$log.rc"
    ) | tee "$log"
    rc=$(cat "$log.rc")
    rm -f "$log.rc"
    if [ $rc -eq 0 ] || ! grep -q 'Could not get lock\|Unable to lock' "$log"; then
      rm -f "$log"
      return $rc
    fi
    tries=$((tries + 1))
    if [ $tries -ge 120 ]; then
      rm -f "$log"
      echo "deps: apt is still locked after 10 minutes" >&2
      return $rc
    fi
    echo "deps: another apt-get or dpkg holds the lock; waiting" >&2
    sleep 5
  done
}

apt_get update
# shellcheck disable=SC2086
apt_get install -y --no-install-recommends $PKGS "$@"
