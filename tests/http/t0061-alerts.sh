# t0061-alerts: alerts as issue 16 saw them, through Debian's real
# prometheus-alertmanager (webhook receiver -> /hooks/alertmanager with an
# ingest token; alerts pushed to its API v2 with curl; short group and
# repeat intervals so re-deliveries come within seconds), and out-of-order
# notices with curl directly.
. tests/http/lib.sh
AM_BIN=${AM_BIN:-/usr/bin/prometheus-alertmanager}
if [ ! -x "$AM_BIN" ]; then
  echo "FAIL prometheus-alertmanager is not installed (tools/deps.sh)"
  exit 1
fi
hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
HOOK=$("$HS_BIN" --db "$DB" token add am --scope ingest)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
login admin "$PW_ADMIN"
req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "$JSON" -d '{"name":"Billing"}'
check "a component Billing" eq "$STATUS" 201

AM_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
AM=http://127.0.0.1:$AM_PORT
cat > "$T/am.yml" <<YML
route:
  receiver: hs
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 2s
receivers:
  - name: hs
    webhook_configs:
      - url: $BASE/hooks/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: $HOOK
YML
"$AM_BIN" --config.file="$T/am.yml" --storage.path="$T/amdata" \
  --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= \
  >"$T/am.out" 2>&1 &
AM_PID=$!
trap 'kill $AM_PID 2>/dev/null' EXIT
i=0
until curl -sf "$AM/-/ready" >/dev/null 2>&1; do
  i=$((i + 1))
  if [ $i -gt 300 ] || ! kill -0 $AM_PID 2>/dev/null; then
    echo "FAIL alertmanager did not start"
    tail -20 "$T/am.out"
    kill $HS_PID
    exit 1
  fi
  sleep 0.1
done
check "alertmanager is up" eq 1 1

# wait_for SQL WANT: polls the database until SQL prints WANT (30 s at
# most: a bound for a hung peer, not a timing check).
wait_for() {
  i=0
  while [ "$(sql "$1")" != "$2" ] && [ $i -lt 300 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  sql "$1"
}
runs() { curl -s "$BASE/metrics" | sed -n 's/^hindsight_ingest_runs_total \([0-9]*\)$/\1/p'; }
# push NAME LABELS START [END]: one alert to Alertmanager's API v2.
push() {
  end=${4:+,\"endsAt\":\"$4\"}
  curl -s -o /dev/null -w '%{http_code}' -X POST "$AM/api/v2/alerts" -H "$JSON" \
    -d "[{\"labels\":{\"alertname\":\"$1\",$2},\"annotations\":{\"summary\":\"$1 is failing\"},\"startsAt\":\"$3\"$end}]"
}
# Times come from Alertmanager's clock (its start), not ours: under
# faketime (make test-dates) this shell lives years ahead of a Go binary.
AM_NOW=$(curl -s "$AM/api/v2/status" | jq -r .uptime)
at() { date -u -d "$AM_NOW $1" +%Y-%m-%dT%H:%M:%SZ; }
START=$(at '-20 minutes')
EARLY=$(at '-30 minutes')

# 1. A firing alert for a component before any incident: stored, and an
# incident declared afterwards with an earlier start shows it while it
# still fires.
check "push a firing alert" eq "$(push BillingDown '"severity":"warning","service":"billing"' "$START")" 200
check "the firing alert is kept with no incident" eq "$(wait_for "SELECT count(*) FROM evidence WHERE kind='alert' AND title LIKE 'BillingDown%'" 1)" 1
check "and rejected nothing" eq "$(curl -s "$BASE/metrics" | grep -c 'result="rejected"} 0')" 1
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d "{\"title\":\"Billing\",\"started_at\":\"$EARLY\",\"components\":[\"Billing\"]}"
ID=$(jget .id)
req GET "/api/v1/incidents/$ID/events" -H "$AUTH"
check "the declared incident shows the still-firing alert" eq "$(jget '[.events[] | select(.kind == "alert" and .end_ts == null)] | length')" 1
# Re-deliveries while it fires add nothing.
r0=$(runs)
i=0
while [ "$(runs)" -lt $((r0 + 2)) ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
check "alertmanager re-delivered the group" test "$(runs)" -ge $((r0 + 2))
check "re-deliveries are duplicates: still one alert" eq "$(sql "SELECT count(*) FROM evidence WHERE title LIKE 'BillingDown%'") $(sql "SELECT count(*) FROM events WHERE kind = 'alert' AND incident_id = $ID")" "1 1"
check "resolve it" eq "$(push BillingDown '"severity":"warning","service":"billing"' "$START" "$(at '-1 minute')")" 200
check "the resolved notice closes the alert on the timeline" eq "$(wait_for "SELECT count(*), count(end_ts) FROM events WHERE kind='alert' AND incident_id = $ID" '1|1')" '1|1'
check "resolved: resolved the incident-free alert too" eq "$(sql "SELECT count(end_ts) FROM evidence WHERE title LIKE 'BillingDown%'")" 1

# 2. Auto-declare: `service: billing` against component "Billing" and a
# job that names no component; each declares once, whatever the
# re-deliveries, and the resolved notice closes the same alert.
"$HS_BIN" --db "$DB" config set ingest.auto_declare 1
# Its start lies outside the first incident's window (pad 30 min before
# its start), so nothing covers it.
OLD=$(at '-3 hours')
check "push a critical alert for billing" eq "$(push InvoicesStuck '"severity":"critical","service":"billing"' "$OLD")" 200
check "push a critical alert for an unknown job" eq "$(push QueueFull '"severity":"critical","job":"nosuchcomp"' "$OLD")" 200
check "one incident declared for the billing alert" eq "$(wait_for "SELECT count(*) FROM incidents WHERE title LIKE 'InvoicesStuck%'" 1)" 1
check "one for the job alert" eq "$(wait_for "SELECT count(*) FROM incidents WHERE title LIKE 'QueueFull%'" 1)" 1
r0=$(runs)
i=0
while [ "$(runs)" -lt $((r0 + 4)) ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
check "alertmanager re-delivered both groups" test "$(runs)" -ge $((r0 + 4))
check "re-deliveries never declare again" eq "$(sql "SELECT count(*) FROM incidents WHERE title LIKE 'InvoicesStuck%' OR title LIKE 'QueueFull%'")" 2
check "the component matched case-insensitively" eq "$(sql "SELECT c.name FROM incidents i JOIN incident_components ic ON ic.incident_id = i.id JOIN components c ON c.id = ic.component_id WHERE i.title LIKE 'InvoicesStuck%'")" Billing
check "the declared incident holds its alert, once" eq "$(sql "SELECT count(*) FROM events e JOIN incidents i ON i.id = e.incident_id WHERE i.title LIKE 'InvoicesStuck%' AND e.kind = 'alert' AND e.title LIKE 'InvoicesStuck%'")" 1
check "resolve the billing alert" eq "$(push InvoicesStuck '"severity":"critical","service":"billing"' "$OLD" "$(at '-1 minute')")" 200
check "its resolved notice closes the same alert" eq "$(wait_for "SELECT count(*), count(e.end_ts) FROM events e JOIN incidents i ON i.id = e.incident_id WHERE i.title LIKE 'InvoicesStuck%' AND e.kind = 'alert' AND e.title LIKE 'InvoicesStuck%'" '1|1')" '1|1'
check "and is not refused" eq "$(curl -s "$BASE/metrics" | grep -c 'result="rejected"} 0')" 1
check "still two declared incidents" eq "$(sql "SELECT count(*) FROM incidents WHERE title LIKE 'InvoicesStuck%' OR title LIKE 'QueueFull%'")" 2
kill $AM_PID
wait $AM_PID 2>/dev/null
"$HS_BIN" --db "$DB" config set ingest.auto_declare 0

# 3. Out of order: the resolved notice before the firing one is still one
# alert with a start and an end.
body() { # body STATUS ENDS
  printf '{"version":"4","groupKey":"o","status":"%s","receiver":"hs","groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am","alerts":[{"status":"%s","labels":{"alertname":"Reordered","severity":"warning"},"annotations":{},"startsAt":"2026-11-20T08:00:00Z","endsAt":"%s","fingerprint":"ooo1"}]}' "$1" "$1" "$2"
}
req POST /hooks/alertmanager -H "Authorization: Bearer $HOOK" -H "$JSON" -d "$(body resolved 2026-11-20T08:30:00Z)"
check "resolved first: 200, accepted" eq "$STATUS $(jget .accepted)" "200 1"
req POST /hooks/alertmanager -H "Authorization: Bearer $HOOK" -H "$JSON" -d "$(body firing 0001-01-01T00:00:00Z)"
check "the late firing notice is a duplicate" eq "$STATUS $(jget .duplicates)" "200 1"
# 2026-11-20 08:00 and 08:30 UTC in ms; CAST: PostgreSQL prints a boolean as t.
check "one alert with start and end" eq "$(sql "SELECT count(*), CAST(min(ts) = 1795161600000 AS INTEGER), CAST(min(end_ts) = 1795163400000 AS INTEGER) FROM evidence WHERE title LIKE 'Reordered%'")" "1|1|1"
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Morning","started_at":"2026-11-20T08:10:00Z"}'
ID3=$(jget .id)
check "drawn in with its end" eq "$(sql "SELECT count(*), count(end_ts) FROM events WHERE incident_id = $ID3 AND kind = 'alert'")" "1|1"
hs_stop
