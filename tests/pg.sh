#!/bin/sh
# pg.sh: a throwaway PostgreSQL 15 cluster for the tests (make test DB=pg).
#   pg.sh start DIR      initdb in DIR/data, start it on a free loopback port
#                        (its socket in DIR too); prints the base conninfo,
#                        "host=127.0.0.1 port=N user=hindsight".
#   pg.sh stop DIR       stops it at once (-m immediate) and removes DIR.
#   pg.sh createdb BASE  a new empty database with a unique name; prints
#                        BASE plus its dbname.
#   pg.sh dropdb CONNINFO  drops the database CONNINFO names.
#   pg.sh check CONNINFO   pg_amcheck (tables and their indexes) on that
#                        database: prints "ok", or what it found and fails.
# As root (CI runs as root; initdb and postgres refuse it) the cluster runs
# as the `postgres` user with DIR owned by it; otherwise as the caller.
# Messages go to stderr: stdout is only the conninfo.
set -eu

die() {
  echo "pg.sh: $*" >&2
  exit 1
}

# The server binaries: pg_config's (libpq-dev) or Debian's path.
bindir() {
  for d in "$(pg_config --bindir 2>/dev/null || true)" \
    /usr/lib/postgresql/15/bin; do
    if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
      echo "$d"
      return 0
    fi
  done
  die "no initdb/pg_ctl (looked in pg_config --bindir and" \
    "/usr/lib/postgresql/15/bin): install postgresql-15 (sh tools/deps.sh)"
}

# as_owner CMD...: runs CMD as the cluster's owner.
as_owner() {
  if [ "$(id -u)" != 0 ]; then
    "$@"
  elif command -v runuser >/dev/null 2>&1; then
    runuser -u postgres -- "$@"
  else
    setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
  fi
}

# free_port: a loopback TCP port nobody listens on right now (another
# process may take it before postgres does: start tries again).
free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# psql_base CONNINFO ARGS...: psql on the cluster's maintenance database.
psql_admin() {
  conn=$1
  shift
  psql -X -q -A -t -v ON_ERROR_STOP=1 "$conn dbname=postgres" "$@"
}

start() {
  dir=$1
  bin=$(bindir)
  command -v psql >/dev/null 2>&1 ||
    die "no psql: install postgresql-client-15 (sh tools/deps.sh)"
  mkdir -p "$dir"
  [ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
  dir=$(cd "$dir" && pwd)
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 ||
      die "running as root needs the postgres user (postgresql-15 creates it)"
    chown postgres: "$dir"
    as_owner test -w "$dir" ||
      die "user postgres cannot reach $dir (a parent directory is private?)"
  fi
  : >"$dir/.hs-pg"
  # --no-sync: only initdb's own files; the server below runs with fsync on.
  # Locale C: text sorts by bytes, as SQLite's does.
  as_owner "$bin/initdb" -D "$dir/data" -A trust -U hindsight -E UTF8 \
    --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
    die "initdb failed: $(tail -n 5 "$dir/initdb.log")"
  # Each hindsight opens a connection per thread plus its workers, and the
  # suites run side by side: 400 connections.
  cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 400
shared_buffers = 32MB
fsync = on
synchronous_commit = on
full_page_writes = on
logging_collector = off
log_min_messages = warning
EOF
  tries=0
  while :; do
    port=$(free_port)
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port" start >/dev/null 2>&1; then
      break
    fi
    tries=$((tries + 1))
    if [ $tries -ge 5 ]; then
      tail -n 20 "$dir/server.log" >&2 || true
      die "postgres did not start (log: $dir/server.log)"
    fi
  done
  echo "$port" >"$dir/port"
  # The tests' sql() (tests/http/lib.sh) reads with SQLite's group_concat;
  # every database made from template1 gets it, outside public.
  psql -X -q -v ON_ERROR_STOP=1 \
    "host=127.0.0.1 port=$port user=hindsight dbname=template1" <<'EOF' >&2 ||
CREATE SCHEMA sqlite_compat;
CREATE FUNCTION sqlite_compat.gc_step(acc text, v anyelement, sep text)
  RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN v IS NULL THEN acc WHEN acc IS NULL THEN v::text
    ELSE acc || sep || v::text END $$;
CREATE FUNCTION sqlite_compat.gc_step(acc text, v anyelement)
  RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT sqlite_compat.gc_step(acc, v, ',') $$;
CREATE AGGREGATE sqlite_compat.group_concat(anyelement)
  (SFUNC = sqlite_compat.gc_step, STYPE = text);
CREATE AGGREGATE sqlite_compat.group_concat(anyelement, text)
  (SFUNC = sqlite_compat.gc_step, STYPE = text);
EOF
    die "could not add sqlite_compat to template1"
  echo "host=127.0.0.1 port=$port user=hindsight"
}

stop() {
  dir=$1
  [ -d "$dir" ] || return 0
  [ -f "$dir/.hs-pg" ] || die "$dir was not made by pg.sh start"
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m immediate -w stop \
      >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

# createdb BASE: the name is unique across the suites that share a cluster.
createdb() {
  base=$1
  name=hs_$(date +%s)_$$_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
  psql_admin "$base" -c "CREATE DATABASE $name" ||
    die "CREATE DATABASE $name failed on $base"
  echo "$base dbname=$name"
}

# dropdb CONNINFO: FORCE ends a connection left behind by a killed server.
dropdb() {
  conn=$1
  name=$(printf '%s\n' "$conn" | sed -n 's/.*dbname=\([A-Za-z0-9_]*\).*/\1/p')
  [ -n "$name" ] || die "no dbname in $conn"
  base=$(printf '%s\n' "$conn" | sed 's/ *dbname=[A-Za-z0-9_]*//')
  psql_admin "$base" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)"
}

# check CONNINFO: PostgreSQL's counterpart of PRAGMA integrity_check (the
# amcheck extension goes into pg_catalog, not into the schema under test).
check() {
  # PGOPTIONS: a second check of one database would print the NOTICE that
  # amcheck is already installed.
  out=$(PGOPTIONS='-c client_min_messages=warning' \
    "$(bindir)/pg_amcheck" --install-missing --heapallindexed "$1" 2>&1) ||
    { printf '%s\n' "$out"; return 1; }
  [ -z "$out" ] || { printf '%s\n' "$out"; return 1; }
  echo ok
}

cmd=${1:-}
[ $# -eq 2 ] ||
  die "usage: pg.sh start DIR | stop DIR | createdb BASE | dropdb CONNINFO | check CONNINFO"
case $cmd in
start) start "$2" ;;
stop) stop "$2" ;;
createdb) createdb "$2" ;;
dropdb) dropdb "$2" ;;
check) check "$2" ;;
*) die "unknown command $cmd" ;;
esac
