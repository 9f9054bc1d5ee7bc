#!/bin/sh
# dates.sh BIN BUILD [DATE...]: runs the HTTP suites with every process's
# clock moved to each DATE (UTC) by libfaketime, so a test that mixes fixed
# dates with "now" fails here instead of on some later day. The clock is
# moved by an offset, not set to a start time: the server, curl, sqlite3
# and the peers all share one clock that keeps ticking (a start time would
# restart at DATE in every new process). Monotonic clocks move too: with
# them left alone (FAKETIME_DONT_FAKE_MONOTONIC) Python's time.sleep() fails
# with EINVAL under libfaketime 0.9.10. The last line is "N passed, N failed".
set -u
BIN=$1
BUILD=$2
shift 2
[ $# -gt 0 ] || set -- 2027-06-02T12:00:00Z 2029-02-28T23:59:30Z \
  2030-01-01T00:00:00Z
if ! command -v faketime >/dev/null 2>&1; then
  echo "FAIL dates: faketime is not installed (Debian package faketime)"
  echo "0 passed, 1 failed"
  exit 1
fi
pass=0
fail=0
for d in "$@"; do
  target=$(date -u -d "$d" +%s) || exit 2
  off=$((target - $(date -u +%s)))
  echo "== HTTP suites at $d UTC (clock offset ${off}s)"
  out=$(mktemp "${TMPDIR:-/tmp}/hs-dates.XXXXXX")
  HS_TEST_LOGS=$BUILD/test-logs/dates-$(date -u -d "@$target" +%Y%m%dT%H%M%S) \
    faketime -f "$(printf '%+ds' "$off")" \
    sh tests/run.sh "$BIN" "$BUILD" http >"$out" 2>&1
  grep -v '^PASS ' "$out" | sed 's/^/  /'
  # run.sh's last line is "N passed, N failed", with ", N skipped (...)"
  # when a suite skipped (the ones that need PostgreSQL).
  counts=$(tail -n 1 "$out" |
    sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed\(, [0-9]* skipped .*\)\{0,1\}$/\1 \2/p')
  rm -f "$out"
  p=${counts% *}
  f=${counts#* }
  if [ -z "$counts" ]; then
    echo "FAIL dates: the run at $d ended without a count"
    p=0
    f=1
  fi
  pass=$((pass + p))
  fail=$((fail + f))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
