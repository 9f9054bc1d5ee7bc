#!/bin/sh
# search.sh: the knowledge-base benchmark. BENCH_POSTMORTEMS (default
# 100000) generated incidents with postmortems, inserted with SQL and
# indexed through the 005 triggers and search_flush(); search latency p50
# and p99 in-process (tests/bench/search_bench.c, built against the server
# objects) and over HTTP with keep-alive (curl -w, 320 requests).
#   BENCH_CORPUS  worst (default: common words in most documents) or zipf
#   BENCH_DB      keep the generated database at this path and reuse it
#                 on the next run (building 100,000 takes a few minutes)
set -eu
N=${BENCH_POSTMORTEMS:-100000}
CORPUS=${BENCH_CORPUS:-worst}
T=$(mktemp -d "${TMPDIR:-/tmp}/hs-bench-search.XXXXXX")
DB=${BENCH_DB:-$T/s.db}
HS_PID=
trap '[ -n "$HS_PID" ] && kill $HS_PID 2>/dev/null; rm -rf "$T"' EXIT
make -s hindsight build/rel/search_bench >/dev/null
./build/rel/search_bench "$DB" "$N" "$CORPUS"

TOKEN=$(./hindsight --db "$DB" token add "bench-$$" --scope read)
./hindsight --db "$DB" serve --listen 127.0.0.1:0 >"$T/out" 2>/dev/null &
HS_PID=$!
while ! grep -qs 'listening on' "$T/out"; do sleep 0.1; done
HS=$(sed -n 's/.*listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$T/out")
. tests/bench/search_http.sh
search_http "search over HTTP" "$HS" "$TOKEN" "$T"
