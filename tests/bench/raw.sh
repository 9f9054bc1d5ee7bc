#!/bin/sh
# raw.sh: the raw-line store (rawstore.c) beside its peers, in one run:
#  1. N generated nginx lines (BENCH_LINES, default 1,000,000) appended
#     through rawstore (build/rel/rawstore_bench: 100,000 lines a
#     transaction, as `hindsight ingest` commits), beside the storage floor
#     (the same rows pre-split, sqlite3 .import into a plain table) and
#     beside `zstd -1` of the file: lines/s and peak RSS, median of
#     BENCH_RUNS (default 3) runs each, interleaved.
#  2. bytes on disk per input byte after a checkpoint, beside gzip -6 and
#     zstd -3 of the file.
#  3. 4N lines over 14 days (BENCH_BIG_LINES): peak RSS of the append (flat
#     memory), a word search over all of them beside `zstdcat | grep -c`,
#     and a one-hour window.
# Prints; the results go into BENCHMARKS.md by hand. Never part of make test.
set -eu
N=${BENCH_LINES:-1000000}
BIG=${BENCH_BIG_LINES:-$((N * 4))}
RUNS=${BENCH_RUNS:-3}
B=./build/rel/rawstore_bench
for tool in sqlite3 zstd gzip zstdcat; do
  command -v $tool >/dev/null 2>&1 || {
    echo "raw bench: needs $tool (apt-get install sqlite3 zstd gzip)" >&2
    exit 2
  }
done
[ -x "$B" ] || make -s "$B"
T=$(mktemp -d "${TMPDIR:-/tmp}/hs-bench-raw.XXXXXX")
trap 'rm -rf "$T"' EXIT

# access_log N DAYS: N nginx lines spread over DAYS days from 10 Nov 2026,
# in time order; one in 97 is a 502.
access_log() {
  awk -v n="$1" -v days="$2" 'BEGIN {
  for (k = 0; k < n; k++) {
    s = int(k * 86400 * days / n); st = (k % 97 == 0) ? 502 : 200;
    printf "10.%d.%d.%d - - [%02d/Nov/2026:%02d:%02d:%02d +0000] \"GET /product/%d?ref=home HTTP/1.1\" %d %d \"https://shop.example/\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n", k % 200, (k / 200) % 250, k % 251, 10 + int(s / 86400), int(s / 3600) % 24, int(s / 60) % 60, s % 60, k % 5000, st, 1000 + k % 9000
  }
}'
}
access_log "$N" 1 >"$T/access.log"
awk -v n="$N" 'BEGIN {
  for (k = 0; k < n; k++) {
    s = int(k * 86400 / n); st = (k % 97 == 0) ? 502 : 200;
    printf "%d,%d,10.%d.%d.%d,GET,/product/%d,%d,%d\n", 1794787200000 + s * 1000, k, k % 200, (k / 200) % 250, k % 251, k % 5000, st, 1000 + k % 9000
  }
}' >"$T/rows.csv"
IN=$(stat -c %s "$T/access.log")

# measure CMD...: appends "seconds maxRSS_KiB" to $T/times.
measure() {
  /usr/bin/time -f "%e %M" -o "$T/time" "$@" >/dev/null 2>"$T/err" || {
    cat "$T/err"
    exit 1
  }
  cat "$T/time"
}
# median FILE: the median line's "secs kb" (by seconds) of FILE.
median() { sort -n "$1" | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }'; }
show() { # show LABEL "secs kb" LINES
  set -- "$1" $2 "$3"
  awk -v l="$1" -v s="$2" -v kb="$3" -v n="$4" \
    'BEGIN { printf "%-44s %7.2f s %10.0f lines/s  peak RSS %6.1f MiB\n", l, s, n / (s > 0 ? s : 0.001), kb / 1024 }'
}

echo "raw-line store: $N nginx lines ($IN bytes), $(nproc) cores, median of $RUNS, $(date -u +%Y-%m-%d)"
: >"$T/t.raw"
: >"$T/t.floor"
: >"$T/t.zstd"
i=0
while [ $i -lt "$RUNS" ]; do
  rm -f "$T/raw.db"* "$T/floor.db"*
  measure $B "$T/raw.db" append web-1 "$T/access.log" >>"$T/t.raw"
  sqlite3 "$T/floor.db" 'PRAGMA journal_mode=WAL; CREATE TABLE rows (ts INTEGER, fp INTEGER, client TEXT, method TEXT, path TEXT, status INTEGER, bytes INTEGER);' >/dev/null
  measure sqlite3 "$T/floor.db" -cmd '.mode csv' ".import $T/rows.csv rows" >>"$T/t.floor"
  measure zstd -1 -q -c "$T/access.log" >>"$T/t.zstd"
  i=$((i + 1))
done
show "rawstore append (bench driver)" "$(median "$T/t.raw")" "$N"
show "floor: sqlite3 .import of the same rows" "$(median "$T/t.floor")" "$N"
show "zstd -1 of the file" "$(median "$T/t.zstd")" "$N"
awk -v a="$(median "$T/t.raw" | cut -d' ' -f1)" -v b="$(median "$T/t.floor" | cut -d' ' -f1)" \
  'BEGIN { printf "  rawstore / floor time: %.2fx (target <= 0.8x)\n", a / b }'

sqlite3 "$T/raw.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
DB=$(stat -c %s "$T/raw.db")
GZ=$(gzip -6 -c "$T/access.log" | wc -c)
ZS=$(zstd -3 -q -c "$T/access.log" | wc -c)
PAY=$(sqlite3 "$T/raw.db" 'SELECT sum(length(payload)), sum(length(keys)), count(*) FROM raw_blocks;')
echo "bytes on disk per input byte (database after a checkpoint, everything in it):"
awk -v d="$DB" -v g="$GZ" -v z="$ZS" -v i="$IN" -v p="$PAY" 'BEGIN {
  split(p, a, "|")
  printf "  rawstore %.4f (%d bytes; payloads %d, dedupe keys %d, %d blocks)  gzip -6 %.4f  zstd -3 %.4f  (target <= 0.15)\n", d / i, d, a[1], a[2], a[3], g / i, z / i
}'
rm -f "$T/access.log" "$T/rows.csv" "$T/raw.db"* "$T/floor.db"*

if [ "$BIG" -gt 0 ]; then
  access_log "$BIG" 14 >"$T/big.log"
  zstd -3 -q "$T/big.log" -o "$T/big.log.zst"
  show "memory check: append $BIG lines, 14 days" "$(measure $B "$T/big.db" append web-1 "$T/big.log")" "$BIG"
  rm -f "$T/big.log"
  WORD='/product/4242?'
  for r in 1 2 3; do
    s=$(date +%s%N)
    g=$(zstdcat "$T/big.log.zst" | grep -cF "$WORD")
    e=$(date +%s%N)
    echo "$(( (e - s) / 1000000 )) $g" >>"$T/t.grep"
    $B "$T/big.db" count "$WORD" >>"$T/t.count"
  done
  echo "word search for $WORD over $BIG lines (median of 3):"
  echo "  rawstore count: $(sort -n -k2 "$T/t.count" | sed -n 2p | awk '{ printf "%d lines in %.0f ms", $1, $2 }')"
  echo "  zstdcat | grep -c: $(sort -n "$T/t.grep" | sed -n 2p | awk '{ printf "%d lines in %d ms", $2, $1 }')"
  for r in 1 2 3; do
    $B "$T/big.db" window 2026-11-17T13:00:00Z >>"$T/t.win"
  done
  echo "one-hour window of the 14-day store (all its lines, paged by 1000; median of 3): $(sort -n -k2 "$T/t.win" | sed -n 2p | awk '{ printf "%d lines in %.1f ms", $1, $2 }') (target < 50 ms)"
fi
