#!/bin/sh
# search_engines.sh: the knowledge base on PostgreSQL beside SQLite, in one
# run (make bench). BENCH_ENGINE_POSTMORTEMS (default 20000) generated
# incidents with postmortems (search_bench's "worst" corpus: the query
# words are in most documents) go with `hindsight copy` into a new SQLite
# file and a new PostgreSQL database. A copy queues every document, so a
# node started on each builds its whole index: timed until search_queue is
# empty. Then search.sh's query mix over HTTP on each (search_http.sh).
# PostgreSQL is a throwaway cluster (tests/pg.sh).
set -eu
N=${BENCH_ENGINE_POSTMORTEMS:-20000}
. tests/bench/pg_cluster.sh
. tests/bench/search_http.sh
pg_cluster engines
make -s hindsight build/rel/search_bench >/dev/null
./build/rel/search_bench "$T/gen.db" "$N" worst >/dev/null
./hindsight copy --from "$T/gen.db" --to "$T/lite.db" >/dev/null
./hindsight copy --from "$T/gen.db" --to "$PG" >/dev/null

queued() { # queued DB: documents waiting for the indexer
  case $1 in
  /*) sqlite3 -cmd '.timeout 5000' "$1" 'SELECT count(*) FROM search_queue' ;;
  *) psql -X -q -A -t "$1" -c 'SELECT count(*) FROM search_queue' ;;
  esac
}

# engine LABEL DB: index all of it from scratch, then the query mix.
engine() {
  docs=$(queued "$2")
  token=$(./hindsight --db "$2" token add "bench-$$" --scope read)
  start=$(date +%s.%N)
  ./hindsight --db "$2" serve --listen 127.0.0.1:0 >"$T/$1.out" 2>/dev/null &
  PIDS="$PIDS $!"
  while ! grep -qs 'listening on' "$T/$1.out"; do sleep 0.1; done
  url=$(sed -n 's/.*listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$T/$1.out")
  while [ "$(queued "$2")" -gt 0 ]; do sleep 0.2; done
  end=$(date +%s.%N)
  awk -v l="$1" -v n="$docs" -v s="$start" -v e="$end" 'BEGIN {
    printf "%-10s index %d documents from scratch: %.1f s, %.0f documents/s\n",
      l, n, e - s, n / (e - s) }'
  search_http "$(printf '%-10s search over HTTP' "$1")" "$url" "$token" "$T"
}
echo "knowledge base, $N postmortems (worst corpus), $(nproc) cores, $(date -u +%Y-%m-%d)"
engine SQLite "$T/lite.db"
engine PostgreSQL "$PG"
