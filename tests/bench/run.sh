#!/bin/sh
# run.sh: `make bench`. Measures Hindsight beside a peer in the same run:
# nginx serving the same bytes from disk. Prints requests/second and
# latency for each; results go in BENCHMARKS.md by hand. Never part of
# `make test`: timings depend on the machine.
#   BENCH_SECONDS (default 10), BENCH_CONNS (default 64), BENCH_THREADS (2)
set -eu
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNS:-64}
THREADS=${BENCH_THREADS:-2}
for tool in wrk nginx; do
  command -v $tool >/dev/null 2>&1 || {
    echo "bench: needs $tool (apt-get install wrk nginx-light)" >&2
    exit 2
  }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/hs-bench.XXXXXX")
trap 'kill $HS_PID $NG_PID 2>/dev/null; rm -rf "$T"' EXIT

./hindsight --db "$T/bench.db" demo >/dev/null
./hindsight --db "$T/bench.db" serve --listen 127.0.0.1:0 --max-conn-per-ip 1024 >"$T/hs.out" 2>/dev/null &
HS_PID=$!
while ! grep -q 'listening on' "$T/hs.out"; do sleep 0.1; done
HS=$(sed -n 's/.*listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$T/hs.out")

# The peer serves exactly the bytes Hindsight serves.
mkdir -p "$T/www/static"
chmod 755 "$T"
curl -s "$HS/" >"$T/www/index.html"
curl -s "$HS/static/style.css" >"$T/www/static/style.css"
mkdir -p "$T/www/api/v2"
curl -s "$HS/api/v2/summary.json" >"$T/www/api/v2/summary.json"
PORT=$((20000 + $$ % 20000))
cat >"$T/nginx.conf" <<CONF
worker_processes 2;
pid $T/nginx.pid;
error_log $T/nginx.err;
daemon off;
events { worker_connections 1024; }
http {
  access_log off;
  types { text/css css; text/html html; application/json json; }
  server { listen 127.0.0.1:$PORT; root $T/www; }
}
CONF
nginx -c "$T/nginx.conf" -p "$T" &
NG_PID=$!
sleep 0.5

run() { # run LABEL URL
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency "$2" 2>&1)
  rps=$(printf '%s\n' "$out" | sed -n 's/^Requests\/sec: *//p')
  p50=$(printf '%s\n' "$out" | awk '$1=="50%"{print $2}')
  p99=$(printf '%s\n' "$out" | awk '$1=="99%"{print $2}')
  errs=$(printf '%s\n' "$out" | sed -n 's/.*Non-2xx or 3xx responses: *//p')
  printf '%-44s %10s req/s  p50 %-8s p99 %-8s non-2xx %s\n' "$1" "$rps" "$p50" "$p99" "${errs:-0}"
}

echo "wrk -t$THREADS -c$CONNS -d${SECS}s on $(nproc) cores, $(date -u +%Y-%m-%d)"
run "hindsight  GET / (status page, cached render)" "$HS/"
run "nginx      GET / (same bytes from disk)" "http://127.0.0.1:$PORT/index.html"
run "hindsight  GET /api/v2/summary.json (cached)" "$HS/api/v2/summary.json"
run "nginx      GET /api/v2/summary.json (same bytes)" "http://127.0.0.1:$PORT/api/v2/summary.json"
run "hindsight  GET /static/style.css (embedded)" "$HS/static/style.css"
run "nginx      GET /static/style.css" "http://127.0.0.1:$PORT/static/style.css"
run "hindsight  GET /healthz (one SQLite query)" "$HS/healthz"
sh tests/bench/ingest.sh
sh tests/bench/doors.sh
sh tests/bench/timeline.sh
sh tests/bench/search.sh
sh tests/bench/raw.sh
sh tests/bench/nodes.sh
sh tests/bench/search_engines.sh
