#!/bin/sh
# nodes.sh: several nodes on PostgreSQL, measured in one run (make bench):
#   - the public page and summary.json through nginx (docs/production/
#     nginx.conf) in front of two nodes, beside nginx in front of one node
#     and one node asked directly;
#   - writes: timeline notes over HTTP (wrk POSTs) and `hindsight ingest`
#     of nginx lines, on PostgreSQL beside SQLite.
# PostgreSQL is a throwaway cluster (tests/pg.sh) with fsync and
# synchronous_commit on, as SQLite runs with synchronous=FULL.
#   BENCH_SECONDS (default 10), BENCH_CONNS (64), BENCH_THREADS (2),
#   BENCH_NODE_LINES (200000): lines for the ingest comparison.
set -eu
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNS:-64}
THREADS=${BENCH_THREADS:-2}
LINES=${BENCH_NODE_LINES:-200000}
. tests/bench/pg_cluster.sh
pg_cluster nodes
LITE=$T/lite.db

serve() { # serve DB NAME: starts a node; sets URL
  ./hindsight --db "$1" serve --listen 127.0.0.1:0 --max-conn-per-ip 1024 \
    >"$T/$2.out" 2>/dev/null &
  PIDS="$PIDS $!"
  while ! grep -qs 'listening on' "$T/$2.out"; do sleep 0.1; done
  URL=$(sed -n 's/.*listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$T/$2.out")
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
proxy() { # proxy NAME URL1 URL2: nginx with the production file; sets URL
  port=$(free_port)
  mkdir -p "$T/$1/tmp"
  {
    [ "$(id -u)" = 0 ] && echo "user root root;"
    echo "daemon off; worker_processes 2; pid $T/$1/nginx.pid; error_log $T/$1/error.log;"
    echo "events { worker_connections 1024; }"
    echo "http { access_log off; client_body_temp_path $T/$1/tmp; proxy_temp_path $T/$1/tmp;"
    echo "fastcgi_temp_path $T/$1/tmp; uwsgi_temp_path $T/$1/tmp; scgi_temp_path $T/$1/tmp;"
    sed -e "s|listen 80;|listen 127.0.0.1:$port;|" \
      -e "s|server 10.0.0.21:8080|server ${2#http://}|" \
      -e "s|server 10.0.0.22:8080|server ${3#http://}|" docs/production/nginx.conf
    echo "}"
  } >"$T/$1/nginx.conf"
  nginx -p "$T/$1" -c "$T/$1/nginx.conf" 2>/dev/null &
  PIDS="$PIDS $!"
  URL=http://127.0.0.1:$port
  while ! curl -s -o /dev/null "$URL/healthz"; do sleep 0.1; done
}
run() { # run LABEL URL [wrk args]
  label=$1
  url=$2
  shift 2
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency "$@" "$url" 2>&1)
  rps=$(printf '%s\n' "$out" | sed -n 's/^Requests\/sec: *//p')
  p50=$(printf '%s\n' "$out" | awk '$1=="50%"{print $2}')
  p99=$(printf '%s\n' "$out" | awk '$1=="99%"{print $2}')
  errs=$(printf '%s\n' "$out" | sed -n 's/.*Non-2xx or 3xx responses: *//p')
  printf '%-52s %10s req/s  p50 %-8s p99 %-8s non-2xx %s\n' "$label" "$rps" "$p50" "$p99" "${errs:-0}"
}

# One page with something on it, the same on both engines.
for db in "$PG" "$LITE"; do
  ./hindsight --db "$db" demo >/dev/null 2>&1
done
echo "several nodes: wrk -t$THREADS -c$CONNS -d${SECS}s on $(nproc) cores, $(date -u +%Y-%m-%d)"
serve "$PG" a
A=$URL
serve "$PG" b
B=$URL
proxy two "$A" "$B"
TWO=$URL
proxy one "$A" "$A"
ONE=$URL
run "PG, one node directly        GET /" "$A/"
run "PG, nginx + one node         GET /" "$ONE/"
run "PG, nginx + two nodes        GET /" "$TWO/"
run "PG, one node directly        GET summary.json" "$A/api/v2/summary.json"
run "PG, nginx + one node         GET summary.json" "$ONE/api/v2/summary.json"
run "PG, nginx + two nodes        GET summary.json" "$TWO/api/v2/summary.json"
run "PG, one node                 GET /healthz" "$A/healthz"

# Writes: notes over HTTP, 8 connections (writes are serialized anyway).
serve "$LITE" lite
L=$URL
notes() { # notes NAME URL DB
  tok=$(./hindsight --db "$3" token add "bench-notes" --scope write)
  id=$(./hindsight --db "$3" incident open "Bench notes" 2>/dev/null)
  cat >"$T/post.lua" <<EOF
wrk.method = "POST"
wrk.body = '{"body":"A note from the bench"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $tok"
EOF
  CONNS=8 run "$1: POST a timeline note (8 connections)" \
    "$2/api/v1/incidents/$id/events" -s "$T/post.lua"
}
notes PostgreSQL "$A" "$PG"
notes SQLite "$L" "$LITE"

# Ingest: the same nginx lines through `hindsight ingest` on each engine.
awk -v n="$LINES" 'BEGIN {
  for (k = 0; k < n; k++) {
    s = int(k * 86400 / n); st = (k % 97 == 0) ? 502 : 200;
    printf "10.%d.%d.%d - - [20/Nov/2026:%02d:%02d:%02d +0000] \"GET /product/%d HTTP/1.1\" %d %d \"-\" \"Mozilla/5.0\"\n", k % 200, (k / 200) % 250, k % 251, int(s / 3600), int(s / 60) % 60, s % 60, k % 5000, st, 1000 + k % 9000
  }
}' >"$T/access.log"
for pair in "PostgreSQL|$PG" "SQLite|$LITE"; do
  name=${pair%%|*}
  db=${pair#*|}
  id=$(./hindsight --db "$db" incident open "Bench ingest" 2>/dev/null)
  /usr/bin/time -f "%e" -o "$T/time" ./hindsight --db "$db" ingest --format nginx \
    --json --incident "$id" --source "bench-$name" "$T/access.log" >"$T/ingest.out" 2>&1
  acc=$(jq -r .accepted "$T/ingest.out")
  [ "$acc" = "$LINES" ] || { echo "bench: $name ingest accepted $acc of $LINES" >&2; exit 1; }
  awk -v l="$name" -v n="$LINES" -v s="$(cat "$T/time")" \
    'BEGIN { printf "%-52s %8.2f s %10.0f lines/s\n", l ": hindsight ingest of " n " nginx lines", s, n / (s > 0 ? s : 0.001) }'
done
