# t0006-ingest: evidence through all three doors (CLI, HTTP, webhooks):
# condensing, dedupe, correlation, bad input, redaction, raw lines.
. tests/http/lib.sh
hs_start
TOKEN=$("$HS_BIN" --db "$DB" token add api --scope write)
HOOK=$("$HS_BIN" --db "$DB" token add am --scope ingest)
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
req POST /api/v1/components -H "Authorization: Bearer $("$HS_BIN" --db "$DB" token add adm --scope write)" -H "$JSON" -d '{"name":"x"}' >/dev/null
login admin "$PW_ADMIN"
req POST /api/v1/components -b "$T/jar.admin" -H "X-CSRF-Token: $CSRF" -H "$JSON" -d '{"name":"checkout"}'
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Flash sale","started_at":"2026-11-20T11:30:00Z","components":["checkout"]}'
ID=$(jget .id)

# A generated access log: normal traffic, then 40% 502s for eight minutes.
awk 'BEGIN {
  srand(7);
  for (m = 0; m < 40; m++) for (i = 0; i < 60; i++) {
    st = 200;
    if (m >= 10 && m < 18 && rand() < 0.4) st = 502;
    t = 11 * 60 + 30 + m;
    printf "10.0.0.%d - - [20/Nov/2026:%02d:%02d:%02d +0000] \"GET /checkout?token=s3cr3t&id=%d HTTP/1.1\" %d 512 \"-\" \"curl/8\"\n", i % 250, int(t / 60), t % 60, i % 60, i, st
  }
}' > "$T/access.log"
printf 'not a log line at all\n' >> "$T/access.log"
"$HS_BIN" --db "$DB" ingest --format nginx --incident $ID --source web-1 "$T/access.log" > "$T/out"
check "CLI ingest exits 0" eq $? 0
check "CLI prints the report" contains "$T/out" "accepted 2400, duplicates 0, rejected 1"
check "the rejected line is named by number" contains "$T/out" "line 2401"
"$HS_BIN" --db "$DB" ingest --format nginx --incident $ID --source web-1 --json "$T/access.log" > "$T/out2"
check "re-ingesting adds nothing" eq "$(jq -r .duplicates "$T/out2")" 2400
check "--json prints the report shape" eq "$(jq -r '.accepted' "$T/out2")" 0
check "one signal condenses the error burst" eq "$(sql "SELECT count(*) FROM events WHERE incident_id=$ID AND kind='signal'")" 1
TITLE=$(sql "SELECT title FROM events WHERE kind='signal'")
check "the signal names the rise, peak and return" sh -c "echo '$TITLE' | grep -q '5xx rate rose from .* to .* on web-1 at 11:40, peak .*, back to normal 11:48'"
SIG=$(sql "SELECT id FROM events WHERE kind='signal'")
req GET /api/v1/events/$SIG/raw -H "$AUTH"
check "a signal expands into its raw lines" test "$(jget '.lines | length')" -gt 10
check "raw lines behind the signal are errors" contains "$T/body" '\" 502 '
req GET "/api/v1/incidents/$ID/raw?q=s3cr3t" -H "$AUTH"
check "secrets in URLs are masked before storage" eq "$(jget '.lines | length')" 0
req GET "/api/v1/incidents/$ID/raw?q=token" -H "$AUTH"
check "the masked lines are the incident's raw lines" test "$(jget '.lines | length')" -gt 0
check "the series per minute is stored" eq "$(sql "SELECT sum(requests) FROM access_series WHERE source='web-1'")" 2400
# A log spanning more minutes than the in-memory series table holds.
req POST /api/v1/incidents -H "$AUTH" -H "$JSON" -d '{"title":"Long tail","started_at":"2026-11-01T00:00:00Z"}'
LONG=$(jget .id)
awk 'BEGIN { for (m = 0; m < 5000; m++) { t = 1793491200 + m * 60; printf "10.0.0.1 - - [%s +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"x\"\n", strftime("%d/%b/%Y:%H:%M:%S", t, 1) } }' > "$T/long.log" 2>/dev/null
if [ -s "$T/long.log" ]; then
  "$HS_BIN" --db "$DB" ingest --format nginx --incident $LONG --source lb "$T/long.log" > /dev/null
  check "series over 5000 minutes are all kept" eq "$(sql "SELECT sum(requests), count(*) FROM access_series WHERE source='lb'")" "5000|5000"
fi
"$HS_BIN" --db "$DB" ingest --format nope --incident $ID "$T/access.log" 2>/dev/null
check "an unknown format is a usage error" eq $? 2
"$HS_BIN" --db "$DB" ingest --format nginx --auto --incident $ID "$T/access.log" 2>/dev/null
check "ingest takes --incident or --auto, not both" eq $? 2

req GET "/api/v1/incidents/$ID/raw?q=502&source=web-1" -H "$AUTH"
check "raw lines are searchable by text" test "$(jget '.lines | length')" -gt 10
check "the search finds only matching lines" eq "$(jget '[.lines[].line | contains("502")] | all')" true
req GET "/api/v1/incidents/$ID/raw?q=%25%27%22" -H "$AUTH"
check "a hostile search is 200" eq "$STATUS" 200
req GET "/app/incidents/$ID/raw?q=502" -b "$T/jar.admin"
check "the raw search page answers" contains "$T/body" "Raw lines"

# HTTP door.
cat > "$T/sys.log" <<'LOG'
<11>1 2026-11-20T11:41:00.003Z web-1 app 123 - - upstream timed out after 3012 ms
<11>1 2026-11-20T11:41:10.000Z web-1 app 123 - - upstream timed out after 2999 ms
<11>1 2026-11-20T11:42:30.000Z web-1 app 123 - - upstream timed out after 3500 ms
<11>1 2026-11-20T11:43:00.000Z web-1 app 123 - - upstream timed out after 3001 ms
<14>1 2026-11-20T11:43:05.000Z web-1 app 123 - - request served
<11>1 2026-11-20T11:44:00.000Z db-1 postgres 9 - - too many connections for role "shop"
<11>Nov 20 11:45:00 db-1 postgres[9]: password=hunter2 authentication failed
LOG
req POST "/api/v1/incidents/$ID/ingest?format=syslog" -H "$AUTH" --data-binary @"$T/sys.log"
check "HTTP ingest answers 200" eq "$STATUS" 200
check "HTTP ingest reports accepted lines" eq "$(jget .accepted)" 7
check "a burst of identical errors becomes one signal" test "$(sql "SELECT count FROM events WHERE kind='signal' AND title LIKE 'upstream timed out%'")" = 4
check "single errors stay plain events" eq "$(sql "SELECT count(*) FROM events WHERE kind='log' AND title LIKE 'too many connections%'")" 1
check "info lines stay raw only" eq "$(sql "SELECT count(*) FROM events WHERE title LIKE 'request served%'")" 0
req GET "/api/v1/incidents/$ID/raw?q=hunter2" -H "$AUTH"
check "password= is masked" eq "$(jget '.lines | length') $(sql "SELECT count(*) FROM events WHERE title LIKE '%hunter2%'")" "0 0"
req POST "/api/v1/incidents/$ID/ingest?format=syslog" -H "$AUTH" --data-binary @"$T/sys.log"
check "HTTP re-ingest adds nothing" eq "$(jget .duplicates)" 7
req POST "/api/v1/incidents/$ID/ingest" -H "$AUTH" --data-binary @"$T/sys.log"
check "a missing format is 400" eq "$STATUS" 400
req POST "/api/v1/incidents/$ID/ingest?format=wat" -H "$AUTH" --data-binary @"$T/sys.log"
check "an unknown format is 400" contains "$T/body" "format: must be one of"
req POST "/api/v1/incidents/999/ingest?format=syslog" -H "$AUTH" --data-binary @"$T/sys.log"
check "a missing incident is 404" eq "$STATUS" 404
printf 'line one\n\377\376 bad bytes\n' > "$T/bad.log"
req POST "/api/v1/incidents/$ID/ingest?format=jsonl" -H "$AUTH" --data-binary @"$T/bad.log"
check "bad lines are counted, not fatal" eq "$(jget .rejected)" 2
check "invalid UTF-8 is named" contains "$T/body" "invalid UTF-8"

# Tickets CSV with quoting, embedded newlines and CRLF.
printf 'id,created_at,subject,body,requester,priority,status,tags\r\n1,2026-11-20T11:45:00Z,"Payment failed, twice","It said ""error""\nthen nothing",ann,urgent,open,checkout\r\n2,2026-11-20T11:46:00Z,Slow,,bob,low,open\r\n' > "$T/t.csv"
req POST "/api/v1/incidents/$ID/ingest?format=tickets-csv" -H "$AUTH" --data-binary @"$T/t.csv"
check "tickets: good rows accepted" eq "$(jget .accepted)" 1
check "tickets: a short row is rejected with a reason" contains "$T/body" "fields"
check "tickets land on the timeline" eq "$(sql "SELECT title FROM events WHERE kind='ticket'")" "Payment failed, twice"

# Webhooks: Alertmanager firing then resolved is one alert.
cat > "$T/am.json" <<'JSON'
{"version":"4","groupKey":"g","status":"firing","receiver":"hs","groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am","alerts":[
 {"status":"firing","labels":{"alertname":"HighErrorRate","severity":"critical","service":"checkout"},"annotations":{"summary":"5xx above 20%"},"startsAt":"2026-11-20T11:41:00.123456789+01:00","endsAt":"0001-01-01T00:00:00Z","fingerprint":"abc123"}]}
JSON
sed 's/2026-11-20T11:41:00.123456789+01:00/2026-11-20T11:41:00.123456789Z/' "$T/am.json" > "$T/am2.json"
req POST /hooks/alertmanager -H "Authorization: Bearer $HOOK" -H "$JSON" --data-binary @"$T/am2.json"
check "alertmanager webhook is 200" eq "$STATUS" 200
check "the alert joins the incident of its component" eq "$(sql "SELECT incident_id FROM events WHERE kind='alert'")" "$ID"
req POST /hooks/alertmanager -H "Authorization: Bearer $HOOK" -H "$JSON" --data-binary @"$T/am2.json"
check "a replayed notice is a duplicate" eq "$(jget .duplicates)" 1
sed 's/"status":"firing","labels"/"status":"resolved","labels"/; s/"endsAt":"0001-01-01T00:00:00Z"/"endsAt":"2026-11-20T11:58:00Z"/' "$T/am2.json" > "$T/am3.json"
req POST /hooks/alertmanager -H "Authorization: Bearer $HOOK" -H "$JSON" --data-binary @"$T/am3.json"
check "the resolved notice closes the same alert" eq "$(sql "SELECT count(*), count(end_ts) FROM events WHERE kind='alert'")" "1|1"
req POST /hooks/alertmanager -H "Authorization: Bearer $HOOK" -H "$JSON" -d '{"version":"4","alerts":[{"status":"firing"'
check "a truncated payload is 400" eq "$STATUS" 400
check "and stores nothing" eq "$(sql "SELECT count(*) FROM events WHERE kind='alert'")" 1
req POST /hooks/alertmanager -H "Authorization: Bearer $TOKEN" -H "$JSON" --data-binary @"$T/am2.json"
check "a write token may post webhooks too" eq "$STATUS" 200
req POST /hooks/alertmanager -H "$JSON" --data-binary @"$T/am2.json"
check "webhooks need a token" eq "$STATUS" 401
req POST "/api/v1/incidents/$ID/events" -H "Authorization: Bearer $HOOK" -H "$JSON" -d '{"title":"x"}'
check "an ingest token cannot write notes" eq "$STATUS" 403
req POST "/api/v1/incidents/$ID/ingest?format=syslog" -H "Authorization: Bearer $HOOK" --data-binary @"$T/sys.log"
check "an ingest token may use the ingest endpoint" eq "$STATUS" 200

# Generic webhook.
req POST /hooks/generic -H "Authorization: Bearer $HOOK" -H "$JSON" -d '[{"title":"Deploy 4.2","kind":"change","ts":"2026-11-20T11:35:00Z","component":"checkout"},{"title":"Flag on","kind":"change","ts":"2026-11-20T11:36:00Z"}]'
check "generic webhook accepts an array" eq "$(jget .accepted)" 2
req POST /hooks/generic -H "Authorization: Bearer $HOOK" -H "$JSON" -d '[{"title":"ok","ts":"2026-11-20T11:35:00Z"},{"title":"bad","level":"loud"}]'
check "generic: one bad item refuses the whole body" eq "$STATUS" 400
check "generic: the error names the item and field" contains "$T/body" "event 2: level: must be one of"
# Before every incident's window: an open incident's window runs to now, so
# an event between its start and today would be inside it.
req POST /hooks/generic -H "Authorization: Bearer $HOOK" -H "$JSON" -d '{"title":"way earlier","ts":"2026-06-01T00:00:00Z"}'
check "an event outside every incident window is kept as evidence" eq "$(jget .accepted) $(jget .rejected)" "1 0"
check "but on no timeline" eq "$(sql "SELECT count(*) FROM events WHERE title='way earlier'") $(sql "SELECT count(*) FROM evidence WHERE title='way earlier'")" "0 1"

# Settings: a critical alert with no incident declares one when asked to.
"$HS_BIN" --db "$DB" config set ingest.auto_declare 1
check "config set takes a known key" eq $? 0
"$HS_BIN" --db "$DB" config set ingest.auto_declare "$(printf '1\nAPP_KEY=x')" 2>/dev/null
check "a setting with a newline is refused" eq $? 2
"$HS_BIN" --db "$DB" config set no.such.key 1 2>/dev/null
check "an unknown setting is refused" eq $? 2
# Dated before every incident (open ones cover up to now), after 2020-01-01
# (which --auto below must find uncovered).
sed 's/2026-11-20T11:41:00.123456789Z/2026-10-01T08:00:00Z/; s/abc123/def456/' "$T/am2.json" > "$T/am4.json"
before=$(sql 'SELECT count(*) FROM incidents')
req POST /hooks/alertmanager -H "Authorization: Bearer $HOOK" -H "$JSON" --data-binary @"$T/am4.json"
check "a lone critical alert declares an incident" eq "$(sql 'SELECT count(*) FROM incidents')" $((before + 1))
check "the declared incident holds the alert" eq "$(sql "SELECT count(*) FROM events e JOIN incidents i ON i.id=e.incident_id WHERE i.title LIKE '%declared by an alert%' AND e.kind='alert' AND e.fingerprint LIKE 'alert:def456:%'")" 1
"$HS_BIN" --db "$DB" config set ingest.auto_declare 0

# --auto attaches by time window.
printf '{"ts":"2026-11-20T11:50:00Z","level":"error","msg":"payment provider 503"}\n{"ts":"2020-01-01T00:00:00Z","level":"error","msg":"long ago"}\n' > "$T/app.jsonl"
"$HS_BIN" --db "$DB" ingest --format jsonl --auto "$T/app.jsonl" > "$T/out"
check "--auto keeps every line, covered or not" contains "$T/out" "accepted 2, duplicates 0, rejected 0"
check "--auto: the covered line reaches the timeline" eq "$(sql "SELECT CAST(count(*) > 0 AS INTEGER) FROM events WHERE title='payment provider 503'") $(sql "SELECT count(*) FROM events WHERE title='long ago'")" "1 0"

# The other formats through the doors: journal, apache and zendesk over
# HTTP, grafana as a webhook.
printf '{"__REALTIME_TIMESTAMP":"1795693320000000","PRIORITY":"3","_HOSTNAME":"web-2","SYSLOG_IDENTIFIER":"shop","MESSAGE":"worker pool exhausted"}\n{"__REALTIME_TIMESTAMP":"oops"}\n' > "$T/j.json"
req POST "/api/v1/incidents/$ID/ingest?format=journal" -H "$AUTH" --data-binary @"$T/j.json"
check "journal over HTTP: one accepted, one rejected" eq "$(jget .accepted) $(jget .rejected)" "1 1"
check "journal error lines reach the timeline" eq "$(sql "SELECT count(*) FROM events WHERE title='worker pool exhausted'")" 1
printf '::1 - - [20/Nov/2026:11:45:00 +0000] "GET /cart HTTP/1.1" 503 -\n' > "$T/apache.log"
req POST "/api/v1/incidents/$ID/ingest?format=apache&source=web-3" -H "$AUTH" --data-binary @"$T/apache.log"
check "apache common log with IPv6 and - bytes" eq "$(jget .accepted)" 1
printf '{"tickets":[{"id":77,"created_at":"2026-11-20T11:48:00Z","subject":"Zendesk: cannot pay","description":"Card declined?","priority":"high","status":"open","tags":["checkout"]}]}' > "$T/z.json"
req POST "/api/v1/incidents/$ID/ingest?format=zendesk" -H "$AUTH" --data-binary @"$T/z.json"
check "zendesk tickets over HTTP" eq "$(sql "SELECT count(*) FROM events WHERE kind='ticket' AND title='Zendesk: cannot pay'")" 1
cat > "$T/g.json" <<'JSON'
{"receiver":"hs","status":"firing","orgId":1,"alerts":[{"status":"firing","labels":{"alertname":"CheckoutLatency","severity":"warning","service":"checkout"},"annotations":{"summary":"p99 above 2 s"},"startsAt":"2026-11-20T11:44:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"g1"}],"groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://grafana","version":"1","groupKey":"k","truncatedAlerts":0,"title":"[FIRING:1]","state":"alerting","message":"p99"}
JSON
req POST /hooks/grafana -H "Authorization: Bearer $HOOK" -H "$JSON" --data-binary @"$T/g.json"
check "grafana webhook is 200" eq "$STATUS" 200
check "the grafana alert joins the incident" eq "$(sql "SELECT count(*) FROM events WHERE kind='alert' AND title LIKE 'CheckoutLatency%' AND incident_id = $ID")" 1
req POST /hooks/grafana -H "Authorization: Bearer $HOOK" -H "$JSON" -d '{"alerts": "nope"}'
check "a grafana body that is not its format is 400" eq "$STATUS" 400

# The page shows the chart and the timeline of evidence.
req GET /app/incidents/$ID -b "$T/jar.admin"
check "the incident page draws the chart" contains "$T/body" '<svg viewBox'
check "the chart marks the key moments" contains "$T/body" 'mark-started'
check "the signal is on the timeline" contains "$T/body" "5xx rate rose"
hs_stop
