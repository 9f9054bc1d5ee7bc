# t0067-syslog: the syslog listeners (serve --syslog-udp/--syslog-tcp,
# issue 16) fed by Debian's real rsyslogd, run unprivileged with its own
# config: messages written to a private imuxsock socket with `logger -u`
# are forwarded by omfwd over UDP, TCP with octet counting, and TCP with
# newline framing (one program name per path). Proves: every message of
# each path is stored; the program is the source; an error PRI becomes a
# signal; malformed, oversized and truncated TCP frames are counted and
# skipped and the stream goes on; /metrics counts per door. An open
# incident started long before covers every time used.
. tests/http/lib.sh
hs_start --syslog-udp 127.0.0.1:0 --syslog-tcp 127.0.0.1:0
JSON='Content-Type: application/json'
WRITE=$("$HS_BIN" --db "$DB" token add writer --scope write)
UPORT=$(sed -n 's/.*syslog udp listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.out")
TPORT=$(sed -n 's/.*syslog tcp listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.out")
check "the listeners print their bound ports" test -n "$UPORT" -a -n "$TPORT"
req POST /api/v1/incidents -H "Authorization: Bearer $WRITE" -H "$JSON" \
  -d '{"title":"Syslog door","started_at":"2024-03-01T09:00:00Z"}'
ID=$(jget .id)
lines() {
  curl -s -H "Authorization: Bearer $WRITE" \
    "$BASE/api/v1/incidents/$ID/raw?q=$1" | jq '.lines | length'
}
# wait_lines QUERY N: waits (up to 30 s) until QUERY matches N lines.
wait_lines() {
  k=0
  while [ "$(lines "$1")" != "$2" ] && [ $k -lt 150 ]; do
    sleep 0.2
    k=$((k + 1))
  done
}

rsyslog_start <<C
if \$programname == "rsudp" then {
  action(type="omfwd" target="127.0.0.1" port="$UPORT" protocol="udp")
  stop
}
if \$programname == "rsoctet" then {
  action(type="omfwd" target="127.0.0.1" port="$TPORT" protocol="tcp"
         TCP_Framing="octet-counted")
  stop
}
if \$programname == "rsnewline" then {
  action(type="omfwd" target="127.0.0.1" port="$TPORT" protocol="tcp")
  stop
}
C
check "rsyslogd runs with its own config" test -S "$T/log.sock"

for i in $(seq 1 20); do
  logger -u "$T/log.sock" -t rsudp "via udp message $i"
  logger -u "$T/log.sock" -t rsoctet "via octet message $i"
  logger -u "$T/log.sock" -t rsnewline "via newline message $i"
done
for i in 1 2 3 4 5 6; do
  logger -u "$T/log.sock" -t rsoctet -p local0.err "payment gateway refused card $i"
done
wait_lines "via%20udp%20message" 20
check "rsyslog omfwd UDP: 20 messages stored" eq "$(lines 'via%20udp%20message')" 20
wait_lines "via%20octet%20message" 20
check "rsyslog omfwd TCP octet-counted: 20 messages stored" eq "$(lines 'via%20octet%20message')" 20
wait_lines "via%20newline%20message" 20
check "rsyslog omfwd TCP newline-framed: 20 messages stored" eq "$(lines 'via%20newline%20message')" 20
wait_lines "payment%20gateway" 6
req GET "/api/v1/incidents/$ID/raw?q=via%20newline%20message%207" -H "Authorization: Bearer $WRITE"
check "the program name is the source" eq "$(jget '.lines[0].source')" rsnewline
req GET "/api/v1/incidents/$ID/events" -H "Authorization: Bearer $WRITE"
check "error-PRI messages reach the timeline as errors" test "$(jq '[.events[] | select(.level == "error" and .source == "rsoctet")] | length' "$T/body")" -ge 1
kill $RS_PID
wait $RS_PID 2>/dev/null

# Bad frames on one TCP connection: each is counted and skipped, and the
# good frames around them are stored.
python3 - "$TPORT" <<'P'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
good = lambda t: b"<14>1 2024-03-01T10:05:00Z web-1 rawtcp - - - " + t
m = good(b"frame before bad ones")
s.sendall(str(len(m)).encode() + b" " + m)          # octet-counted
s.sendall(b"12x34 not a count\n")                   # malformed count
s.sendall(b"70000 " + b"z" * 70000)                 # over the cap
s.sendall(good(b"newline frame after") + b"\n")
s.sendall(good(b"x" * 70000) + b"\n")               # oversized line
m = good(b"octet frame after all")
s.sendall(str(len(m)).encode() + b" " + m)
s.sendall(b"50 <14>truncated")                      # cut by the close
s.close()
P
wait_lines "octet%20frame%20after%20all" 1
check "tcp: good frames around bad ones are stored" eq "$(lines 'frame%20before%20bad')$(lines 'newline%20frame%20after')$(lines 'octet%20frame%20after%20all')" 111
printf '<14>1 2024-03-01T10:05:00Z web-1 rawudp - - - a datagram\n' >"$T/dgram"
python3 -c "
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(open(sys.argv[2], 'rb').read(), ('127.0.0.1', int(sys.argv[1])))" "$UPORT" "$T/dgram"
wait_lines "a%20datagram" 1
check "udp: a datagram with a trailing newline is one message" eq "$(lines 'a%20datagram')" 1
sleep 0.5
curl -s "$BASE/metrics" >"$T/metrics"
dropped=$(sed -n 's/^hindsight_door_lines_dropped_total{door="syslog_tcp"} //p' "$T/metrics")
check "metrics: bad tcp frames counted as dropped" test "${dropped:-0}" -ge 3
stored=$(sed -n 's/^hindsight_door_lines_stored_total{door="syslog_udp"} //p' "$T/metrics")
check "metrics: udp stored counted" test "${stored:-0}" -ge 21

# --syslog-allow: senders outside the listed networks are dropped and
# counted (a second server, on its own database).
code=0
"$HS_BIN" --db "$T/allow.db" serve --listen 127.0.0.1:0 --syslog-udp 127.0.0.1:0 \
  --syslog-allow '10.0.0.0/8,300.1.1.1' >/dev/null 2>"$T/allow.err" || code=$?
check "--syslog-allow with a bad address is a usage error" eq "$code" 2
"$HS_BIN" --db "$T/allow.db" serve --listen 127.0.0.1:0 --syslog-udp 127.0.0.1:0 \
  --syslog-tcp 127.0.0.1:0 --syslog-allow '10.0.0.0/8,fd00::/8' >"$T/allow.out" 2>>"$T/allow.err" &
A_PID=$!
k=0
while ! grep -q 'listening on http' "$T/allow.out" 2>/dev/null && [ $k -lt 300 ]; do sleep 0.1; k=$((k + 1)); done
A_BASE=$(sed -n 's/.*listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$T/allow.out")
A_U=$(sed -n 's/.*syslog udp listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/allow.out")
A_T=$(sed -n 's/.*syslog tcp listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/allow.out")
python3 - "$A_U" "$A_T" >"$T/allow.py.out" <<'P'
import socket, sys
m = b"<14>1 2024-03-01T10:05:00Z web-1 outsider - - - not allowed\n"
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(m, ("127.0.0.1", int(sys.argv[1])))
s = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
try:
    s.sendall(m)
    print("eof" if s.recv(10) == b"" else "data")
except ConnectionResetError:
    print("eof")
P
check "--syslog-allow: a TCP sender outside the list is disconnected" eq "$(cat "$T/allow.py.out")" eof
k=0
dropped() { curl -s "$A_BASE/metrics" | sed -n "s/^hindsight_door_lines_dropped_total{door=\"syslog_$1\"} //p"; }
while { [ "$(dropped udp)" != 1 ] || [ "$(dropped tcp)" != 1 ]; } && [ $k -lt 100 ]; do sleep 0.1; k=$((k + 1)); done
check "--syslog-allow: the refused datagram and connection are counted" eq "$(dropped udp):$(dropped tcp)" 1:1
check "--syslog-allow: nothing from outside was stored" eq "$(curl -s "$A_BASE/metrics" | sed -n 's/^hindsight_door_lines_stored_total{door="syslog_udp"} //p')" 0
kill -TERM $A_PID
wait $A_PID
hs_stop
