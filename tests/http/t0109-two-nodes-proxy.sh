# t0109-two-nodes-proxy: the production layout's proxies run for real, from
# their files in docs/production/ (addresses and ports replaced): nginx
# (nginx.conf) and HAProxy (haproxy.cfg) in front of two hindsight nodes on
# one PostgreSQL database serve one page; both nodes take requests; a change
# made through the proxy is on the page at once; /metrics is not exposed;
# when a node is killed (-9) the proxies keep serving from the other.
. tests/http/lib.sh
needs_pg "two nodes share one PostgreSQL database"
JSON='Content-Type: application/json'
NGINX=${NGINX:-/usr/sbin/nginx}
HAPROXY=${HAPROXY:-/usr/sbin/haproxy}
NGINX_PID=
HAPROXY_PID=
B_PID=
cleanup() {
  for p in $NGINX_PID $HAPROXY_PID $B_PID; do kill "$p" 2>/dev/null; done
}
trap cleanup EXIT
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
hits() { # hits BASE: GET / answered 200 by that node
  v=$(node_metric "$1" 'hindsight_http_requests_total{method="GET",route="/",status="200"}')
  echo "${v:-0}"
}

# The nodes run in $T: on PostgreSQL the last good page is kept in the
# working directory (hindsight-pg-<dbname>.lastgood), not in the tree.
HS_BIN=$(cd "$(dirname "$HS_BIN")" && pwd)/$(basename "$HS_BIN")
cd "$T" && hs_start && cd "$OLDPWD"
A_PID=$HS_PID
A=$BASE
PA=$PORT
node_b_start
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
AUTH="Authorization: Bearer $TOKEN"

# nginx: docs/production/nginx.conf inside a minimal main context, run
# unprivileged on a loopback port (as t0087 does with the mirror's file).
NPORT=$(free_port)
mkdir -p "$T/nginx/tmp"
{
  [ "$(id -u)" = 0 ] && echo "user root root;"
  echo "daemon off; worker_processes 1; pid $T/nginx/nginx.pid; error_log $T/nginx/error.log;"
  echo "events { worker_connections 256; }"
  echo "http { access_log off; client_body_temp_path $T/nginx/tmp; proxy_temp_path $T/nginx/tmp;"
  echo "fastcgi_temp_path $T/nginx/tmp; uwsgi_temp_path $T/nginx/tmp; scgi_temp_path $T/nginx/tmp;"
  sed -e "s|listen 80;|listen 127.0.0.1:$NPORT;|" \
    -e "s|server 10.0.0.21:8080|server 127.0.0.1:$PA|" \
    -e "s|server 10.0.0.22:8080|server 127.0.0.1:$PB|" docs/production/nginx.conf
  echo "}"
} >"$T/nginx/nginx.conf"
check "nginx accepts docs/production/nginx.conf" \
  "$NGINX" -t -q -p "$T/nginx" -c "$T/nginx/nginx.conf"
"$NGINX" -p "$T/nginx" -c "$T/nginx/nginx.conf" 2>"$T/nginx/start.err" &
NGINX_PID=$!
N=http://127.0.0.1:$NPORT

# HAProxy: docs/production/haproxy.cfg from `defaults` on, behind a
# foreground global section, on another loopback port.
HPORT=$(free_port)
{
  printf 'global\n    maxconn 500\n\n'
  sed -n '/^defaults/,$p' docs/production/haproxy.cfg |
    sed -e '/^ *log global/d' -e '/^ *option httplog/d' \
      -e "s|bind :80|bind 127.0.0.1:$HPORT|" \
      -e "s|10.0.0.21:8080|127.0.0.1:$PA|" -e "s|10.0.0.22:8080|127.0.0.1:$PB|"
} >"$T/haproxy.cfg"
check "haproxy accepts docs/production/haproxy.cfg" \
  "$HAPROXY" -c -q -f "$T/haproxy.cfg"
"$HAPROXY" -db -f "$T/haproxy.cfg" >"$T/haproxy.out" 2>&1 &
HAPROXY_PID=$!
H=http://127.0.0.1:$HPORT
i=0
while { ! curl -s -o /dev/null "$N/healthz" || ! curl -s -o /dev/null "$H/healthz"; } &&
  [ $i -lt 100 ]; do
  sleep 0.1; i=$((i + 1))
done

for P in "$N" "$H"; do
  check "the proxy answers /healthz ($P)" \
    eq "$(curl -s -o /dev/null -w '%{http_code}' "$P/healthz")" 200
  check "the proxy does not expose /metrics ($P)" \
    eq "$(curl -s -o /dev/null -w '%{http_code}' "$P/metrics")" 404
done

# Both nodes take the page's requests, through either proxy.
HA0=$(hits "$A"); HB0=$(hits "$B")
bad=0
for i in $(seq 1 20); do
  for P in "$N" "$H"; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$P/")" = 200 ] || bad=$((bad + 1))
  done
done
check "40 page requests through the proxies, all 200" eq "$bad" 0
check "node A served some" test "$(hits "$A")" -gt "$HA0"
check "node B served some" test "$(hits "$B")" -gt "$HB0"

# A change through the proxy is on the page at once, whichever node
# answers next (each node's cache follows the database's NOTIFY).
curl -s -H "$AUTH" -H "$JSON" -d '{"title":"Checkout degraded"}' "$N/api/v1/incidents" >"$T/inc.json"
INC=$(jq -r .id "$T/inc.json")
check "an incident made through nginx" test "$INC" -gt 0
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" -H "$JSON" \
  -d '{"status":"investigating","body":"Posted through the proxy"}' \
  "$N/api/v1/incidents/$INC/updates")
check "a public update through nginx" eq "$STATUS" 201
seen() { # seen PROXY: 10 page requests in a row carry the update
  for k in $(seq 1 10); do
    curl -s "$1/" | grep -q "Posted through the proxy" || return 1
  done
}
i=0
while ! { seen "$N" && seen "$H"; } && [ $i -lt 10 ]; do sleep 0.1; i=$((i + 1)); done
check "every answer through nginx carries it within 1 s" seen "$N"
check "every answer through HAProxy carries it" seen "$H"

# Node A dies: both proxies keep serving from node B.
kill -9 "$A_PID"
wait "$A_PID" 2>/dev/null
bad=0
for i in $(seq 1 20); do
  for P in "$N" "$H"; do
    st=$(curl -s -o "$T/after" -w '%{http_code}' "$P/")
    if [ "$st" != 200 ] || ! grep -q "Posted through the proxy" "$T/after"; then
      bad=$((bad + 1)); echo "    $P/ answered $st"
    fi
  done
done
check "with node A killed, 40 page requests still 200 with the page" eq "$bad" 0
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" -H "$JSON" \
  -d '{"body":"Written while node A is down"}' "$N/api/v1/incidents/$INC/events")
# nginx marks A failed (max_fails=1) on the GETs above, so a POST goes to B.
check "writes through nginx go on (to node B)" eq "$STATUS" 201
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" -H "$JSON" \
  -d '{"body":"Written through HAProxy"}' "$H/api/v1/incidents/$INC/events")
check "writes through HAProxy go on (to node B)" eq "$STATUS" 201

# A rolling upgrade (t0113): a newer node migrated the database, so node B
# answers /healthz 503 schema_ahead, and HAProxy's check takes it out.
OURS=$(sql 'SELECT max(version) FROM hs_schema')
sql "UPDATE hs_schema SET version = $((OURS + 1))" >/dev/null
i=0
while [ "$(curl -s -o /dev/null -w '%{http_code}' "$B/healthz")" != 503 ] && [ $i -lt 200 ]; do
  sleep 0.1; i=$((i + 1))
done
check "node B, not upgraded, fails /healthz with schema_ahead" \
  eq "$(curl -s "$B/healthz" | jq -r .error.code)" schema_ahead
i=0
while ! grep -q 'hs2 is DOWN' "$T/haproxy.out" && [ $i -lt 200 ]; do
  sleep 0.1; i=$((i + 1))
done
check "HAProxy takes node B out (docs' health check)" grep -q 'hs2 is DOWN' "$T/haproxy.out"
sql "UPDATE hs_schema SET version = $OURS" >/dev/null

kill "$NGINX_PID" "$HAPROXY_PID" 2>/dev/null
wait "$NGINX_PID" "$HAPROXY_PID" 2>/dev/null
NGINX_PID=
HAPROXY_PID=
HS_PID=$B_PID
B_PID=
hs_stop
