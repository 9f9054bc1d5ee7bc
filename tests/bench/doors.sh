#!/bin/sh
# doors.sh: sustained push throughput of the streaming doors beside the
# file door, in the same run: N syslog lines (BENCH_DOOR_LINES, default
# 200,000) through `hindsight ingest --format syslog` (file door), the same
# lines over one TCP connection to `serve --syslog-tcp` (newline framing),
# and the same messages as Loki JSON pushes of 1,000 lines each over one
# keep-alive connection, each push waiting for its 204 (acknowledged =
# committed). Prints lines/s for each. Never part of `make test`.
set -eu
N=${BENCH_DOOR_LINES:-200000}
T=$(mktemp -d "${TMPDIR:-/tmp}/hs-bench-doors.XXXXXX")
trap 'kill $HS_PID 2>/dev/null; rm -rf "$T"' EXIT
HS_PID=
awk -v n="$N" 'BEGIN {
  for (k = 0; k < n; k++) {
    s = int(k * 3600 / n);
    printf "<%d>Mar  1 10:%02d:%02d web-%d app[%d]: request %d took %d ms status %d\n", (k % 50 == 0) ? 11 : 14, int(s / 60), s % 60, k % 4, 100 + k % 7, k, k % 997, (k % 50 == 0) ? 503 : 200
  }
}' >"$T/lines.log"

./hindsight --db "$T/file.db" migrate >/dev/null
./hindsight --db "$T/door.db" migrate >/dev/null
ID=$(./hindsight --db "$T/file.db" incident open "bench" 2>/dev/null)
INGEST=$(./hindsight --db "$T/door.db" token add bench --scope ingest)
WRITE=$(./hindsight --db "$T/door.db" token add w --scope write)
./hindsight --db "$T/door.db" serve --listen 127.0.0.1:0 --syslog-tcp 127.0.0.1:0 >"$T/hs.out" 2>/dev/null &
HS_PID=$!
while ! grep -q 'listening on http' "$T/hs.out"; do sleep 0.1; done
HS=$(sed -n 's/.*listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$T/hs.out")
TPORT=$(sed -n 's/.*syslog tcp listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/hs.out")
curl -s -o /dev/null -H "Authorization: Bearer $WRITE" -H 'Content-Type: application/json' \
  -d '{"title":"bench","started_at":"2020-01-01T00:00:00Z"}' "$HS/api/v1/incidents"

echo "streaming doors: $N syslog lines, $(nproc) cores, $(date -u +%Y-%m-%d)"
start=$(date +%s.%N)
./hindsight --db "$T/file.db" ingest --format syslog --incident "$ID" "$T/lines.log" >/dev/null
end=$(date +%s.%N)
awk -v n="$N" -v s="$start" -v e="$end" 'BEGIN { printf "%-44s %10.0f lines/s\n", "file door: hindsight ingest --format syslog", n / (e - s) }'

python3 - "$HS" "$INGEST" "$TPORT" "$T/lines.log" "$N" <<'P'
import http.client, json, socket, sys, time, urllib.parse
base, token, tport, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
lines = open(path, 'rb').read().splitlines()
u = urllib.parse.urlparse(base)
def stored(door):
    c = http.client.HTTPConnection(u.hostname, u.port)
    c.request('GET', '/metrics')
    for l in c.getresponse().read().decode().splitlines():
        if l.startswith('hindsight_door_lines_stored_total{door="%s"}' % door):
            return int(l.split()[-1])
    return 0
# syslog TCP: one connection, newline framing; done when all are stored.
t0 = time.time()
s = socket.create_connection(('127.0.0.1', tport))
s.sendall(b'\n'.join(lines) + b'\n')
s.close()
while stored('syslog_tcp') < n and time.time() - t0 < 600:
    time.sleep(0.05)
dt = time.time() - t0
print('%-44s %10.0f lines/s' % ('syslog tcp door (newline framing)', stored('syslog_tcp') / dt))
# Loki JSON pushes of 1000 lines, one keep-alive connection.
c = http.client.HTTPConnection(u.hostname, u.port)
hdr = {'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json'}
t0 = time.time()
base_ns = 1709287200 * 10**9
for i in range(0, n, 1000):
    # The same messages; the 1 in 50 that syslog sends at error PRI go in
    # a level=error stream, so both doors condense the same error lines.
    ks = range(i, min(n, i + 1000))
    text = lambda k: lines[k].decode().split(': ', 1)[1]
    err = [[str(base_ns + k * 1000), text(k)] for k in ks if k % 50 == 0]
    ok = [[str(base_ns + k * 1000), text(k)] for k in ks if k % 50 != 0]
    body = json.dumps({'streams': [
        {'stream': {'job': 'app', 'level': 'error'}, 'values': err},
        {'stream': {'job': 'app', 'level': 'info'}, 'values': ok}]})
    c.request('POST', '/loki/api/v1/push', body, hdr)
    r = c.getresponse(); r.read()
    if r.status != 204:
        print('loki push failed:', r.status); sys.exit(1)
dt = time.time() - t0
print('%-44s %10.0f lines/s' % ('loki door (JSON, 1000-line pushes, acked)', n / dt))
P
