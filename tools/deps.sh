#!/bin/sh
# deps.sh: installs the Debian packages Hindsight builds and tests with,
# with apt-get when root or through sudo.
set -eu
PKGS="gcc make pkg-config libsqlite3-dev libmicrohttpd-dev libcmark-dev
libjansson-dev libcrypt-dev zlib1g-dev libcurl4-openssl-dev sqlite3 curl jq
libxml2-utils chromium wrk nginx-light time openssl"
if [ "$(id -u)" = 0 ]; then
  SUDO=
elif command -v sudo >/dev/null 2>&1; then
  SUDO=sudo
else
  echo "deps: need root or sudo to install: $PKGS" >&2
  exit 1
fi
$SUDO apt-get update
# shellcheck disable=SC2086
$SUDO apt-get install -y --no-install-recommends $PKGS
