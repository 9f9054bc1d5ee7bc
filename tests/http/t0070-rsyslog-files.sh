# t0070-rsyslog-files: PRI-less lines as Debian's real rsyslog writes them
# with RSYSLOG_TraditionalFileFormat and RSYSLOG_FileFormat (tag[pid] with
# no colon when the message came in as RFC 5424, with one for RFC 3164),
# fed by the real `logger`, then ingested: the program is the source and
# the identical error lines become one signal (issue 16).
. tests/http/lib.sh
RSYSLOGD=${RSYSLOGD:-/usr/sbin/rsyslogd}
if [ ! -x "$RSYSLOGD" ] || ! command -v logger >/dev/null; then
  echo "FAIL rsyslogd and logger are needed (tools/deps.sh installs them)"
  exit 1
fi
hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
START=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d "{\"title\":\"DB down\",\"started_at\":\"$START\"}"
ID=$(jget .id)

# rsyslogd unprivileged: its own config, pid file and work directory, a
# UDP input on a free loopback port and one file per template.
UPORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$T/rs"
cat > "$T/rs/rsyslog.conf" <<CONF
global(workDirectory="$T/rs")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="$UPORT")
action(type="omfile" file="$T/rs/trad.log" template="RSYSLOG_TraditionalFileFormat")
action(type="omfile" file="$T/rs/file.log" template="RSYSLOG_FileFormat")
CONF
"$RSYSLOGD" -f "$T/rs/rsyslog.conf" -i "$T/rs/pid" -n >"$T/rs/out" 2>&1 &
RS_PID=$!
# Sends until rsyslogd has written the first line (it may still be
# binding its port), then the rest.
i=0
while [ ! -s "$T/rs/trad.log" ] && [ $i -lt 100 ]; do
  logger -n 127.0.0.1 -P "$UPORT" -d --id=4242 -t payments -p local0.info "payments starting"
  sleep 0.1
  i=$((i + 1))
done
for n in 1012 1530 2999 3100; do
  logger -n 127.0.0.1 -P "$UPORT" -d --id=4242 -t payments -p local0.err "connection to db failed after $n ms"
done
logger --rfc3164 -n 127.0.0.1 -P "$UPORT" -d --id=77 -t billing -p local0.err "ERROR invoice run aborted"
i=0
while [ "$(grep -c billing "$T/rs/file.log" 2>/dev/null)" != 1 ] && [ $i -lt 100 ]; do
  sleep 0.1
  i=$((i + 1))
done
kill $RS_PID
wait $RS_PID 2>/dev/null
check "rsyslog wrote tag[pid] without a colon" grep -q '^[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]* [^ ]* payments\[4242\] connection to db failed' "$T/rs/trad.log"
check "rsyslog wrote RFC 3339 lines" grep -q '^20[0-9-]*T[0-9:.]*[+-][0-9:]* [^ ]* payments\[4242\] connection' "$T/rs/file.log"

for f in trad file; do
  "$HS_BIN" --db "$DB" ingest --format syslog --incident $ID --json "$T/rs/$f.log" > "$T/out.$f"
  check "$f: every line accepted" eq "$(jq -r '.rejected' "$T/out.$f")" 0
done
check "the program is the source, not 'syslog'" eq "$("$HS_BIN" --db "$DB" raw --source payments | wc -l)" "$(cat "$T/rs/trad.log" "$T/rs/file.log" | grep -c 'payments\[')"
check "four identical errors in each file became one signal" eq "$(sql "SELECT count(*) || ' ' || max(count) || ' ' || min(source) FROM events WHERE incident_id=$ID AND kind='signal' HAVING count(DISTINCT source) = 1")" "2 4 payments"
check "the signal names its source" contains /dev/stdin "on payments" <<X
$(sql "SELECT title FROM events WHERE incident_id=$ID AND kind='signal'")
X
check "the tag with a colon is a source too" eq "$("$HS_BIN" --db "$DB" raw --source billing --bad | wc -l)" 2
check "an error word without a PRI is an error" eq "$(sql "SELECT level FROM events WHERE incident_id=$ID AND source='billing' LIMIT 1")" error
check "info lines are not errors" eq "$("$HS_BIN" --db "$DB" raw --grep starting --bad | wc -l)" 0
hs_stop
