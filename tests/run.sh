#!/bin/sh
# run.sh BIN BUILD [unit|http|browser]: runs the test suites and adds up
# their PASS/FAIL lines. The last line is always "N passed, N failed"; the
# line before says "N skipped" when a suite printed SKIP lines.
# Every suite prints one line per check: "PASS name" or "FAIL name".
# HS_DB=pg (make test DB=pg): the HTTP and browser suites run on one
# PostgreSQL cluster started here (tests/pg.sh, its base conninfo in HS_PG);
# the unit suites stay on SQLite. A suite about the SQLite file itself prints
# "SKIP suite: reason" instead: these are listed and counted before the
# last line.
# A failing suite's whole output is kept in BUILD/test-logs/NAME.out and
# its last lines other than PASS are printed here.
set -u
BIN=$1
BUILD=$2
ONLY=${3:-all}
HS_BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
export HS_BIN
LOG=$(mktemp -d "${TMPDIR:-/tmp}/hs-run.XXXXXX")
KEEP=${HS_TEST_LOGS:-$BUILD/test-logs${HS_DB:+-$HS_DB}}
rm -rf "$KEEP"
pass=0
fail=0
skip=0
PG_DIR=

# The cluster goes with the run, also on failure or interrupt.
cleanup() {
  # Suites still running (an interrupt): TERM to their timeout, which
  # passes it on to the suite's process group.
  for p in "$LOG"/*.pid; do
    [ -f "$p" ] && [ ! -f "${p%.pid}.rc" ] || continue
    kill -TERM "$(cat "$p")" 2>/dev/null
  done
  if [ -n "$PG_DIR" ]; then
    sh tests/pg.sh stop "$PG_DIR" || echo "run.sh: could not stop $PG_DIR" >&2
  fi
  rm -rf "$LOG"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# count NAME FILE RC: adds FILE's PASS/FAIL lines; a nonzero exit without a
# FAIL line (a crash, a sanitizer report) counts as one failure.
count() {
  p=$(grep -c '^PASS ' "$2")
  f=$(grep -c '^FAIL ' "$2")
  s=$(grep -c '^SKIP ' "$2")
  grep '^SKIP ' "$2" | tee -a "$LOG/skipped"
  if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1
    echo "FAIL $1 exited with status $3"
  fi
  grep '^FAIL ' "$2" | sed "s/^/[$1] /"
  if [ "$f" -ne 0 ]; then
    mkdir -p "$KEEP"
    cp "$2" "$KEEP/$1.out"
    echo "   last lines of $1 (all of it: $KEEP/$1.out):"
    grep -v '^PASS ' "$2" | tail -n 40 | sed 's/^/    /'
  fi
  pass=$((pass + p))
  fail=$((fail + f))
  skip=$((skip + s))
  echo "-- $1: $p passed, $f failed"
}

if [ "$ONLY" = all ] || [ "$ONLY" = unit ]; then
  for t in "$BUILD"/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    "$t" >"$LOG/$name.out" 2>&1
    count "$name" "$LOG/$name.out" $?
  done
fi

# The HTTP suites run HS_JOBS at a time (default: the number of cores):
# each has its own server, port and temporary directory, and most of their
# time is spent waiting on peers and sleeps. Counted in name order.
# HS_DB=pg: one cluster for the HTTP and browser suites of the run.
if [ "${HS_DB:-}" = pg ] && [ "$ONLY" != unit ]; then
  # Outside $LOG: as root the cluster's owner (postgres) must reach it.
  PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/hs-pg.XXXXXX")
  if ! HS_PG=$(sh tests/pg.sh start "$PG_DIR"); then
    echo "FAIL PostgreSQL did not start"
    echo "0 passed, 1 failed"
    exit 1
  fi
  export HS_PG
  echo "-- HTTP and browser suites on PostgreSQL: $HS_PG"
fi

if [ "$ONLY" = all ] || [ "$ONLY" = http ]; then
  jobs=${HS_JOBS:-$(nproc 2>/dev/null || echo 1)}
  [ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
  # A hung suite (a server waited for that never exits) must not hang the
  # run: after HS_SUITE_TIMEOUT seconds (default 30 minutes, far above the
  # slowest suite under ASan) timeout kills its process group, servers too,
  # and it counts as failed with status 124. Its own process group keeps
  # it from a terminal's ^C: cleanup() ends the ones still running.
  ls tests/http/t[0-9]*.sh 2>/dev/null |
    LOG=$LOG TMO=${HS_SUITE_TIMEOUT:-1800} xargs -P "$jobs" -I{} sh -c \
      'n=$(basename "$1" .sh)
      timeout -k 10 "$TMO" sh "$1" >"$LOG/$n.out" 2>&1 &
      echo $! >"$LOG/$n.pid"
      wait $!
      rc=$?
      [ $rc -ne 124 ] || echo "FAIL $n timed out after $TMO s" >>"$LOG/$n.out"
      echo $rc >"$LOG/$n.rc"' \
      sh {}
  for t in tests/http/t[0-9]*.sh; do
    [ -f "$t" ] || continue
    name=$(basename "$t" .sh)
    rc=$(cat "$LOG/$name.rc" 2>/dev/null || echo 1)
    count "$name" "$LOG/$name.out" "$rc"
  done
fi

if [ "$ONLY" = all ] || [ "$ONLY" = browser ]; then
  for t in tests/browser/*.test.mjs; do
    [ -f "$t" ] || continue
    name=$(basename "$t" .test.mjs)
    node "$t" >"$LOG/browser-$name.out" 2>&1
    count "browser-$name" "$LOG/browser-$name.out" $?
  done
fi

# The skipped suites are listed and counted above the last line, which
# stays "N passed, N failed" for whatever reads it.
if [ "$skip" -gt 0 ]; then
  echo "Skipped (on PostgreSQL: about the SQLite file itself; on SQLite: needs PostgreSQL):"
  sed 's/^SKIP /  /' "$LOG/skipped"
  echo "$skip skipped (listed above)"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
