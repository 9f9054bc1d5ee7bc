# t0072-haproxy: Debian's real haproxy in front of a small HTTP backend,
# logging `option httplog` and `option tcplog` lines both to a real
# rsyslogd (filed with RSYSLOG_TraditionalFileFormat, no <PRI>) and
# straight to a UDP socket of the test (<PRI> and HAProxy's own header);
# curl makes requests, and both files are ingested with --format haproxy.
. tests/http/lib.sh
RSYSLOGD=${RSYSLOGD:-/usr/sbin/rsyslogd}
HAPROXY=${HAPROXY:-/usr/sbin/haproxy}
if [ ! -x "$RSYSLOGD" ] || [ ! -x "$HAPROXY" ]; then
  echo "FAIL haproxy and rsyslogd are needed (tools/deps.sh installs them)"
  exit 1
fi
hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
START=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d "{\"title\":\"LB errors\",\"started_at\":\"$START\"}"
ID=$(jget .id)
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d "{\"title\":\"LB errors (UDP copy)\",\"started_at\":\"$START\"}"
ID2=$(jget .id)

mkdir -p "$T/ha"
free_port() { # free_port tcp|udp: a free loopback port (bound, then let go)
  python3 -c 'import socket, sys; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}
# The backend: 200 for /ok, 503 for /fail; writes its port when ready.
cat > "$T/ha/backend.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code = 503 if self.path.startswith("/fail") else 200
        body = b"x" * (10 if code == 200 else 3)
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
PY
# The UDP log sink: one datagram a line.
cat > "$T/ha/sink.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
open(sys.argv[2] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[2] + ".tmp", sys.argv[2])
with open(sys.argv[1], "ab", buffering=0) as f:
    while True:
        d = s.recv(65535)
        f.write(d.rstrip(b"\n") + b"\n")
PY
python3 "$T/ha/backend.py" "$T/ha/bport" & BE_PID=$!
python3 "$T/ha/sink.py" "$T/ha/udp.log" "$T/ha/sport" & SINK_PID=$!
i=0
while { [ ! -s "$T/ha/bport" ] || [ ! -s "$T/ha/sport" ]; } && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
BPORT=$(cat "$T/ha/bport")
SPORT=$(cat "$T/ha/sport")
RPORT=$(free_port udp)
HPORT=$(free_port tcp)
TPORT=$(free_port tcp)
DPORT=$(free_port tcp) # nothing listens there: the "down" server
cat > "$T/ha/rsyslog.conf" <<CONF
global(workDirectory="$T/ha")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="$RPORT")
action(type="omfile" file="$T/ha/rsyslog.log" template="RSYSLOG_TraditionalFileFormat")
CONF
"$RSYSLOGD" -f "$T/ha/rsyslog.conf" -i "$T/ha/rs.pid" -n >"$T/ha/rs.out" 2>&1 &
RS_PID=$!
cat > "$T/ha/haproxy.cfg" <<CONF
global
  log 127.0.0.1:$RPORT local0
  log 127.0.0.1:$SPORT local0
defaults
  log global
  timeout connect 2s
  retries 0
  timeout client 5s
  timeout server 5s
frontend web
  mode http
  option httplog
  bind 127.0.0.1:$HPORT
  use_backend down if { path_beg /down }
  default_backend app
backend app
  mode http
  server s1 127.0.0.1:$BPORT
backend down
  mode http
  server d1 127.0.0.1:$DPORT
frontend tcpfe
  mode tcp
  option tcplog
  bind 127.0.0.1:$TPORT
  default_backend tcpapp
backend tcpapp
  mode tcp
  server t1 127.0.0.1:$DPORT
CONF
TZ=UTC "$HAPROXY" -f "$T/ha/haproxy.cfg" -db >"$T/ha/haproxy.out" 2>&1 &
HA_PID=$!
# Until both haproxy and rsyslogd are up: a request that lands in the file.
i=0
while ! grep -q 'GET /warmup' "$T/ha/rsyslog.log" 2>/dev/null && [ $i -lt 100 ]; do
  curl -s -o /dev/null "http://127.0.0.1:$HPORT/warmup"
  sleep 0.1
  i=$((i + 1))
done
for k in $(seq 1 30); do
  curl -s -o /dev/null "http://127.0.0.1:$HPORT/ok?id=$k"
  curl -s -o /dev/null "http://127.0.0.1:$HPORT/fail?id=$k"
done
for k in 1 2 3; do
  curl -s -o /dev/null "http://127.0.0.1:$HPORT/down/x"
  curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$TPORT/" 
done
# Both log files have every line: the 3rd TCP line is the last one sent.
i=0
while { [ "$(grep -c 'tcpfe' "$T/ha/rsyslog.log" 2>/dev/null)" != 3 ] || [ "$(grep -c 'tcpfe' "$T/ha/udp.log" 2>/dev/null)" != 3 ]; } && [ $i -lt 100 ]; do
  sleep 0.1
  i=$((i + 1))
done
kill $HA_PID $RS_PID $BE_PID $SINK_PID
wait $HA_PID $RS_PID $BE_PID $SINK_PID 2>/dev/null
N_HTTP=$(grep -c '"GET ' "$T/ha/rsyslog.log")
check "haproxy logged through rsyslog without <PRI>" grep -q '^[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]* [^ ]* haproxy\[[0-9]*\]: 127.0.0.1:[0-9]* \[' "$T/ha/rsyslog.log"
check "haproxy logged to UDP with <PRI>" grep -q '^<1[0-9][0-9]>' "$T/ha/udp.log"
check "every request was logged" test "$N_HTTP" -ge 64

"$HS_BIN" --db "$DB" ingest --format haproxy --incident $ID --json "$T/ha/rsyslog.log" > "$T/out1"
check "rsyslog file: no line rejected" eq "$(jq -c '[.rejected, .errors]' "$T/out1")" "[0,[]]"
check "rsyslog file: every line accepted" eq "$(jq .accepted "$T/out1")" "$(grep -c . "$T/ha/rsyslog.log")"
check "HTTP lines feed the request series" eq "$(sql "SELECT sum(requests) FROM access_series")" "$N_HTTP"
check "503s feed the 5xx series" eq "$(sql "SELECT sum(s5xx) FROM access_series")" 33
check "the series is per server" eq "$(sql "SELECT group_concat(DISTINCT source) FROM (SELECT source FROM access_series ORDER BY source) AS s")" "d1,s1"
check "a 503 raw line is bad" test "$("$HS_BIN" --db "$DB" raw --bad --grep 'GET /fail' | wc -l)" -eq 30
check "the down server's SC lines are errors" test "$("$HS_BIN" --db "$DB" raw --source d1 --bad --grep ' SC-- ' | wc -l)" -eq 3
check "TCP connect failures (SC) condense into one signal" eq "$(sql "SELECT count || ' ' || level || ' ' || component FROM events WHERE incident_id=$ID AND kind='signal' AND source='t1'")" "3 error tcpapp"
check "the signal says what ended how" contains /dev/stdin "TCP tcpfe to tcpapp/t1 ended SC" <<X
$(sql "SELECT title FROM events WHERE incident_id=$ID AND kind='signal' AND source='t1'")
X

"$HS_BIN" --db "$DB" ingest --format haproxy --incident $ID2 --json "$T/ha/udp.log" > "$T/out2"
check "UDP file: every line accepted" eq "$(jq -c '[.accepted, .rejected]' "$T/out2")" "[$(grep -c . "$T/ha/udp.log"),0]"
# The series are the sources' (no incident's): the same requests logged a
# second way (other raw text) count again. The sink listened before haproxy
# started; rsyslogd may have missed the first warm-up requests, so the UDP
# copy can only have more of those.
check "UDP file: the same series again" eq "$(sql "SELECT sum(requests) || '/' || sum(s5xx) FROM access_series")" "$((N_HTTP + $(grep -c '"GET ' "$T/ha/udp.log")))/66"
check "the accept date is the time (UTC with --tz default)" eq "$("$HS_BIN" --db "$DB" raw | awk -F '\t' '{ k = $1 substr($3, index($3, ": 127.0.0.1")); n[k]++ } END { for (k in n) if (n[k] == 2) c++; print c + 0 }')" "$(grep -c . "$T/ha/rsyslog.log")"
hs_stop
