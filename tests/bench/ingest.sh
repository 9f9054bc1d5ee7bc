#!/bin/sh
# ingest.sh: N generated nginx lines (default 1,000,000) through
# `hindsight ingest` into a fresh database, beside the storage floor: the
# same rows pre-split as CSV loaded with sqlite3 .import into a plain
# table, in the same run. Prints lines/s and peak memory (max RSS) of each,
# then ingests 4x the lines (BENCH_BIG_LINES) to show that peak memory does
# not grow with the file (BENCH_BIG_LINES=0 skips it).
set -eu
N=${BENCH_LINES:-1000000}
BIG=${BENCH_BIG_LINES:-$((N * 4))}
T=$(mktemp -d "${TMPDIR:-/tmp}/hs-bench-ingest.XXXXXX")
trap 'rm -rf "$T"' EXIT
# access_log N: N generated nginx lines on stdout, spread over one day in
# time order, as a real access log is. (Until 2026-11-23 the clock went
# round the day every 86,400 lines, which scatters dedupe-index inserts and
# cost about 10% more system time; the floor's rows follow the same clock.)
access_log() {
  awk -v n="$1" 'BEGIN {
  for (k = 0; k < n; k++) {
    s = int(k * 86400 / n); st = (k % 97 == 0) ? 502 : 200;
    printf "10.%d.%d.%d - - [20/Nov/2026:%02d:%02d:%02d +0000] \"GET /product/%d?ref=home HTTP/1.1\" %d %d \"https://shop.example/\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n", k % 200, (k / 200) % 250, k % 251, int(s / 3600), int(s / 60) % 60, s % 60, k % 5000, st, 1000 + k % 9000
  }
}'
}
access_log "$N" > "$T/access.log"
awk -v n="$N" 'BEGIN {
  for (k = 0; k < n; k++) {
    s = int(k * 86400 / n); st = (k % 97 == 0) ? 502 : 200;
    printf "%d,%d,10.%d.%d.%d,GET,/product/%d,%d,%d\n", 1795600000000 + s * 1000, k, k % 200, (k / 200) % 250, k % 251, k % 5000, st, 1000 + k % 9000
  }
}' > "$T/rows.csv"

./hindsight --db "$T/hs.db" migrate >/dev/null
ID=$(./hindsight --db "$T/hs.db" incident open "bench" 2>/dev/null)
measure() { # measure LABEL CMD...: prints seconds and max RSS in MiB
  label=$1
  shift
  /usr/bin/time -f "%e %M" -o "$T/time" "$@" >/dev/null 2>"$T/err" || { cat "$T/err"; exit 1; }
  read -r secs kb < "$T/time"
  awk -v l="$label" -v s="$secs" -v kb="$kb" -v n="$N" \
    'BEGIN { printf "%-40s %8.2f s %12.0f lines/s  peak RSS %6.1f MiB\n", l, s, n / (s > 0 ? s : 0.001), kb / 1024 }'
}
echo "ingest of $N nginx lines, $(nproc) cores, $(date -u +%Y-%m-%d)"
# Three rounds each, interleaved, each into a fresh database: the median
# is the figure (issue 17: at most 0.8x the floor's time).
for round in 1 2 3; do
  rm -f "$T/hs.db"* "$T/floor.db"*
  ./hindsight --db "$T/hs.db" migrate >/dev/null
  ID=$(./hindsight --db "$T/hs.db" incident open "bench" 2>/dev/null)
  measure "hindsight ingest --format nginx ($round)" ./hindsight --db "$T/hs.db" ingest --format nginx --incident "$ID" --source web-1 "$T/access.log"
  awk '{ print $1 }' "$T/time" >>"$T/hs.secs"
  sqlite3 "$T/floor.db" 'PRAGMA journal_mode=WAL; CREATE TABLE rows (ts INTEGER, fp INTEGER, client TEXT, method TEXT, path TEXT, status INTEGER, bytes INTEGER);' >/dev/null
  measure "floor: sqlite3 .import of the same rows ($round)" sqlite3 "$T/floor.db" -cmd '.mode csv' '.import '"$T/rows.csv"' rows'
  awk '{ print $1 }' "$T/time" >>"$T/floor.secs"
done
median() { sort -n "$1" | sed -n 2p; }
awk -v h="$(median "$T/hs.secs")" -v f="$(median "$T/floor.secs")" \
  'BEGIN { printf "median: ingest %.2f s, floor %.2f s: %.2fx the floor'"'"'s time\n", h, f, h / f }'
# Bytes on disk per input byte, everything included (blocks, dedupe keys,
# series, evidence, indexes), after a checkpoint, beside gzip and zstd.
sqlite3 "$T/hs.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
in=$(wc -c <"$T/access.log")
db=$(wc -c <"$T/hs.db")
gz=$(gzip -6 -c "$T/access.log" | wc -c)
zs=$(zstd -3 -q -c "$T/access.log" | wc -c)
awk -v i="$in" -v d="$db" -v g="$gz" -v z="$zs" 'BEGIN {
  printf "on disk: %.1f MB log; database %.1f MB (%.3fx); gzip -6 %.3fx; zstd -3 %.3fx\n",
    i / 1e6, d / 1e6, d / i, g / i, z / i }'
if [ "$BIG" -gt 0 ]; then
  rm -f "$T/access.log" "$T/rows.csv" "$T/floor.db"*
  access_log "$BIG" > "$T/big.log"
  ./hindsight --db "$T/big.db" migrate >/dev/null
  ID=$(./hindsight --db "$T/big.db" incident open "bench" 2>/dev/null)
  N=$BIG
  measure "memory check: $BIG lines" ./hindsight --db "$T/big.db" ingest --format nginx --incident "$ID" --source web-1 "$T/big.log"
fi
