# t0112-doors-two-nodes: the streaming doors accept on every node of one
# PostgreSQL database (issue 21). A real rsyslogd forwards one program's
# lines to node A's syslog TCP door and another's to node B's; a Loki push
# goes to A and the same push again to B; an OTLP push goes to B. Every
# line is stored once, whichever node took it (the dedupe is in the
# database), and both nodes' APIs show the same lines. Each node counts what
# its own doors received in /metrics.
. tests/http/lib.sh
needs_pg "two nodes share one PostgreSQL database"
JSON='Content-Type: application/json'
RS_PID=
B_PID=
cleanup() {
  [ -z "$RS_PID" ] || kill "$RS_PID" 2>/dev/null
  [ -z "$B_PID" ] || kill "$B_PID" 2>/dev/null
}
trap cleanup EXIT

case $HS_BIN in /*) ;; *) HS_BIN=$PWD/$HS_BIN ;; esac
cd "$T" && hs_start --syslog-tcp 127.0.0.1:0 && cd "$OLDPWD"
A=$BASE
A_TCP=$(sed -n 's/.*syslog tcp listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.out")
check "node B starts on the same database with its own door" \
  node_b_start --syslog-tcp 127.0.0.1:0
B_TCP=$(sed -n 's/.*syslog tcp listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/b.out")
check "both nodes print their syslog ports" test -n "$A_TCP" -a -n "$B_TCP"
door_incident "Doors on two nodes"

# lines NODE QUERY: how many raw lines of the incident match, asked of NODE.
lines() {
  curl -s -H "Authorization: Bearer $WRITE" \
    "$1/api/v1/incidents/$ID/raw?q=$2" | jq '.lines | length'
}
# wait_lines NODE QUERY N: waits (up to 30 s) until QUERY matches N lines.
wait_lines() {
  k=0
  while [ "$(lines "$1" "$2")" != "$3" ] && [ $k -lt 150 ]; do
    sleep 0.2
    k=$((k + 1))
  done
}

# Syslog: rsyslogd sends "toa" lines to A and "tob" lines to B.
rsyslog_start <<C
if \$programname == "toa" then {
  action(type="omfwd" target="127.0.0.1" port="$A_TCP" protocol="tcp"
         TCP_Framing="octet-counted")
  stop
}
if \$programname == "tob" then {
  action(type="omfwd" target="127.0.0.1" port="$B_TCP" protocol="tcp"
         TCP_Framing="octet-counted")
  stop
}
C
check "rsyslogd runs with its own config" test -S "$T/log.sock"
for i in $(seq 1 20); do
  logger -u "$T/log.sock" -t toa "door alpha message $i"
  logger -u "$T/log.sock" -t tob "door bravo message $i"
done
wait_lines "$A" 'door%20alpha' 20
wait_lines "$A" 'door%20bravo' 20
check "node A's door stored its 20 lines" eq "$(lines "$A" 'door%20alpha')" 20
check "node B's door stored its 20 lines" eq "$(lines "$A" 'door%20bravo')" 20
check "node B's API shows A's lines" eq "$(lines "$B" 'door%20alpha')" 20
check "node A counts only its own door's lines" \
  eq "$(node_metric "$A" 'hindsight_door_lines_stored_total{door="syslog_tcp"}')" 20
check "node B counts only its own door's lines" \
  eq "$(node_metric "$B" 'hindsight_door_lines_stored_total{door="syslog_tcp"}')" 20

# Loki: one push to A, the same push again to B: stored once.
cat >"$T/push.json" <<'J'
{"streams":[{"stream":{"job":"checkout","level":"error"},
  "values":[["1709287500000000000","loki twice upstream a"],
            ["1709287501000000000","loki twice upstream b"]]}]}
J
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $INGEST" \
  -H "$JSON" --data-binary @"$T/push.json" "$A/loki/api/v1/push")
check "a Loki push to node A: 204" eq "$STATUS" 204
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $INGEST" \
  -H "$JSON" --data-binary @"$T/push.json" "$B/loki/api/v1/push")
check "the same push to node B: 204" eq "$STATUS" 204
check "the pushed lines are stored once" eq "$(lines "$B" 'loki%20twice')" 2

# OTLP/HTTP JSON to B.
cat >"$T/logs.json" <<'J'
{"resourceLogs":[{"resource":{"attributes":[
  {"key":"service.name","value":{"stringValue":"otlp-b"}}]},
 "scopeLogs":[{"logRecords":[
  {"timeUnixNano":"1709287502000000000","body":{"stringValue":"otlp via node b"}}]}]}]}
J
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $INGEST" \
  -H "$JSON" --data-binary @"$T/logs.json" "$B/v1/logs")
check "an OTLP push to node B: 200" eq "$STATUS" 200
check "node A's API shows it" eq "$(lines "$A" 'otlp%20via%20node')" 1

kill "$RS_PID" && wait "$RS_PID" 2>/dev/null
RS_PID=
kill -TERM "$B_PID"
wait "$B_PID"
check "node B exits cleanly on SIGTERM" eq "$?" 0
B_PID=
hs_stop
