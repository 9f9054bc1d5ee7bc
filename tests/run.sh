#!/bin/sh
# run.sh BIN BUILD [unit|http|browser]: runs the test suites and adds up
# their PASS/FAIL lines. The last line is always "N passed, N failed".
# Every suite prints one line per check: "PASS name" or "FAIL name".
set -u
BIN=$1
BUILD=$2
ONLY=${3:-all}
HS_BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
export HS_BIN
LOG=$(mktemp -d "${TMPDIR:-/tmp}/hs-run.XXXXXX")
pass=0
fail=0

# count NAME FILE RC: adds FILE's PASS/FAIL lines; a nonzero exit without a
# FAIL line (a crash, a sanitizer report) counts as one failure.
count() {
  p=$(grep -c '^PASS ' "$2")
  f=$(grep -c '^FAIL ' "$2")
  if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1
    echo "FAIL $1 exited with status $3"
    tail -n 30 "$2" | sed 's/^/    /'
  fi
  grep '^FAIL ' "$2" | sed "s/^/[$1] /"
  pass=$((pass + p))
  fail=$((fail + f))
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

if [ "$ONLY" = all ] || [ "$ONLY" = http ]; then
  for t in tests/http/t[0-9]*.sh; do
    [ -f "$t" ] || continue
    name=$(basename "$t" .sh)
    sh "$t" >"$LOG/$name.out" 2>&1
    count "$name" "$LOG/$name.out" $?
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

rm -rf "$LOG"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
