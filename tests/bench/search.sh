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
make -s hindsight build/rel/search.o >/dev/null
OBJS=$(ls build/rel/*.o | grep -v '/main\.o$')
cc -std=c17 -D_GNU_SOURCE -O2 -Iserver $(pkg-config --cflags sqlite3 jansson) \
  -o "$T/search_bench" tests/bench/search_bench.c $OBJS \
  $(pkg-config --libs sqlite3 libmicrohttpd libcmark jansson libcrypt zlib \
    libcurl) -lpthread -lm
"$T/search_bench" "$DB" "$N" "$CORPUS"

TOKEN=$(./hindsight --db "$DB" token add "bench-$$" --scope read)
./hindsight --db "$DB" serve --listen 127.0.0.1:0 >"$T/out" 2>/dev/null &
HS_PID=$!
while ! grep -qs 'listening on' "$T/out"; do sleep 0.1; done
HS=$(sed -n 's/.*listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$T/out")
: > "$T/urls"
for q in load+balancer timeout checkout+502 datab %22flash+sale%22 kalomi \
  redis+replica+storm 'certificate+expired&type=postmortem' \
  'dns&category=dependency' 'pool+exhausted&category=capacity' \
  'outage&severity=SEV1' 'deploy+rollback&component=payments' \
  'cache&tag=redis' 'latency&from=2024-06-01&to=2024-08-31' \
  'memory+leak&type=action' 'timeout&cursor=2000'; do
  for i in $(seq 20); do echo "$HS/api/v1/search?q=$q" >> "$T/urls"; done
done
# One curl process, keep-alive across all URLs; time_total per request.
# "next" ends each URL's options (headers would otherwise pile up on every
# request: 320 Authorization headers are a 431).

awk -v tok="$TOKEN" '{ if (NR > 1) print "next"
  printf "url = \"%s\"\noutput = \"/dev/null\"\n", $0
  printf "write-out = \"%%{http_code} %%{time_total}\\n\"\n"
  printf "header = \"Authorization: Bearer %s\"\n", tok }' "$T/urls" \
  > "$T/curl.cfg"
curl -s --config "$T/curl.cfg" > "$T/times"
if grep -qv '^200 ' "$T/times"; then
  echo "search over HTTP: some requests failed:" >&2
  cut -d' ' -f1 "$T/times" | sort | uniq -c >&2
  exit 1
fi
cut -d' ' -f2 "$T/times" | sort -n | awk '{a[NR]=$1} END {printf "search over HTTP (keep-alive, %d requests): p50 %.2f ms, p99 %.2f ms\n", NR, a[int(NR*0.5)]*1000, a[int(NR*0.99)]*1000}'
