#!/bin/sh
# syslog-ng.sh [DIR]: makes Debian's syslog-ng runnable without installing
# it (its syslog-ng-core conflicts with rsyslog: both are
# system-log-daemon). Downloads the package with `apt-get download` into
# DIR/cache and unpacks it with `dpkg -x` into DIR/root (DIR defaults to
# build/syslog-ng); its libraries come from tools/deps.sh. Prints DIR/root.
# Run it as: LD_LIBRARY_PATH=ROOT/usr/lib/syslog-ng ROOT/usr/sbin/syslog-ng
#   --module-path=ROOT/usr/lib/syslog-ng/VERSION -F -f CONF ...
# Exits 1 with the reason when it cannot.
set -eu
dir=${1:-build/syslog-ng}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [ ! -x "$dir/root/usr/sbin/syslog-ng" ]; then
  mkdir -p "$dir/cache"
  if ! ls "$dir"/cache/syslog-ng-core_*.deb >/dev/null 2>&1; then
    (cd "$dir/cache" && apt-get download syslog-ng-core) >&2 || {
      echo "syslog-ng.sh: apt-get download syslog-ng-core failed" >&2
      exit 1
    }
  fi
  rm -rf "$dir/root"
  dpkg -x "$(ls "$dir"/cache/syslog-ng-core_*.deb | head -n1)" "$dir/root"
fi
echo "$dir/root"
