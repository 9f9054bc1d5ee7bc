# t0111-syslog-relp: the RELP listener (serve --syslog-relp) fed by
# Debian's real rsyslogd with omrelp (package rsyslog-relp), run
# unprivileged with its own config. Proves: the open handshake and the
# messages go through and each is stored once; a kill -9 of Hindsight in
# the middle of a stream loses nothing: rsyslog resends what was not
# acknowledged to the restarted server (same port, same database). The
# syslog door's dedupe keys a raw line on its place in the batch too, so
# it does not remove a resend: a message stored whose acknowledgement the
# crash lost (not yet sent, or not yet read by librelp) comes back as a
# second copy. The crash check asserts every line at least once and none
# more than twice, and prints how many were duplicated. A raw client's bad frames get "rsp 500" and the server
# stays up; /metrics counts door="syslog_relp". An open incident started
# long before covers every time used.
. tests/http/lib.sh
if [ ! -f /usr/lib/x86_64-linux-gnu/rsyslog/omrelp.so ]; then
  echo "FAIL rsyslog's omrelp is needed (tools/deps.sh installs rsyslog-relp)"
  exit 1
fi
hs_start --syslog-relp 127.0.0.1:0
k=0
while ! grep -q 'listening on http' "$T/server.out" && [ $k -lt 100 ]; do sleep 0.1; k=$((k + 1)); done
PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.out")
BASE=http://127.0.0.1:$PORT
RPORT=$(sed -n 's/.*syslog relp listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.out")
check "the relp listener prints its bound port" test -n "$RPORT"
JSON='Content-Type: application/json'
WRITE=$("$HS_BIN" --db "$DB" token add writer --scope write)
req POST /api/v1/incidents -H "Authorization: Bearer $WRITE" -H "$JSON" \
  -d '{"title":"RELP door","started_at":"2024-03-01T09:00:00Z"}'
ID=$(jget .id)
# texts QUERY: the stored lines matching QUERY, one a line (sorted).
texts() {
  curl -s -H "Authorization: Bearer $WRITE" \
    "$BASE/api/v1/incidents/$ID/raw?q=$1" >"$T/raw.json"
  jq -r '.lines[].line' "$T/raw.json" | sort
}
distinct() { texts "$1" | grep -o "$1 [0-9]*" | sort -u | wc -l; }
# wait_distinct QUERY N: waits (up to 60 s) for N distinct numbered lines.
wait_distinct() {
  k=0
  while [ "$(distinct "$1")" -lt "$2" ] && [ $k -lt 300 ]; do
    sleep 0.2
    k=$((k + 1))
  done
}

rsyslog_start <<C
module(load="omrelp")
action(type="omrelp" target="127.0.0.1" port="$RPORT"
       template="RSYSLOG_SyslogProtocol23Format"
       action.resumeRetryCount="-1" action.resumeInterval="1")
C
check "rsyslogd runs with its own config" test -S "$T/log.sock"

seq 1 20 | sed 's/^/relpfirst /' >"$T/first"
logger -u "$T/log.sock" -t relpapp -f "$T/first"
wait_distinct relpfirst 20
check "omrelp: 20 messages stored" eq "$(distinct relpfirst)" 20
check "omrelp: each stored once" eq "$(texts relpfirst | wc -l)" 20
check "the program name is the source" eq "$(jq -r '.lines[0].source' "$T/raw.json")" relpapp

# The crash: a first part stored (and so acknowledged), a second part in
# flight when Hindsight is killed, a third sent while it is down; after a
# restart on the same port and database rsyslog resends the rest.
seq 1 150 | sed 's/^/relpcrash /' >"$T/crash"
head -n 50 "$T/crash" | logger -u "$T/log.sock" -t relpapp
wait_distinct relpcrash 50
sed -n '51,120p' "$T/crash" | logger -u "$T/log.sock" -t relpapp
kill -9 $HS_PID
wait $HS_PID 2>/dev/null
sed -n '121,150p' "$T/crash" | logger -u "$T/log.sock" -t relpapp
hs_serve "$DB" --syslog-relp "127.0.0.1:$RPORT"
k=0
while ! grep -q 'listening on http' "$T/server.out" && [ $k -lt 100 ]; do sleep 0.1; k=$((k + 1)); done
PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.out")
BASE=http://127.0.0.1:$PORT
check "restarted on the same relp port" grep -q "syslog relp listening on 127.0.0.1:$RPORT" "$T/server.out"
wait_distinct relpcrash 150
check "after kill -9 and restart: all 150 lines stored" eq "$(distinct relpcrash)" 150
texts relpcrash | grep -o 'relpcrash [0-9]*' | sort | uniq -c | sort -rn >"$T/counts"
check "no line stored more than twice (only a lost ack duplicates)" test "$(head -n 1 "$T/counts" | awk '{print $1}')" -le 2
echo "    duplicates after the crash: $(awk '$1 > 1' "$T/counts" | wc -l)"
kill $RS_PID
wait $RS_PID 2>/dev/null

# Bad input from a raw client: an answer, then the connection is closed;
# the server stays up and what came before the bad frame is stored.
m='<14>1 2024-03-01T10:05:00Z web-1 rawrelp - - - relpraw 1'
printf '1 open 14 relp_version=0\n2 syslog %d %s\n3 sys!og 1 x\n' \
  "${#m}" "$m" | node tests/http/raw.mjs send "$RPORT" >"$T/bad1"
check "bad command: the good frame is acknowledged first" grep -q '^2 rsp 6 200 OK$' "$T/bad1"
check "bad command: rsp 500" grep -q '^3 rsp [0-9]* 500 a malformed command$' "$T/bad1"
printf '1 open 0\n2 syslog 99999999 ' | node tests/http/raw.mjs send "$RPORT" >"$T/bad2"
check "a frame over the cap: rsp 500" grep -q '^2 rsp [0-9]* 500 a frame over the size cap$' "$T/bad2"
printf 'hello\n' | node tests/http/raw.mjs send "$RPORT" >"$T/bad3"
check "not RELP at all: rsp 500 with TXNR 0" grep -q '^0 rsp [0-9]* 500 a malformed transaction number$' "$T/bad3"
printf '5 syslog 1 x\n' | node tests/http/raw.mjs send "$RPORT" >"$T/bad4"
check "syslog before open: rsp 500" grep -q '^5 rsp [0-9]* 500 the session must begin with open$' "$T/bad4"
printf '1 open 0\n2 starttls 0\n3 close 0\n' | node tests/http/raw.mjs send "$RPORT" >"$T/bad5"
check "an unknown command: rsp 500, the session goes on" grep -q '^2 rsp [0-9]* 500 command not supported$' "$T/bad5"
check "close is answered" grep -q '^3 rsp 6 200 OK$' "$T/bad5"
check "the raw client's good frame is stored" eq "$(distinct relpraw)" 1
check "the server is still up" kill -0 $HS_PID
curl -s "$BASE/metrics" >"$T/metrics"
stored=$(sed -n 's/^hindsight_door_lines_stored_total{door="syslog_relp"} //p' "$T/metrics")
check "metrics: relp stored counted" test "${stored:-0}" -ge 1
dropped=$(sed -n 's/^hindsight_door_lines_dropped_total{door="syslog_relp"} //p' "$T/metrics")
check "metrics: bad relp frames counted as dropped" test "${dropped:-0}" -ge 4

# --syslog-allow applies to RELP as to TCP: a sender outside the list is
# disconnected unanswered (a second server, on its own database).
"$HS_BIN" --db "$T/allow.db" serve --listen 127.0.0.1:0 --syslog-relp 127.0.0.1:0 \
  --syslog-allow '10.0.0.0/8' >"$T/allow.out" 2>"$T/allow.err" &
A_PID=$!
k=0
while ! grep -q 'listening on http' "$T/allow.out" 2>/dev/null && [ $k -lt 300 ]; do sleep 0.1; k=$((k + 1)); done
A_R=$(sed -n 's/.*syslog relp listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/allow.out")
printf '1 open 0\n' | node tests/http/raw.mjs send "$A_R" >"$T/allow.raw"
check "--syslog-allow: a RELP sender outside the list gets no answer" test -n "$A_R" -a ! -s "$T/allow.raw"
kill -TERM $A_PID
wait $A_PID
hs_stop
